#!/usr/bin/env python3
"""Reference vectors for SSH packet protection, from implementations that do
not share code with ferry's.

ChaCha20 and Poly1305 are written out here in pure Python from RFC 8439's
equations and checked against RFC 8439's own vectors before use; AES comes
from the `cryptography` package and HMAC from Python's `hmac`. The SSH
constructions (OpenSSH PROTOCOL.chacha20poly1305, RFC 4253 encrypt-and-MAC,
OpenSSH encrypt-then-MAC, RFC 5647 AES-GCM) are composed here independently.
Run: python3 scripts/vectors/ssh_packet_vectors.py  (prints the vectors used in
Tests/SSHCryptoTests/PacketProtectionVectorTests.swift)."""
import hashlib, hmac, struct

def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))

def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)

def chacha_block(key, counter64, nonce8):
    """Original ChaCha20: 64-bit block counter, 64-bit nonce (as OpenSSH uses)."""
    const = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    k = list(struct.unpack('<8I', key))
    st = const + k + [counter64 & 0xffffffff, counter64 >> 32] + list(struct.unpack('<2I', nonce8))
    w = st[:]
    for _ in range(10):
        quarter(w, 0, 4, 8, 12); quarter(w, 1, 5, 9, 13); quarter(w, 2, 6, 10, 14); quarter(w, 3, 7, 11, 15)
        quarter(w, 0, 5, 10, 15); quarter(w, 1, 6, 11, 12); quarter(w, 2, 7, 8, 13); quarter(w, 3, 4, 9, 14)
    return struct.pack('<16I', *[(a + b) & 0xffffffff for a, b in zip(w, st)])

def chacha_xor(key, counter, nonce8, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = chacha_block(key, counter + i // 64, nonce8)
        out += bytes(x ^ y for x, y in zip(data[i:i + 64], ks))
    return bytes(out)

def poly1305(key, msg):
    r = int.from_bytes(key[:16], 'little') & 0x0ffffffc0ffffffc0ffffffc0fffffff
    s = int.from_bytes(key[16:], 'little')
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(msg), 16):
        block = msg[i:i + 16] + b'\x01'
        acc = (acc + int.from_bytes(block, 'little')) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, 'little')

# Self-check against RFC 8439 §2.3.2 (block) and §2.5.2 (Poly1305). The RFC's
# 96-bit nonce 000000090000004a00000000 with counter 1 is the same state as a
# 64-bit counter whose high word is 0x09000000 and nonce 4a000000 00000000.
k = bytes(range(32))
blk = chacha_block(k, 1 | (0x09000000 << 32), bytes.fromhex('0000004a00000000'))
assert blk.hex().startswith('10f1e7e4d13b5915500fdd1fa32071c4'), blk.hex()
pk = bytes.fromhex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b')
assert poly1305(pk, b'Cryptographic Forum Research Group').hex() == 'a8061dc1305136c6c22b8baf0c0127a9'

def packet(payload, block, aad):
    """RFC 4253 framing with deterministic padding bytes 0xa0, 0xa1, … ."""
    pad = block - ((0 if aad else 4) + 1 + len(payload)) % block
    if pad < 4: pad += block
    body = bytes([pad]) + payload + bytes(0xa0 + i for i in range(pad))
    return struct.pack('>I', len(body)) + body

def chachapoly(key64, seq, plain):
    k2, k1 = key64[:32], key64[32:]
    nonce = struct.pack('>Q', seq)
    enc_len = chacha_xor(k1, 0, nonce, plain[:4])
    polykey = chacha_block(k2, 0, nonce)[:32]
    enc_body = chacha_xor(k2, 1, nonce, plain[4:])
    return enc_len + enc_body + poly1305(polykey, enc_len + enc_body)

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

def ctr_hmac(key, iv, mackey, hashname, etm, seq, plains):
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    out = []
    for s, plain in zip(seq, plains):
        if etm:
            ct = plain[:4] + enc.update(plain[4:])
            out.append(ct + hmac.new(mackey, struct.pack('>I', s) + ct, hashname).digest())
        else:
            mac = hmac.new(mackey, struct.pack('>I', s) + plain, hashname).digest()
            out.append(enc.update(plain) + mac)
    return out

