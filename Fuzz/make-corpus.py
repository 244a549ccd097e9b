#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/<Target>/.

Seeds come from real material: keys, certificates and known_hosts lines made
by ssh-keygen, and the first packets of a real OpenSSH sshd (identification,
KEXINIT, the curve25519 exchange reply, EXT_INFO names), captured here from an
sshd started on 127.0.0.1 with a throwaway host key. The rest (user-auth,
channel, SFTP, SCP messages) are built to the RFCs' layouts with the values
OpenSSH sends. Run it again to refresh: python3 Fuzz/make-corpus.py
"""
import hashlib, os, shutil, socket, struct, subprocess, sys, tempfile, time, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Corpus")


def u32(n): return struct.pack(">I", n)
def u16(n): return struct.pack(">H", n)
def s(b): b = b.encode() if isinstance(b, str) else b; return u32(len(b)) + b
def namelist(names): return s(",".join(names))


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def sealed(payload, padding_byte=None, kind=0):
    """A PacketScript record the target seals (kind even) or splices raw (odd)."""
    if kind & 1:
        return bytes([kind]) + u16(len(payload)) + payload
    body = bytes([padding_byte or 0, 0]) + payload
    return bytes([kind]) + u16(len(body)) + body


def records(payloads):
    return b"".join(u16(len(p)) + p for p in payloads)


def keygen(tmp, name, *args):
    path = os.path.join(tmp, name)
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", "fuzz@seed", "-f", path, *args], check=True)
    return path


def pem_body(text):
    lines = [l for l in text.strip().splitlines() if not l.startswith("-----") and ":" not in l]
    import base64
    return base64.b64decode("".join(lines))


def capture_server(tmp):
    """The server's bytes up to NEWKEYS from a real sshd: identification,
    KEXINIT, KEX_ECDH_REPLY, NEWKEYS (plaintext before NEWKEYS)."""
    host_key = keygen(tmp, "ssh_host_ed25519_key", "-t", "ed25519")
    sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
    config = os.path.join(tmp, "sshd_config")
    with open(config, "w") as f:
        f.write(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {tmp}/sshd.pid\n"
                "UsePAM no\nStrictModes no\n")
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", config], stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                c = socket.create_connection(("127.0.0.1", port), timeout=5); break
            except OSError:
                time.sleep(0.1)
        c.sendall(b"SSH-2.0-ferry_seed\r\n")
        kexinit = bytes([20]) + os.urandom(16) + namelist(["curve25519-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"]) \
            + namelist(["ssh-ed25519"]) + namelist(["aes128-ctr"]) * 2 + namelist(["hmac-sha2-256"]) * 2 \
            + namelist(["none"]) * 2 + namelist([]) * 2 + b"\0" + u32(0)
        ecdh_init = bytes([30]) + s(os.urandom(32))
        for p in (kexinit, ecdh_init):
            pad = 8 - (5 + len(p)) % 8
            if pad < 4: pad += 8
            c.sendall(u32(1 + len(p) + pad) + bytes([pad]) + p + b"\0" * pad)
        data = b""
        deadline = time.time() + 10
        payloads = []
        while time.time() < deadline:
            chunk = c.recv(65536)
            if not chunk: break
            data += chunk
            if b"\r\n" not in data: continue
            ident, rest = data.split(b"\r\n", 1)
            payloads = []
            while len(rest) >= 4:
                n = struct.unpack(">I", rest[:4])[0]
                if len(rest) < 4 + n: break
                pad = rest[4]
                payloads.append(rest[5:4 + n - pad]); rest = rest[4 + n:]
            if any(p[:1] == b"\x15" for p in payloads): break
        c.close()
        return ident + b"\r\n", payloads
    finally:
        sshd.terminate(); sshd.wait()


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="ferry-corpus-")
    try:
        ident, server = capture_server(tmp)
        kexinit = next(p for p in server if p[:1] == b"\x14")
        ext_info = bytes([7]) + u32(2) + s("server-sig-algs") + s("ssh-ed25519,rsa-sha2-256,rsa-sha2-512,ecdsa-sha2-nistp256") \
            + s("publickey-hostbound@openssh.com") + s("0")
        # Transport: identification chunk, then the server's packets as sealed records.
        write("FuzzTransport", "openssh-kex", u16(len(ident)) + ident + b"".join(sealed(p) for p in server))
        write("FuzzTransport", "openssh-kexinit", u16(len(ident)) + ident + sealed(kexinit))
        banner = b"Welcome\r\nSSH-2.0-OpenSSH_9.6\r\n"
        write("FuzzTransport", "banner-lines", u16(len(banner)) + banner + sealed(kexinit))
        write("FuzzKex", "kexinit", b"\0" + kexinit)
        write("FuzzKex", "ext-info", b"\1" + ext_info)

        # Packet framers: the same payloads sealed under each protection.
        payloads = [kexinit, ext_info, bytes([2]) + s("ignored"), bytes([94]) + u32(0) + s(b"x" * 300), bytes([21])]
        stream = b"".join(sealed(p) for p in payloads)
        comp = zlib.compressobj()
        zpayloads = [comp.compress(p) + comp.flush(zlib.Z_SYNC_FLUSH) for p in payloads[1:]]
        zstream = b"".join(sealed(p) for p in zpayloads)
        bad = sealed(payloads[0], padding_byte=200) + sealed(u32(0xFFFFFFF0), kind=1)
        for target, variants in (("FuzzPacketPlain", [0]), ("FuzzPacketAESCTR", range(8)),
                                 ("FuzzPacketAESGCM", [0, 1]), ("FuzzPacketChaCha", [0])):
            for v in variants:
                write(target, f"session-{v}", bytes([v << 1]) + stream)
                write(target, f"session-chunked-{v}", bytes([v << 1 | 0x30]) + stream)
            write(target, "zlib", bytes([1]) + zstream)
            write(target, "bad-padding", bytes([0]) + bad)

        # User auth (RFC 4252/4256), as OpenSSH sends them.
        methods = "publickey,password,keyboard-interactive"
        write("FuzzUserAuth", "password-flow", records([
            bytes([6]) + s("ssh-userauth"), bytes([53]) + s("Authorized use only\n") + s(""),
            bytes([51]) + s(methods) + b"\0", bytes([51]) + s("password,keyboard-interactive") + b"\0",
            bytes([52])]))
        write("FuzzUserAuth", "keyboard-interactive", records([
            bytes([6]) + s("ssh-userauth"), bytes([51]) + s("keyboard-interactive") + b"\0",
            bytes([60]) + s("") + s("") + s("") + u32(2) + s("Password: ") + b"\0" + s("Code: ") + b"\1",
            bytes([60]) + s("") + s("") + s("") + u32(0), bytes([52])]))
        write("FuzzUserAuth", "password-change", records([
            bytes([6]) + s("ssh-userauth"), bytes([51]) + s("password") + b"\0",
            bytes([60]) + s("Password expired") + s(""), bytes([51]) + s("password") + b"\1"]))
        pub = keygen(tmp, "id_ed25519", "-t", "ed25519")
        blob = __import__("base64").b64decode(open(pub + ".pub").read().split()[1])
        write("FuzzUserAuth", "pk-ok", records([
            bytes([6]) + s("ssh-userauth"), bytes([51]) + s(methods) + b"\0",
            bytes([60]) + s("ssh-ed25519") + s(blob), bytes([52])]))

        # Channels (RFC 4254): a session's life as OpenSSH runs it.
        write("FuzzChannel", "session", b"".join(bytes([k]) + u16(len(p)) + p for k, p in [
            (0, bytes([91]) + u32(0) + u32(7) + u32(2097152) + u32(32768)),
            (0, bytes([99]) + u32(0)),
            (0, bytes([94]) + u32(0) + s(b"\0\0\0\5\2\0\0\0\3")),
            (0, bytes([95]) + u32(0) + u32(1) + s("warning\n")),
            (4, b"hello"),
            (0, bytes([93]) + u32(0) + u32(65536)),
            (0, bytes([98]) + u32(0) + s("exit-status") + b"\0" + u32(0)),
            (0, bytes([98]) + u32(0) + s("exit-signal") + b"\0" + s("TERM") + b"\0" + s("") + s("")),
            (0, bytes([80]) + s("keepalive@openssh.com") + b"\1"),
            (0, bytes([80]) + s("hostkeys-00@openssh.com") + b"\0" + s(blob)),
            (0, bytes([96]) + u32(0)),
            (0, bytes([97]) + u32(0))]))
        write("FuzzChannel", "open-failure", b"".join(bytes([k]) + u16(len(p)) + p for k, p in [
            (0, bytes([92]) + u32(1) + u32(1) + s("administratively prohibited") + s("")),
            (0, bytes([90]) + s("x11") + u32(3) + u32(1000) + u32(1000) + s("127.0.0.1") + u32(6000)),
            (0, bytes([90]) + s("forwarded-tcpip") + u32(4) + u32(1000) + u32(1000) + s("a") + u32(1) + s("b") + u32(2)),
            (0, bytes([81]) + u32(8080)), (0, bytes([82]))]))

        # SFTP (draft-ietf-secsh-filexfer-02 + OpenSSH extensions): replies.
        def frame(t, body): return u32(1 + len(body)) + bytes([t]) + body
        attrs = u32(0xF) + struct.pack(">Q", 1234) + u32(1000) + u32(1000) + u32(0o100644) + u32(1700000000) + u32(1700000001)
        ext_attrs = u32(0x80000001) + struct.pack(">Q", 5) + u32(1) + s("x@y") + s("z")
        sftp = [
            frame(2, u32(3) + s("posix-rename@openssh.com") + s("1") + s("limits@openssh.com") + s("1")),
            frame(101, u32(1) + u32(0) + s("Success") + s("")),
            frame(101, u32(2) + u32(2) + s("No such file") + s("en")),
            frame(102, u32(3) + s(b"\0\0\0\1")),
            frame(103, u32(4) + s(b"data" * 20)),
            frame(104, u32(5) + u32(2) + s("a") + s("-rw-r--r-- 1 u g 1234 Jan 1 a") + attrs + s("b") + s("b") + ext_attrs),
            frame(105, u32(6) + attrs),
            frame(201, u32(7) + struct.pack(">QQQQ", 262144, 261120, 261120, 0)),
            frame(201, u32(8) + struct.pack(">QQQQQQQQQQQ", 4096, 4096, 100, 50, 40, 10, 5, 4, 1, 0, 255)),
            frame(201, u32(9) + u32(1) + s("root") + u32(1) + s("wheel")),
            frame(1, u32(3)), frame(3, u32(1) + s("/etc/passwd") + u32(1) + u32(0)),
        ]
        write("FuzzSFTP", "replies", b"\x10" + b"".join(sftp))
        write("FuzzSFTP", "split-header", b"\x02" + b"".join(sftp[:3]))

        # SCP: what a source sends (records, data, status bytes).
        write("FuzzSCP", "file", b"C0644 5 file\nhello\0")
        write("FuzzSCP", "tree", b"T1700000000 0 1700000001 0\nD0755 0 dir\nC0600 3 a\nabc\0C0644 0 empty\n\0E\n")
        write("FuzzSCP", "warning", b"\x01scp: nope: No such file or directory\nC0644 2 f\nhi\0")
        write("FuzzSCP", "bad-name", b"C0644 1 ../evil\nx\0")

        # known_hosts made by ssh-keygen (plain, hashed, markers, ports).
        ecdsa = keygen(tmp, "id_ecdsa", "-t", "ecdsa")
        rsa = keygen(tmp, "id_rsa", "-t", "rsa", "-b", "2048")
        line = lambda p: " ".join(open(p + ".pub").read().split()[:2])
        kh = os.path.join(tmp, "known_hosts")
        with open(kh, "w") as f:
            f.write(f"example.com,10.0.0.1 {line(pub)}\n[127.0.0.1]:2222 {line(ecdsa)}\n"
                    f"*.example.org,!bad.example.org {line(rsa)} comment\n# comment\n\n"
                    f"@cert-authority *.example.com {line(pub)}\n@revoked * {line(ecdsa)}\n")
        write("FuzzKnownHosts", "plain", open(kh, "rb").read())
        subprocess.run(["ssh-keygen", "-q", "-H", "-f", kh], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        write("FuzzKnownHosts", "hashed", open(kh, "rb").read())

        # ssh_config.
        write("FuzzSSHConfig", "config", b"""# comment
