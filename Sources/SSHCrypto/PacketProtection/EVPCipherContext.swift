import CLibcrypto

/// EVPCipherContext owns one libcrypto cipher context and exposes the few
/// operations packet protection needs, with lengths checked and results
/// turned into `CryptoError`s.
///
/// Not thread-safe: one context serves one direction of one connection.
final class EVPCipherContext {
    private let ctx: OpaquePointer

    /// Sets up `cipher` with `key` and (optionally) `iv`; `encrypt` matters
    /// only for AEAD modes, whose direction can also be chosen per packet.
    init(cipher: OpaquePointer?, key: UnsafeRawBufferPointer, iv: UnsafeRawBufferPointer?, encrypt: Bool) throws {
        guard let cipher else { throw CryptoError(.unsupportedAlgorithm, "libcrypto lacks the requested cipher") }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openssl("EVP_CIPHER_CTX_new") }
        self.ctx = ctx
        guard key.count == Int(EVP_CIPHER_get_key_length(cipher)) else {
            throw CryptoError(.invalidKey, "cipher key must be \(EVP_CIPHER_get_key_length(cipher)) bytes, got \(key.count)")
        }
        try check(
            EVP_CipherInit_ex2(
                ctx, cipher,
                key.baseAddress?.assumingMemoryBound(to: UInt8.self),
                iv?.baseAddress?.assumingMemoryBound(to: UInt8.self),
                encrypt ? 1 : 0, nil),
            "EVP_CipherInit_ex2")
    }

    deinit { EVP_CIPHER_CTX_free(ctx) }

    /// Restarts the cipher with a new IV (and direction, for AEAD modes); the key stays.
    @inline(__always)
    func restart(iv: UnsafeRawBufferPointer, encrypt: Bool) throws {
        try check(
            EVP_CipherInit_ex2(ctx, nil, nil, iv.baseAddress?.assumingMemoryBound(to: UInt8.self), encrypt ? 1 : 0, nil),
            "EVP_CipherInit_ex2 (new IV)")
    }

    /// Transforms `data` in place (encrypts or decrypts as set up).
    @inline(__always)
    func update(inPlace data: UnsafeMutableRawBufferPointer) throws {
        guard data.count > 0 else { return }
        guard data.count <= Int(Int32.max) else { throw CryptoError(.invalidLength, "cipher input too large") }
        let p = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var outLength: Int32 = 0
        try check(EVP_CipherUpdate(ctx, p, &outLength, p, Int32(data.count)), "EVP_CipherUpdate")
        guard Int(outLength) == data.count else {
            throw CryptoError(.libcrypto, "EVP_CipherUpdate returned \(outLength) of \(data.count) bytes")
        }
    }

    /// Transforms `input` into `output` (same length).
    @inline(__always)
    func update(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        guard input.count > 0 else { return }
        guard input.count == output.count, input.count <= Int(Int32.max) else {
            throw CryptoError(.invalidLength, "cipher input and output sizes differ")
        }
        var outLength: Int32 = 0
        try check(
            EVP_CipherUpdate(
                ctx, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &outLength,
                input.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(input.count)),
            "EVP_CipherUpdate")
        guard Int(outLength) == input.count else {
            throw CryptoError(.libcrypto, "EVP_CipherUpdate returned \(outLength) of \(input.count) bytes")
        }
    }

    /// Feeds additional authenticated data to an AEAD mode.
    @inline(__always)
    func authenticateOnly(_ aad: UnsafeRawBufferPointer) throws {
        guard aad.count > 0, aad.count <= Int(Int32.max) else { return }
        var outLength: Int32 = 0
        try check(
            EVP_CipherUpdate(ctx, nil, &outLength, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count)),
            "EVP_CipherUpdate (AAD)")
    }

    /// Finishes an AEAD operation; returns false if the tag did not verify.
    @inline(__always)
    func finish() -> Bool {
        var outLength: Int32 = 0
        var scratch: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &scratch) {
            EVP_CipherFinal_ex(ctx, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), &outLength) == 1
        }
    }

    /// Issues an EVP_CIPHER_CTX_ctrl (GCM tag get/set).
    @inline(__always)
    func control(_ type: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws {
        try check(EVP_CIPHER_CTX_ctrl(ctx, type, Int32(buffer.count), buffer.baseAddress), "EVP_CIPHER_CTX_ctrl(\(type))")
    }
}
