import CLibcrypto

/// BcryptPBKDF is OpenBSD's bcrypt_pbkdf, the function OpenSSH uses to turn a
/// passphrase into the cipher key and IV of an encrypted `openssh-key-v1`
/// private key (kdfname "bcrypt", kdfoptions = salt + rounds).
///
/// It is PBKDF2 with the bcrypt hash (64 rounds of Eksblowfish keyed with
/// SHA-512 of the passphrase and of the salt) as its pseudo-random function,
/// and one deviation: the output blocks are interleaved byte by byte rather
/// than concatenated, so every block is needed for any prefix of the key.
/// This follows OpenBSD's bcrypt_pbkdf.c exactly, including its limits.
public enum BcryptPBKDF {
    /// The largest key the algorithm can produce: 32 blocks of 32 bytes.
    public static let maxKeyLength = 1024
    /// OpenBSD refuses salts over 1 MiB; so do we.
    public static let maxSaltLength = 1 << 20

    /// Bytes of one bcrypt hash output (eight 32-bit words).
    static let hashSize = 32

    /// Derives `keyLength` bytes from `password` and `salt`.
    ///
    /// - Parameters:
    ///   - password: the passphrase bytes (UTF-8 for a typed passphrase); must not be empty.
    ///   - salt: the salt from the key file; 1 byte to 1 MiB.
    ///   - rounds: the work factor, at least 1. Each round costs one bcrypt
    ///     hash per 32 output bytes. A caller reading `rounds` from a file
    ///     decides how much work it is willing to do before calling.
    ///   - keyLength: 1 to 1024 bytes.
    /// - Throws: `CryptoError(.invalidLength)` when an argument is out of range.
    public static func deriveKey(
        password: some ContiguousBytes,
        salt: some ContiguousBytes,
        rounds: Int,
        keyLength: Int
    ) throws -> SecureBytes {
        guard rounds >= 1, rounds <= Int(UInt32.max) else {
            throw CryptoError(.invalidLength, "bcrypt_pbkdf rounds must be between 1 and \(UInt32.max), not \(rounds)")
        }
        guard keyLength >= 1, keyLength <= maxKeyLength else {
            throw CryptoError(.invalidLength, "bcrypt_pbkdf key length must be between 1 and \(maxKeyLength) bytes, not \(keyLength)")
        }
        return try password.withUnsafeBytes { password in
            guard password.count > 0 else {
                throw CryptoError(.invalidLength, "bcrypt_pbkdf needs a non-empty passphrase")
            }
            return try salt.withUnsafeBytes { salt in
                guard salt.count >= 1, salt.count <= maxSaltLength else {
                    throw CryptoError(.invalidLength, "bcrypt_pbkdf salt must be between 1 and \(maxSaltLength) bytes, not \(salt.count)")
                }
                return SecureBytes(count: keyLength) { key in
                    derive(password: password, salt: salt, rounds: rounds, into: key)
                }
            }
        }
    }

    /// The algorithm proper, on validated arguments. Every intermediate value
    /// lives in `Scratch` and is wiped before returning.
    private static func derive(
        password: UnsafeRawBufferPointer,
        salt: UnsafeRawBufferPointer,
        rounds: Int,
        into key: UnsafeMutableRawBufferPointer
    ) {
        let scratch = Scratch()
        defer { scratch.wipeAndFree() }
        let blowfish = Blowfish()

        let keyLength = key.count
        let stride = (keyLength + hashSize - 1) / hashSize
        let amount = (keyLength + stride - 1) / stride

        sha512(scratch.sha2pass) { ctx in SHA512_Update(ctx, password.baseAddress, password.count) }

        var remaining = keyLength
        var count: UInt32 = 1
        while remaining > 0 {
            // First round: the salt is salt ‖ big-endian block counter.
            let counter = [UInt8(truncatingIfNeeded: count >> 24), UInt8(truncatingIfNeeded: count >> 16),
                           UInt8(truncatingIfNeeded: count >> 8), UInt8(truncatingIfNeeded: count)]
            sha512(scratch.sha2salt) { ctx in
                SHA512_Update(ctx, salt.baseAddress, salt.count)
                counter.withUnsafeBytes { _ = SHA512_Update(ctx, $0.baseAddress, $0.count) }
            }
            bcryptHash(blowfish, scratch)
            for j in 0..<hashSize { scratch.out[j] = scratch.tmpout[j] }

            // Later rounds: the salt is the previous round's output; XOR them all.
            var round = 1
            while round < rounds {
                let previous = UnsafeRawBufferPointer(scratch.tmpout)
                sha512(scratch.sha2salt) { ctx in SHA512_Update(ctx, previous.baseAddress, previous.count) }
                bcryptHash(blowfish, scratch)
                for j in 0..<hashSize { scratch.out[j] ^= scratch.tmpout[j] }
                round += 1
            }

            // PBKDF2 deviation: byte i of block `count` lands at i*stride + count-1.
            let take = min(amount, remaining)
            var i = 0
            while i < take {
                let destination = i * stride + Int(count - 1)
                if destination >= keyLength { break }
                key[destination] = scratch.out[i]
                i += 1
            }
            remaining -= i
            count += 1
        }
    }

