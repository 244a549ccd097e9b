import CLibcrypto

/// X25519KeyAgreement is curve25519-sha256 (RFC 8731): Diffie-Hellman on
/// Curve25519's Montgomery form (RFC 7748), computed by libcrypto.
///
/// The public value is the 32-byte little-endian u-coordinate as X25519
/// produces it; K is the 32 output bytes as they come, which SSH reads as a
/// big-endian integer (RFC 8731 §3.1), so K keeps its leading zero bytes here.
public final class X25519KeyAgreement: KeyAgreement, @unchecked Sendable {
    // @unchecked: the only stored state is the EVP_PKEY (read-only after init;
    // libcrypto allows concurrent read-only use of a key, and every derivation
    // makes its own EVP_PKEY_CTX) and an immutable array.

    /// Size in bytes of a public value, a private key, and the shared secret.
    public static let keySize = 32

    public let publicValue: [UInt8]
    private let key: OpaquePointer

    /// Generates a fresh private key.
    public convenience init() throws {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nil) else {
            throw CryptoError.openssl("EVP_PKEY_CTX_new_id(X25519)")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
        var generated: OpaquePointer?
        try check(EVP_PKEY_keygen(ctx, &generated), "EVP_PKEY_keygen")
        guard let generated else { throw CryptoError.openssl("EVP_PKEY_keygen") }
        try self.init(taking: generated)
    }

    /// Uses a fixed 32-byte private key (clamped by X25519 as RFC 7748 says).
    /// For known-answer tests only: internal so that production code cannot pin
    /// an ephemeral key.
    convenience init(privateKey: [UInt8]) throws {
        guard privateKey.count == Self.keySize else {
            throw CryptoError(.invalidKey, "X25519 private key must be 32 bytes, not \(privateKey.count)")
        }
        guard let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nil, privateKey, privateKey.count) else {
            throw CryptoError.openssl("EVP_PKEY_new_raw_private_key(X25519)")
        }
        try self.init(taking: key)
    }

    /// Takes ownership of `key` (freed here on failure).
    private init(taking key: OpaquePointer) throws {
        var pub = [UInt8](repeating: 0, count: Self.keySize)
        var length = pub.count
        guard EVP_PKEY_get_raw_public_key(key, &pub, &length) == 1, length == Self.keySize else {
            EVP_PKEY_free(key)
            throw CryptoError.openssl("EVP_PKEY_get_raw_public_key(X25519)")
        }
        self.key = key
        self.publicValue = pub
    }

    deinit {
        // Frees the key; libcrypto clears X25519 private key storage on free.
        EVP_PKEY_free(key)
    }

    /// X25519(our private key, peer's u-coordinate). The peer value must be
    /// exactly 32 bytes; its top bit is ignored and non-canonical values
    /// (u ≥ 2^255 − 19) are reduced, as RFC 7748 §5 requires for interop. A
    /// low-order point gives an all-zero secret, which RFC 7748 §6.1 and
    /// RFC 8731 §3 require us to refuse: it would be known to an attacker.
    public func sharedSecret(peerPublicValue: [UInt8]) throws -> SecureBytes {
        guard peerPublicValue.count == Self.keySize else {
            throw CryptoError(.invalidPublicValue,
                              "X25519 public value must be 32 bytes, not \(peerPublicValue.count)")
        }
        guard let peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nil, peerPublicValue, peerPublicValue.count)
        else {
            ERR_clear_error()
            throw CryptoError(.invalidPublicValue, "X25519 public value was refused by libcrypto")
        }
        defer { EVP_PKEY_free(peer) }
        guard let ctx = EVP_PKEY_CTX_new(key, nil) else { throw CryptoError.openssl("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_derive_init(ctx), "EVP_PKEY_derive_init")
        if EVP_PKEY_derive_set_peer(ctx, peer) != 1 {
            ERR_clear_error()
            throw CryptoError(.invalidPublicValue, "X25519 public value was refused by libcrypto")
        }
        return try SecureBytes(count: Self.keySize) { out in
            guard let base = out.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                throw CryptoError(.libcrypto, "no buffer for the X25519 secret")
            }
            var length = out.count
            // libcrypto's X25519 itself fails when the result is all zeros, so a
            // failure here with a well-formed key pair means a low-order point.
            if EVP_PKEY_derive(ctx, base, &length) != 1 {
                ERR_clear_error()
                throw CryptoError(.invalidPublicValue,
                                  "X25519 public value is a low-order point (the shared secret would be all zeros)")
            }
            guard length == Self.keySize else {
                throw CryptoError(.libcrypto, "X25519 produced \(length) bytes instead of 32")
            }
            // Checked again here so the rule holds whatever libcrypto does.
            var accumulated: UInt8 = 0
            for byte in out { accumulated |= byte }
            if accumulated == 0 {
                throw CryptoError(.invalidPublicValue,
                                  "X25519 public value is a low-order point (the shared secret is all zeros)")
            }
        }
    }
}