Host fuzz.example *.example !other
    HostName %h.internal
    User fuzz
    Port 2222
    IdentityFile ~/.ssh/id_ed25519 "%d/with space"
    Ciphers aes128-gcm@openssh.com,+chacha20-poly1305@openssh.com
    ServerAliveInterval 15
    ProxyJump jump@bastion:22
Match host fuzz.example exec "true" user fuzz
    Compression yes
Match canonical final
    LogLevel DEBUG
Include /nonexistent/ferry-fuzz/config.d/*
Host *
    StrictHostKeyChecking accept-new
    UserKnownHostsFile=~/.ssh/known_hosts2
""")

        # Private keys in every format ferry reads: raw text, and mode byte +
        # binary body (the target re-armors it).
        labels = ["OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]
        files = {"ed25519": pub, "ecdsa": ecdsa, "rsa": rsa,
                 "ecdsa384": keygen(tmp, "id_ecdsa384", "-t", "ecdsa", "-b", "384")}
        for fmt in ("PEM", "PKCS8"):
            for t in ("rsa", "ecdsa"):
                p = keygen(tmp, f"{t}_{fmt}", "-t", t, "-m", fmt, *(["-b", "2048"] if t == "rsa" else []))
                files[f"{t}-{fmt.lower()}"] = p
        enc = os.path.join(tmp, "id_enc")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-a", "1", "-f", enc], check=True)
        files["ed25519-encrypted"] = enc
        for name, path in files.items():
            text = open(path).read()
            write("FuzzPrivateKey", name + ".txt", b"\xff" + text.encode())
            label = text.splitlines()[0][len("-----BEGIN "):-len("-----")]
            if label in labels:
                write("FuzzPrivateKey", name + ".bin", bytes([labels.index(label)]) + pem_body(text))

        # Public key blobs and certificates made by ssh-keygen.
        import base64
        for name in ("ed25519", "ecdsa", "rsa", "ecdsa384"):
            b = base64.b64decode(open(files[name] + ".pub").read().split()[1])
            sig_alg = {"ed25519": "ssh-ed25519", "rsa": "rsa-sha2-256"}.get(name, "ecdsa-sha2-nistp256")
            write("FuzzPublicKey", name, u16(len(b)) + b + s(sig_alg) + s(os.urandom(64)))
            write("FuzzPublicKey", name + ".pub", open(files[name] + ".pub", "rb").read())
        ca = keygen(tmp, "ca", "-t", "ed25519")
        for name in ("ed25519", "ecdsa", "rsa"):
            subprocess.run(["ssh-keygen", "-q", "-s", ca, "-I", "fuzz-id", "-n", "fuzz,root", "-V", "-1d:+1d",
                            "-O", "force-command=/bin/true", "-O", "source-address=127.0.0.1",
                            files[name] + ".pub"], check=True, stderr=subprocess.DEVNULL)
            cert = open(files[name] + "-cert.pub").read()
            write("FuzzCertificate", name + ".bin", base64.b64decode(cert.split()[1]))
            write("FuzzCertificate", name + ".txt", cert.encode())
        subprocess.run(["ssh-keygen", "-q", "-s", ca, "-h", "-I", "host", "-n", "example.com", files["ed25519"] + ".pub"],
                       check=True, stderr=subprocess.DEVNULL)
        write("FuzzCertificate", "host.bin", base64.b64decode(open(files["ed25519"] + "-cert.pub").read().split()[1]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for target in sorted(os.listdir(OUT)):
        print(target, len(os.listdir(os.path.join(OUT, target))), "seeds")


if __name__ == "__main__":
    main()
