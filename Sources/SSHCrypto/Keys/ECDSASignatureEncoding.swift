import CLibcrypto

/// ECDSASignatureEncoding converts between libcrypto's DER `ECDSA-Sig-Value`
/// (what EVP_DigestSign/Verify speak) and the (r, s) integers SSH carries as
/// two mpints (RFC 5656 §3.1.2).
enum ECDSASignatureEncoding {
    /// DER for the big-endian magnitudes `r` and `s`.
    static func der(r: [UInt8], s: [UInt8]) throws -> [UInt8] {
        guard let sig = ECDSA_SIG_new() else { throw CryptoError.openssl("ECDSA_SIG_new") }
        defer { ECDSA_SIG_free(sig) }
        let rBN = try BigNum(magnitude: r, secure: false)
        let sBN = try BigNum(magnitude: s, secure: false)
        // ECDSA_SIG_set0 takes ownership, so hand it copies.
        guard let rCopy = BN_dup(rBN.pointer) else { throw CryptoError.openssl("BN_dup") }
        guard let sCopy = BN_dup(sBN.pointer) else {
            BN_free(rCopy)
            throw CryptoError.openssl("BN_dup")
        }
        guard ECDSA_SIG_set0(sig, rCopy, sCopy) == 1 else {
            BN_free(rCopy)
            BN_free(sCopy)
            throw CryptoError.openssl("ECDSA_SIG_set0")
        }
        let length = i2d_ECDSA_SIG(sig, nil)
        guard length > 0 else { throw CryptoError.openssl("i2d_ECDSA_SIG") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        guard written == length else { throw CryptoError.openssl("i2d_ECDSA_SIG") }
        return out
    }

    /// The magnitudes (r, s) inside a DER signature libcrypto produced.
    static func components(der: [UInt8]) throws -> (r: [UInt8], s: [UInt8]) {
        let parsed = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw CryptoError.openssl("d2i_ECDSA_SIG") }
        defer { ECDSA_SIG_free(parsed) }
        guard let r = ECDSA_SIG_get0_r(parsed), let s = ECDSA_SIG_get0_s(parsed) else {
            throw CryptoError.openssl("ECDSA_SIG_get0")
        }
        func bytes(_ bn: OpaquePointer) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: (Int(BN_num_bits(bn)) + 7) / 8)
            out.withUnsafeMutableBufferPointer { _ = BN_bn2bin(bn, $0.baseAddress) }
            return out
        }
        return (bytes(r), bytes(s))
    }
}
