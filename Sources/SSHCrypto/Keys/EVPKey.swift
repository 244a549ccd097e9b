import CLibcrypto

/// EVPKey owns one libcrypto EVP_PKEY (public or private) and frees it.
///
/// The key is never mutated after it is built, which is what makes sharing it
/// between threads safe: OpenSSL 3 allows concurrent signing and verifying
/// with one EVP_PKEY as long as each operation has its own EVP_MD_CTX.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    /// libcrypto's key-management names for the key families ferry builds.
    enum Family: String {
        /// RSA keys (ssh-rsa).
        case rsa = "RSA"
        /// Elliptic-curve keys on a named group (ecdsa-sha2-nistp*).
        case ec = "EC"
        /// Ed25519 keys (ssh-ed25519).
        case ed25519 = "ED25519"
    }

    /// What EVP_PKEY_fromdata should import: OSSL_KEYMGMT_SELECT_* bits.
    /// Spelled out because the EVP_PKEY_PUBLIC_KEY / EVP_PKEY_KEYPAIR macros
    /// are composites Swift does not import.
    enum Selection: Int32 {
        /// EVP_PKEY_PUBLIC_KEY: domain parameters + public key.
        case publicKey = 0x86
        /// EVP_PKEY_KEYPAIR: domain parameters + public + private key.
        case keyPair = 0x87
    }

    /// Builds a key from named parameters (EVP_PKEY_fromdata).
    static func fromParameters(_ family: Family, _ selection: Selection, _ parameters: OSSLParameters) throws -> EVPKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, family.rawValue, nil) else {
            throw CryptoError.openssl("EVP_PKEY_CTX_new_from_name(\(family.rawValue))")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_fromdata_init(ctx), "EVP_PKEY_fromdata_init")
        var key: OpaquePointer?
        let result = try parameters.withParameters { EVP_PKEY_fromdata(ctx, &key, selection.rawValue, $0) }
        guard result == 1, let key else { throw CryptoError.openssl("EVP_PKEY_fromdata(\(family.rawValue))") }
        return EVPKey(taking: key)
    }

    /// An Ed25519 public key from its 32 bytes.
    static func ed25519(publicKey: some ContiguousBytes) throws -> EVPKey {
        let key = publicKey.withUnsafeBytes {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count)
        }
        guard let key else { throw CryptoError.openssl("EVP_PKEY_new_raw_public_key") }
        return EVPKey(taking: key)
    }

    /// An Ed25519 private key from its 32-byte seed (RFC 8032's "private key").
    static func ed25519(seed: some ContiguousBytes) throws -> EVPKey {
        let key = seed.withUnsafeBytes {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count)
        }
        guard let key else { throw CryptoError.openssl("EVP_PKEY_new_raw_private_key") }
        return EVPKey(taking: key)
    }

    /// A fresh random key. `configure` sets family-specific options (curve,
    /// modulus size) on the key-generation context.
    static func generate(_ family: Family, configure: (OpaquePointer) throws -> Void) throws -> EVPKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, family.rawValue, nil) else {
            throw CryptoError.openssl("EVP_PKEY_CTX_new_from_name(\(family.rawValue))")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
        try configure(ctx)
        var key: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &key) == 1, let key else { throw CryptoError.openssl("EVP_PKEY_generate") }
        return EVPKey(taking: key)
    }

    /// Runs libcrypto's own consistency checks on a public key (for EC: the
    /// point is on the curve, not at infinity, coordinates in range).
    func checkPublic() -> Bool {
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil) else {
            ERR_clear_error()
            return false
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        let ok = EVP_PKEY_public_check(ctx) == 1
        if !ok { ERR_clear_error() }
        return ok
    }

    /// An integer parameter ("n", "e", "d", "rsa-factor1", "priv"…).
    func integer(_ name: String) throws -> BigNum {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pointer, name, &bn) == 1, let bn else {
            throw CryptoError.openssl("EVP_PKEY_get_bn_param(\(name))")
        }
        return BigNum(taking: bn)
    }

    /// An octet-string parameter ("pub" for an EC point).
    func octets(_ name: String, maxLength: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: maxLength)
        var length = 0
        let result = out.withUnsafeMutableBufferPointer {
            EVP_PKEY_get_octet_string_param(pointer, name, $0.baseAddress, $0.count, &length)
        }
        guard result == 1, length <= maxLength else {
            throw CryptoError.openssl("EVP_PKEY_get_octet_string_param(\(name))")
        }
        out.removeLast(maxLength - length)
        return out
    }

    /// The raw public key of an Ed25519 key.
    func rawPublicKey() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = out.count
        let result = out.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_public_key(pointer, $0.baseAddress, &length) }
        guard result == 1, length == 32 else { throw CryptoError.openssl("EVP_PKEY_get_raw_public_key") }
        return out
    }

    /// The raw private key (seed) of an Ed25519 key, in wiped storage.
    func rawPrivateKey() throws -> SecureBytes {
        try SecureBytes(count: 32) { buffer in
            var length = buffer.count
            let result = EVP_PKEY_get_raw_private_key(pointer, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
            guard result == 1, length == 32 else { throw CryptoError.openssl("EVP_PKEY_get_raw_private_key") }
        }
    }
}

/// Calls `body` with a pointer to `data`, never nil: libcrypto's one-shot
/// sign/verify functions are not all happy with a NULL message of length 0.
func withMessagePointer<R>(_ data: [UInt8], _ body: (UnsafePointer<UInt8>, Int) throws -> R) rethrows -> R {
    if data.isEmpty {
        var zero: UInt8 = 0
        return try withUnsafePointer(to: &zero) { try body($0, 0) }
    }
    return try data.withUnsafeBufferPointer { buffer in
        // A non-empty array always has storage.
        guard let base = buffer.baseAddress else {
            var zero: UInt8 = 0
            return try withUnsafePointer(to: &zero) { try body($0, 0) }
        }
        return try body(base, buffer.count)
    }
}
