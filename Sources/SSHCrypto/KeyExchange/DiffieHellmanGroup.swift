/// DiffieHellmanGroup is a finite-field Diffie-Hellman group: a prime modulus p
/// and a generator g, as big-endian magnitudes without leading zeros.
///
/// The fixed groups are the ones SSH names (RFC 4253 §8, RFC 8268); a group
/// from diffie-hellman-group-exchange (RFC 4419) comes from the server and goes
/// through `init(p:g:minimumBits:maximumBits:)`, which checks it.
public struct DiffieHellmanGroup: Sendable, Hashable {
    /// The prime modulus p, big-endian, no leading zeros.
    public let p: [UInt8]
    /// The generator g, big-endian, no leading zeros.
    public let g: [UInt8]
    /// The size of p in bits.
    public let bits: Int

    /// OpenSSH's DH_GRP_MIN: the smallest group-exchange modulus accepted by default.
    public static let defaultMinimumBits = 2048
    /// OpenSSH's DH_GRP_MAX: the largest group-exchange modulus accepted by default.
    public static let defaultMaximumBits = 8192

    /// RFC 2409 §6.2 Oakley group 2 (1024 bits), which SSH calls "group1"
    /// (diffie-hellman-group1-sha1). Too small to be safe today: offer it only
    /// when the user asks for a legacy server explicitly.
    public static let group1 = DiffieHellmanGroup(trustedHex: DiffieHellmanGroupPrimes.oakley2)
    /// RFC 3526 group 14 (2048 bits): diffie-hellman-group14-sha1/-sha256.
    public static let group14 = DiffieHellmanGroup(trustedHex: DiffieHellmanGroupPrimes.modp2048)
    /// RFC 3526 group 16 (4096 bits): diffie-hellman-group16-sha512.
    public static let group16 = DiffieHellmanGroup(trustedHex: DiffieHellmanGroupPrimes.modp4096)
    /// RFC 3526 group 18 (8192 bits): diffie-hellman-group18-sha512.
    public static let group18 = DiffieHellmanGroup(trustedHex: DiffieHellmanGroupPrimes.modp8192)

    /// A group a server sent in SSH_MSG_KEX_DH_GEX_GROUP, checked the way
    /// OpenSSH's client checks it: p odd and of `minimumBits…maximumBits` bits,
    /// and 1 < g < p − 1. Leading zero bytes are ignored.
    ///
    /// Primality of p is not tested (an 8192-bit test costs seconds, and OpenSSH
    /// does not either): the server signs the exchange hash, which covers p and
    /// g, so a bad group can only come from the authenticated server itself.
    /// Throws `.invalidPublicValue` naming the broken rule.
    public init(p: [UInt8], g: [UInt8],
                minimumBits: Int = DiffieHellmanGroup.defaultMinimumBits,
                maximumBits: Int = DiffieHellmanGroup.defaultMaximumBits) throws {
        let p = Array(p.drop(while: { $0 == 0 }))
        let g = Array(g.drop(while: { $0 == 0 }))
        let bits = bitLength(ofMagnitude: p)
        guard bits >= minimumBits, bits <= maximumBits else {
            throw CryptoError(.invalidPublicValue,
                              "DH group modulus has \(bits) bits; accepted are \(minimumBits) to \(maximumBits)")
        }
        guard let last = p.last, last & 1 == 1 else {
            throw CryptoError(.invalidPublicValue, "DH group modulus is even, so it is not a prime")
        }
        // p is odd, so p − 1 is p with its lowest bit cleared.
        var pMinusOne = p
        pMinusOne[pMinusOne.count - 1] &= 0xFE
        guard compareMagnitudes(g, [1]) > 0, compareMagnitudes(g, pMinusOne) < 0 else {
            throw CryptoError(.invalidPublicValue, "DH group generator is not in the range 1 < g < p-1")
        }
        self.p = p
        self.g = g
        self.bits = bits
    }

    /// One of the fixed groups: p from hex text checked by the tests, g = 2.
    private init(trustedHex: String) {
        p = Self.bytes(fromHex: trustedHex)
        g = [2]
        bits = bitLength(ofMagnitude: p)
    }

    /// Parses hex digits, skipping whitespace. Only for the constants above
    /// (never peer input); a stray character would be skipped, and the tests
    /// compare every group with its definition.
    private static func bytes(fromHex text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for c in text.utf8 {
            let nibble: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
            default: continue
            }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }
}
