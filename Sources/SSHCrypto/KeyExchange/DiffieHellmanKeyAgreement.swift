import CLibcrypto

/// DiffieHellmanKeyAgreement is finite-field Diffie-Hellman (RFC 4253 §8,
/// RFC 4419, RFC 8268): e = g^x mod p is sent, K = f^x mod p is shared.
///
/// Both our e and the peer's f must satisfy OpenSSH's dh_pub_is_valid:
/// 1 < value < p − 1 (RFC 4253 §8 asks for [1, p − 1]; the ends 1 and p − 1 lie
/// in the subgroup of order 2 and would leak K) and at least 4 bits set (a
/// power of two such as 2^k is the public value of a known exponent when g = 2).
public final class DiffieHellmanKeyAgreement: KeyAgreement, @unchecked Sendable {
    // @unchecked: the stored state (the private exponent and immutable values)
    // is only read after init; every computation makes its own BIGNUMs and
    // BN_CTX, and libcrypto only reads the exponent.

    /// The fewest bits a valid public value has set (OpenSSH dh_pub_is_valid).
    static let minimumBitsSet = 4
    /// Attempts at drawing an exponent whose e is valid before giving up. With
    /// a sound group the first draw succeeds with overwhelming probability; a
    /// broken group-exchange generator must not make us loop forever.
    private static let generationAttempts = 8

    public let group: DiffieHellmanGroup
    /// e (or f, on the server): g^x mod p, big-endian without leading zeros.
    public let publicValue: [UInt8]
    /// Bits in the private exponent x.
    public let exponentBits: Int
    /// x: flagged constant-time, cleared on free.
    private let exponent: OwnedBignum

    /// Draws a random exponent x of `exponentBits(forSecurityBits:bits:)` bits
    /// and computes e = g^x mod p, drawing again if e is not a valid public value.
    ///
    /// `securityBits` is the strength the session needs, as OpenSSH reckons it:
    /// the largest key, block, IV or MAC-key size, in bits, of the negotiated
    /// algorithms (its `we_need * 8`). Pollard rho and baby-step giant-step find
    /// an exponent in about the square root of its range, so x gets twice that.
    public init(group: DiffieHellmanGroup, securityBits: Int = 256) throws {
        let bits = Self.exponentBits(forSecurityBits: securityBits, modulusBits: group.bits)
        let x = try OwnedBignum(secret: true)
        for _ in 0..<Self.generationAttempts {
            // Top bit set: x has exactly `bits` bits, so 2^(bits−1) ≤ x < p − 1.
            try check(BN_priv_rand(x.pointer, Int32(bits), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY), "BN_priv_rand")
            let e = try Self.power(base: group.g, exponent: x, modulus: group.p)
            if Self.validationFailure(e, modulus: group.p) == nil {
                self.group = group
                self.publicValue = e
                self.exponentBits = bits
                self.exponent = x
                return
            }
        }
        throw CryptoError(.libcrypto,
                          "could not draw a DH exponent with a valid public value in \(Self.generationAttempts) tries; is the group sound?")
    }

    /// Uses a fixed exponent x (big-endian). For known-answer tests only:
    /// internal so that production code cannot pin an ephemeral key. Throws
    /// `.invalidKey` when g^x mod p is not a valid public value.
    init(group: DiffieHellmanGroup, privateExponent: [UInt8]) throws {
        let x = try OwnedBignum(magnitude: privateExponent, secret: true)
        let e = try Self.power(base: group.g, exponent: x, modulus: group.p)
        if let problem = Self.validationFailure(e, modulus: group.p) {
            throw CryptoError(.invalidKey, "fixed DH exponent gives an invalid public value: \(problem)")
        }
        self.group = group
        self.publicValue = e
        self.exponentBits = x.bitCount
        self.exponent = x
    }

    /// The exponent size OpenSSH's dh_gen_key chooses: twice the needed
    /// security, with the need raised to at least 256 bits (so at least 512),
    /// and at most bits(p) − 1 so that x < p − 1.
    public static func exponentBits(forSecurityBits securityBits: Int, modulusBits: Int) -> Int {
        let need = min(max(securityBits, 256), Int(Int32.max) / 4)
        return max(1, min(2 * need, modulusBits - 1))
    }

    /// K = f^x mod p as bytes of p's length (leading zeros kept), after checking
    /// that f is a valid public value. Also refuses K ≤ 1, which a sound group
    /// and a valid f cannot produce.
    public func sharedSecret(peerPublicValue: [UInt8]) throws -> SecureBytes {
        if let problem = Self.validationFailure(peerPublicValue, modulus: group.p) {
            throw CryptoError(.invalidPublicValue, "DH public value \(problem)")
        }
        let f = try OwnedBignum(magnitude: peerPublicValue, secret: false)
        let p = try OwnedBignum(magnitude: group.p, secret: false)
        let k = try OwnedBignum(secret: true)
        let ctx = try OwnedBignumContext()
        try check(BN_mod_exp_mont_consttime(k.pointer, f.pointer, exponent.pointer, p.pointer, ctx.pointer, nil),
                  "BN_mod_exp_mont_consttime")
        if k.isZero || k.isOne {
            throw CryptoError(.invalidPublicValue, "DH public value gives a degenerate shared secret")
        }
        return try SecureBytes(count: group.p.count) { try k.write(paddedInto: $0) }
    }

    /// Why `value` (a big-endian magnitude) is not a valid public value for
    /// modulus `p`, or nil if it is. Public data only: not constant-time.
    static func validationFailure(_ value: [UInt8], modulus p: [UInt8]) -> String? {
        if compareMagnitudes(value, [1]) <= 0 {
            return "is 0 or 1"
        }
        // p is odd (checked for group exchange, true of the fixed groups), so
        // p − 1 is p with its lowest bit cleared.
        var pMinusOne = Array(p.drop(while: { $0 == 0 }))
        if let last = pMinusOne.indices.last { pMinusOne[last] &= 0xFE }
        if compareMagnitudes(value, pMinusOne) >= 0 {
            return "is not below p-1"
        }
        let bitsSet = value.reduce(0) { $0 + $1.nonzeroBitCount }
        if bitsSet < minimumBitsSet {
            return "has only \(bitsSet) bits set"
        }
        return nil
    }

    /// base^exponent mod modulus, minimal big-endian bytes, in constant time
    /// with respect to the (secret) exponent.
    private static func power(base: [UInt8], exponent: borrowing OwnedBignum, modulus: [UInt8]) throws -> [UInt8] {
        let g = try OwnedBignum(magnitude: base, secret: false)
        let p = try OwnedBignum(magnitude: modulus, secret: false)
        let result = try OwnedBignum(secret: false)
        let ctx = try OwnedBignumContext()
        try check(BN_mod_exp_mont_consttime(result.pointer, g.pointer, exponent.pointer, p.pointer, ctx.pointer, nil),
                  "BN_mod_exp_mont_consttime")
        return result.minimalBytes()
    }
}