def gcm(key, iv12, plains):
    fixed, counter = iv12[:4], int.from_bytes(iv12[4:], 'big')
    out = []
    for plain in plains:
        nonce = fixed + counter.to_bytes(8, 'big')
        out.append(plain[:4] + AESGCM(key).encrypt(nonce, plain[4:], plain[:4]))
        counter = (counter + 1) % (1 << 64)
    return out

payload1 = b'\x5e' + b'ferry says hello' + bytes(range(40))
payload2 = bytes(range(256)) * 3
vectors = []  # (name, cipher, mac, key, iv, mackey, [(seq, plain, sealed)])
key64 = bytes(range(0x40, 0x80))
chacha = []
for seq, pl in ((0, payload1), (7, payload2), (0xffffffff, payload1)):
    p = packet(pl, 8, True)
    chacha.append((seq, p, chachapoly(key64, seq, p)))
vectors.append(('chacha20-poly1305', 'chacha20Poly1305', None, key64, b'', b'', chacha))
ckey, civ, mkey = bytes(range(16)), bytes(range(16, 32)), bytes(range(32, 64))
p1, p2 = packet(payload1, 16, False), packet(payload2, 16, False)
sealed = ctr_hmac(ckey, civ, mkey, 'sha256', False, (3, 4), (p1, p2))
vectors.append(('aes128-ctr hmac-sha2-256', 'aes128CTR', 'hmacSHA256', ckey, civ, mkey, [(3, p1, sealed[0]), (4, p2, sealed[1])]))
e1, e2 = packet(payload1, 16, True), packet(payload2, 16, True)
k256, mkey512 = bytes(range(100, 132)), bytes(range(64))
sealed = ctr_hmac(k256, civ, mkey512, 'sha512', True, (3, 4), (e1, e2))
vectors.append(('aes256-ctr hmac-sha2-512-etm', 'aes256CTR', 'hmacSHA512ETM', k256, civ, mkey512, [(3, e1, sealed[0]), (4, e2, sealed[1])]))
sealed = ctr_hmac(ckey, civ, mkey[:20], 'sha1', False, (0, 1), (p1, p2))
vectors.append(('aes128-ctr hmac-sha1', 'aes128CTR', 'hmacSHA1', ckey, civ, mkey[:20], [(0, p1, sealed[0]), (1, p2, sealed[1])]))
k192 = bytes(range(200, 224))
sealed = ctr_hmac(k192, civ, mkey, 'sha256', True, (9, 10), (e1, e2))
vectors.append(('aes192-ctr hmac-sha2-256-etm', 'aes192CTR', 'hmacSHA256ETM', k192, civ, mkey, [(9, e1, sealed[0]), (10, e2, sealed[1])]))
giv = bytes.fromhex('01020304ffffffffffffffff')  # the invocation counter wraps after packet 1
sealed = gcm(ckey, giv, (e1, e2))
vectors.append(('aes128-gcm', 'aes128GCM', None, ckey, giv, b'', [(5, e1, sealed[0]), (6, e2, sealed[1])]))
sealed = gcm(k256, giv, (e1, e2))
vectors.append(('aes256-gcm', 'aes256GCM', None, k256, giv, b'', [(5, e1, sealed[0]), (6, e2, sealed[1])]))

print("// Generated by scripts/vectors/ssh_packet_vectors.py — do not edit by hand.")
print("// Independent reference: pure-Python ChaCha20/Poly1305 checked against RFC 8439,")
print("// AES from the `cryptography` package, HMAC from Python's hmac module.")
print("@testable import SSHCrypto\n")
print("struct PacketVector: Sendable, CustomStringConvertible {")
print("    let name: String\n    let cipher: CipherAlgorithm\n    let mac: MACAlgorithm?")
print("    let key: String\n    let iv: String\n    let macKey: String")
print("    let packets: [(sequenceNumber: UInt32, plain: String, sealed: String)]")
print("    var description: String { name }\n}\n")
print("let packetVectors: [PacketVector] = [")
for name, cipher, mac, key, iv, mk, pkts in vectors:
    print(f'    PacketVector(name: "{name}", cipher: .{cipher}, mac: {"." + mac if mac else "nil"},')
    print(f'                 key: "{key.hex()}", iv: "{iv.hex()}", macKey: "{mk.hex()}", packets: [')
    for seq, plain, sealedp in pkts:
        print(f'        ({seq}, "{plain.hex()}",')
        print(f'         "{sealedp.hex()}"),')
    print('    ]),')
print("]")