    /// bcrypt's hash of the SHA-512 digests in `scratch.sha2pass` and
    /// `scratch.sha2salt` into `scratch.tmpout`: Eksblowfish with 64 rounds of
    /// key expansion, then 64 encryptions of "OxychromaticBlowfishSwatDynamite"
    /// (read as big-endian words, written out little-endian).
    private static func bcryptHash(_ blowfish: borrowing Blowfish, _ scratch: Scratch) {
        let pass = UnsafeRawBufferPointer(scratch.sha2pass)
        let salt = UnsafeRawBufferPointer(scratch.sha2salt)
        blowfish.reset()
        blowfish.expand(data: salt, key: pass)
        for _ in 0..<64 {
            blowfish.expand0(key: salt)
            blowfish.expand0(key: pass)
        }

        let words = scratch.cdata
        magic.withUnsafeBytes { magic in
            var stream = CyclicWords(magic)
            for i in 0..<8 { words[i] = stream.next() }
        }
        for _ in 0..<64 {
            var i = 0
            while i < 8 {
                var l = words[i]
                var r = words[i + 1]
                blowfish.encrypt(&l, &r)
                words[i] = l
                words[i + 1] = r
                i += 2
            }
        }
        for i in 0..<8 {
            for b in 0..<4 {
                scratch.tmpout[4 * i + b] = UInt8(truncatingIfNeeded: words[i] >> (8 * b))
            }
        }
    }

    /// The 32-byte plaintext bcrypt encrypts.
    private static let magic: [UInt8] = Array("OxychromaticBlowfishSwatDynamite".utf8)

    /// SHA-512 into `out` (64 bytes), with `feed` supplying the input to a
    /// context that lives in scratch memory and is wiped afterwards.
    private static func sha512(
        _ out: UnsafeMutableBufferPointer<UInt8>,
        _ feed: (UnsafeMutablePointer<SHA512_CTX>) -> Void
    ) {
        let ctx = UnsafeMutablePointer<SHA512_CTX>.allocate(capacity: 1)
        ctx.initialize(to: SHA512_CTX())
        defer {
            OPENSSL_cleanse(ctx, MemoryLayout<SHA512_CTX>.size)
            ctx.deallocate()
        }
        SHA512_Init(ctx)
        feed(ctx)
        SHA512_Final(out.baseAddress, ctx)
    }
}

/// Scratch holds bcrypt_pbkdf's intermediate values in one manual allocation
/// so they can be wiped; Swift arrays may leave copies behind.
private struct Scratch {
    private let base: UnsafeMutableRawPointer
    private static let size = 64 + 64 + 32 + 32 + 8 * 4

    /// SHA-512 of the passphrase.
    let sha2pass: UnsafeMutableBufferPointer<UInt8>
    /// SHA-512 of the salt of the current round.
    let sha2salt: UnsafeMutableBufferPointer<UInt8>
    /// The XOR of all rounds' outputs for the current block.
    let out: UnsafeMutableBufferPointer<UInt8>
    /// The output of the latest bcrypt hash.
    let tmpout: UnsafeMutableBufferPointer<UInt8>
    /// The eight words bcrypt encrypts.
    let cdata: UnsafeMutableBufferPointer<UInt32>

    init() {
        base = .allocate(byteCount: Self.size, alignment: 16)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        sha2pass = UnsafeMutableBufferPointer(start: bytes, count: 64)
        sha2salt = UnsafeMutableBufferPointer(start: bytes + 64, count: 64)
        out = UnsafeMutableBufferPointer(start: bytes + 128, count: 32)
        tmpout = UnsafeMutableBufferPointer(start: bytes + 160, count: 32)
        cdata = UnsafeMutableBufferPointer(
            start: (base + 192).bindMemory(to: UInt32.self, capacity: 8), count: 8)
    }

    func wipeAndFree() {
        OPENSSL_cleanse(base, Self.size)
        base.deallocate()
    }
}
