import CLibcrypto

/// Poly1305 (RFC 8439 §2.5) through libcrypto's EVP_MAC, keyed afresh for
/// every message as the SSH AEAD requires. One context is kept and re-keyed,
/// so computing a tag does not allocate.
final class Poly1305 {
    /// The MAC implementation, fetched once per process.
    private nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MAC_fetch(nil, "POLY1305", nil)

    private let ctx: OpaquePointer

    static let keyLength = 32
    static let tagLength = 16

    init() throws {
        guard let mac = Poly1305.algorithm else { throw CryptoError.openssl("EVP_MAC_fetch(POLY1305)") }
        guard let ctx = EVP_MAC_CTX_new(mac) else { throw CryptoError.openssl("EVP_MAC_CTX_new") }
        self.ctx = ctx
    }

    deinit { EVP_MAC_CTX_free(ctx) }

    /// Writes the 16-byte tag of `message` under the one-time `key` into `tag`.
    @inline(__always)
    func authenticate(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, tag: UnsafeMutableRawBufferPointer) throws {
        guard key.count == Poly1305.keyLength, tag.count >= Poly1305.tagLength else {
            throw CryptoError(.invalidLength, "Poly1305 needs a 32-byte key and a 16-byte tag buffer")
        }
        try check(EVP_MAC_init(ctx, key.baseAddress?.assumingMemoryBound(to: UInt8.self), key.count, nil), "EVP_MAC_init(POLY1305)")
        if message.count > 0 {
            try check(EVP_MAC_update(ctx, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count), "EVP_MAC_update")
        }
        var written = 0
        try check(EVP_MAC_final(ctx, tag.baseAddress?.assumingMemoryBound(to: UInt8.self), &written, Poly1305.tagLength), "EVP_MAC_final")
        guard written == Poly1305.tagLength else { throw CryptoError(.libcrypto, "Poly1305 produced \(written) bytes") }
    }
}
