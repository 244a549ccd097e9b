#!/usr/bin/env python3
"""One get or put with paramiko or asyncssh, for the Compare harness.

The harness runs this as a peer tool next to ferry and OpenSSH. Python SSH
libraries do not read ssh_config, so host, port, user, key, known_hosts and
cipher come as arguments -- the same values the harness's ssh_config gives
the other tools. Exit status: 0 done, 1 transfer error, 2 host key mismatch,
3 the library does not support the requested cipher or MAC (the harness
reports "unsupported", not a failure).

  peer.py paramiko|asyncssh get|put [-r] --port P --user U --identity KEY
          --known-hosts FILE --cipher C [--mac M] SOURCE DESTINATION

For trees, DESTINATION must not exist; it becomes a copy of SOURCE (as with
scp -r), files are copied one after the other.
"""
import argparse
import os
import stat
import sys

UNSUPPORTED = 3


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("impl", choices=["paramiko", "asyncssh"])
    p.add_argument("direction", choices=["get", "put"])
    p.add_argument("-r", dest="recursive", action="store_true")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--identity", required=True)
    p.add_argument("--known-hosts", required=True)
    p.add_argument("--cipher", required=True)
    p.add_argument("--mac")
    p.add_argument("source")
    p.add_argument("destination")
    return p.parse_args()


def run_paramiko(a):
    import paramiko

    transport = paramiko.Transport((a.host, a.port))
    options = transport.get_security_options()
    try:
        options.ciphers = (a.cipher,)
        if a.mac:
            options.digests = (a.mac,)
        options.compression = ("none",)
    except ValueError:
        print(f"paramiko {paramiko.__version__}: no {a.cipher} {a.mac or ''}", file=sys.stderr)
        return UNSUPPORTED
    transport.start_client()
    known = paramiko.hostkeys.HostKeys(a.known_hosts)
    key = transport.get_remote_server_key()
    name = a.host if a.port == 22 else f"[{a.host}]:{a.port}"
    if not known.check(name, key):
        print(f"host key for {name} not in {a.known_hosts}", file=sys.stderr)
        return 2
    transport.auth_publickey(a.user, paramiko.Ed25519Key.from_private_key_file(a.identity))
    sftp = paramiko.SFTPClient.from_transport(transport)
    try:
        if a.direction == "get":
            if a.recursive:
                paramiko_get_tree(sftp, a.source, a.destination)
            else:
                sftp.get(a.source, a.destination)
        else:
            if a.recursive:
                paramiko_put_tree(sftp, a.source, a.destination)
            else:
                sftp.put(a.source, a.destination)
    finally:
        sftp.close()
        transport.close()
    return 0


def paramiko_get_tree(sftp, remote, local):
    os.mkdir(local)
    for entry in sftp.listdir_attr(remote):
        r, l = remote + "/" + entry.filename, os.path.join(local, entry.filename)
        if stat.S_ISDIR(entry.st_mode):
            paramiko_get_tree(sftp, r, l)
        elif stat.S_ISREG(entry.st_mode):
            sftp.get(r, l)


def paramiko_put_tree(sftp, local, remote):
    sftp.mkdir(remote)
    for entry in sorted(os.scandir(local), key=lambda e: e.name):
        r = remote + "/" + entry.name
        if entry.is_dir(follow_symlinks=False):
            paramiko_put_tree(sftp, entry.path, r)
        elif entry.is_file(follow_symlinks=False):
            sftp.put(entry.path, r)


def run_asyncssh(a):
    import asyncio
    import asyncssh

    async def transfer():
        try:
            connection = await asyncssh.connect(
                a.host, a.port, username=a.user, client_keys=[a.identity], known_hosts=a.known_hosts,
                encryption_algs=[a.cipher], mac_algs=[a.mac] if a.mac else (),
                compression_algs=None, agent_path=None, config=None)
        except (ValueError, asyncssh.KeyExchangeFailed) as error:
            print(f"asyncssh {asyncssh.__version__}: {error}", file=sys.stderr)
            return UNSUPPORTED
        async with connection:
            async with connection.start_sftp_client() as sftp:
                if a.direction == "get":
                    await sftp.get(a.source, a.destination, recurse=a.recursive)
                else:
                    await sftp.put(a.source, a.destination, recurse=a.recursive)
        return 0

    return asyncio.run(transfer())


def main():
    a = parse()
    try:
        return run_paramiko(a) if a.impl == "paramiko" else run_asyncssh(a)
    except Exception as error:  # a failed run, reported by the harness
        print(f"{a.impl}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
