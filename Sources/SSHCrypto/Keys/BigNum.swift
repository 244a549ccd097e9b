import CLibcrypto

/// BigNum owns one libcrypto BIGNUM for the arithmetic keys need (RSA CRT
/// exponents, EC scalars) and for handing integers to OSSL_PARAM builders.
///
/// Secret values are created with `secure: true`: libcrypto then keeps them
/// in its secure heap (or at least clears them on free) and, because the
/// flag travels into OSSL_PARAM_BLD, the parameter array built from them is
/// cleared too. Every BigNum is cleared when freed, secret or not.
final class BigNum {
    let pointer: OpaquePointer

    /// A new BIGNUM equal to zero.
    init(secure: Bool) throws {
        guard let p = secure ? BN_secure_new() : BN_new() else {
            throw CryptoError.openssl(secure ? "BN_secure_new" : "BN_new")
        }
        if secure { BN_set_flags(p, BN_FLG_CONSTTIME) }
        pointer = p
    }

    /// A BIGNUM from a big-endian magnitude (leading zeros allowed).
    convenience init(magnitude: some ContiguousBytes, secure: Bool) throws {
        try self.init(secure: secure)
        try magnitude.withUnsafeBytes { raw in
            guard raw.count <= Int(Int32.max) else {
                throw CryptoError(.invalidLength, "integer of \(raw.count) bytes is too large")
            }
            guard raw.count > 0 else { return }
            let p = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            guard BN_bin2bn(p, Int32(raw.count), pointer) != nil else {
                throw CryptoError.openssl("BN_bin2bn")
            }
        }
    }

    /// Wraps a BIGNUM libcrypto allocated for us (EVP_PKEY_get_bn_param).
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { BN_clear_free(pointer) }

    var bitCount: Int { Int(BN_num_bits(pointer)) }
    var byteCount: Int { (bitCount + 7) / 8 }
    var isZero: Bool { BN_is_zero(pointer) == 1 }

    /// The big-endian magnitude without leading zeros (empty for zero).
    /// For a secret, the caller wipes the array when done.
    var magnitude: [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBufferPointer { _ = BN_bn2bin(pointer, $0.baseAddress) }
        return out
    }

    /// The magnitude left-padded with zeros to `width` bytes (fixed-width
    /// scalars); nil if the value does not fit.
    func magnitude(paddedTo width: Int) -> [UInt8]? {
        guard byteCount <= width, width <= Int(Int32.max) else { return nil }
        var out = [UInt8](repeating: 0, count: width)
        let written = out.withUnsafeMutableBufferPointer {
            BN_bn2binpad(pointer, $0.baseAddress, Int32(width))
        }
        return written == Int32(width) ? out : nil
    }

    static func compare(_ a: BigNum, _ b: BigNum) -> Int32 { BN_cmp(a.pointer, b.pointer) }
}

/// BigNumContext owns a BN_CTX scratch area for one computation.
final class BigNumContext {
    let pointer: OpaquePointer

    init() throws {
        guard let p = BN_CTX_secure_new() else { throw CryptoError.openssl("BN_CTX_secure_new") }
        pointer = p
    }

    deinit { BN_CTX_free(pointer) }
}
