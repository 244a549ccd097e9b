import CLibcrypto

/// OwnedBignum owns one libcrypto BIGNUM for the length of a scope or the life
/// of an object, and frees it exactly once.
///
/// It is non-copyable so two owners can never free the same BIGNUM. A secret
/// one (a private exponent or scalar, a shared secret) is flagged
/// BN_FLG_CONSTTIME, which steers libcrypto onto its constant-time code paths,
/// and is freed with BN_clear_free so its limbs are zeroed.
struct OwnedBignum: ~Copyable {
    /// The BIGNUM; valid until this value is destroyed. Never free it.
    let pointer: OpaquePointer
    private let isSecret: Bool

    /// A new BIGNUM holding zero.
    init(secret: Bool) throws {
        pointer = try Self.allocate(secret: secret)
        isSecret = secret
    }

    /// A BIGNUM holding the unsigned big-endian integer `magnitude` (zero if empty).
    init<C: ContiguousBytes>(magnitude: C, secret: Bool) throws {
        pointer = try magnitude.withUnsafeBytes { raw in
            guard raw.count <= Int(Int32.max) else {
                throw CryptoError(.invalidLength, "integer of \(raw.count) bytes is too large")
            }
            let bn = try Self.allocate(secret: secret)
            let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            guard BN_bin2bn(base, Int32(raw.count), bn) != nil else {
                BN_clear_free(bn)
                throw CryptoError.openssl("BN_bin2bn")
            }
            return bn
        }
        isSecret = secret
    }

    private static func allocate(secret: Bool) throws -> OpaquePointer {
        guard let bn = secret ? BN_secure_new() : BN_new() else { throw CryptoError.openssl("BN_new") }
        if secret { BN_set_flags(bn, BN_FLG_CONSTTIME) }
        return bn
    }

    /// The number of significant bits (0 for zero).
    var bitCount: Int { Int(BN_num_bits(pointer)) }

    var isZero: Bool { BN_is_zero(pointer) == 1 }
    var isOne: Bool { BN_is_one(pointer) == 1 }

    /// The magnitude as big-endian bytes without leading zeros (empty for zero).
    func minimalBytes() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (bitCount + 7) / 8)
        out.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) {
                _ = BN_bn2bin(pointer, base)
            }
        }
        return out
    }

    /// Writes the magnitude big-endian into all of `out`, left-padded with zeros.
    func write(paddedInto out: UnsafeMutableRawBufferPointer) throws {
        guard out.count <= Int(Int32.max), let base = out.baseAddress?.assumingMemoryBound(to: UInt8.self),
              BN_bn2binpad(pointer, base, Int32(out.count)) == Int32(out.count)
        else {
            throw CryptoError(.libcrypto, "integer of \(bitCount) bits does not fit in \(out.count) bytes")
        }
    }

    deinit {
        if isSecret { BN_clear_free(pointer) } else { BN_free(pointer) }
    }
}

/// A BN_CTX (libcrypto's scratch space for big-number arithmetic) for one
/// computation. BN_CTX_free clears the temporaries it handed out, which may
/// have held secret intermediates.
struct OwnedBignumContext: ~Copyable {
    let pointer: OpaquePointer

    init() throws {
        guard let ctx = BN_CTX_secure_new() else { throw CryptoError.openssl("BN_CTX_new") }
        pointer = ctx
    }

    deinit { BN_CTX_free(pointer) }
}

/// Compares two unsigned big-endian magnitudes (leading zeros allowed):
/// negative, zero or positive as `a` is less than, equal to or greater than `b`.
/// For public values only: the running time depends on the data.
func compareMagnitudes<A: Collection, B: Collection>(_ a: A, _ b: B) -> Int
where A.Element == UInt8, B.Element == UInt8 {
    let a = a.drop(while: { $0 == 0 })
    let b = b.drop(while: { $0 == 0 })
    if a.count != b.count { return a.count < b.count ? -1 : 1 }
    for (x, y) in zip(a, b) where x != y {
        return x < y ? -1 : 1
    }
    return 0
}

/// The number of significant bits of an unsigned big-endian magnitude.
func bitLength<C: Collection>(ofMagnitude bytes: C) -> Int where C.Element == UInt8 {
    let trimmed = bytes.drop(while: { $0 == 0 })
    guard let first = trimmed.first else { return 0 }
    return (trimmed.count - 1) * 8 + (8 - first.leadingZeroBitCount)
}
