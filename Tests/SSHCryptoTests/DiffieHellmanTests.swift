import CLibcrypto
import SSHWire
import Testing
@testable import SSHCrypto

/// One MODP group and the numbers its RFC defines it by:
/// p = 2^n − 2^(n−64) − 1 + 2^64 · (⌊2^(n−130) · π⌋ + k).
struct MODPDefinition: Sendable, CustomTestStringConvertible {
    let name: String
    let group: DiffieHellmanGroup
    let bits: Int
    let k: UInt
    /// libcrypto's own copy of the prime (BN_get_rfc…_prime_…), a second source.
    let libcryptoCopy: @Sendable () -> OpaquePointer?
    var testDescription: String { name }
}

/// Big-number helpers for the tests, on libcrypto's BIGNUM.
enum TestBignum {
    static func bytes(_ bn: OpaquePointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (Int(BN_num_bits(bn)) + 7) / 8)
        _ = BN_bn2bin(bn, &out)
        return out
    }

    /// ≈ 2^scale · arctan(1/x) by the Gregory series, off by at most a few
    /// units per term from truncation.
    static func arctanInverse(_ x: UInt, scale: Int32) throws -> OpaquePointer {
        let sum = try #require(BN_new())
        let term = try #require(BN_new())
        let part = try #require(BN_new())
        defer { BN_free(term); BN_free(part) }
        BN_set_word(term, 1)
        BN_lshift(term, term, scale)
        BN_div_word(term, x)
        BN_copy(sum, term)
        var k: UInt = 1
        while BN_is_zero(term) == 0 {
            BN_div_word(term, x * x)
            BN_copy(part, term)
            BN_div_word(part, 2 * k + 1)
            if k % 2 == 1 { BN_sub(sum, sum, part) } else { BN_add(sum, sum, part) }
            k += 1
        }
        return sum
    }

    /// RFC 2409 §6 / RFC 3526's formula for its n-bit prime, with π from
    /// Machin's formula π = 16·arctan(1/5) − 4·arctan(1/239) and 64 guard bits.
    static func modpPrime(bits n: Int, k: UInt) throws -> [UInt8] {
        let guardBits: Int32 = 64
        let scale = Int32(n - 130) + guardBits
        let pi = try arctanInverse(5, scale: scale)
        let minus = try arctanInverse(239, scale: scale)
        defer { BN_free(pi); BN_free(minus) }
        BN_mul_word(pi, 16)
        BN_mul_word(minus, 4)
        BN_sub(pi, pi, minus)
        BN_rshift(pi, pi, guardBits)      // ⌊2^(n−130) · π⌋
        BN_add_word(pi, k)
        BN_lshift(pi, pi, 64)
        let power = try #require(BN_new())
        defer { BN_free(power) }
        BN_set_word(power, 0)
        BN_set_bit(power, Int32(n))
        BN_add(pi, pi, power)
        BN_set_word(power, 0)
        BN_set_bit(power, Int32(n - 64))
        BN_sub(pi, pi, power)
        BN_sub_word(pi, 1)
        return bytes(pi)
    }
}

@Suite("Finite-field Diffie-Hellman")
struct DiffieHellmanTests {
    static let groups: [MODPDefinition] = [
        MODPDefinition(name: "group1 (RFC 2409 Oakley 2)", group: .group1, bits: 1024, k: 129093,
                       libcryptoCopy: { BN_get_rfc2409_prime_1024(nil) }),
        MODPDefinition(name: "group14", group: .group14, bits: 2048, k: 124476,
                       libcryptoCopy: { BN_get_rfc3526_prime_2048(nil) }),
        MODPDefinition(name: "group16", group: .group16, bits: 4096, k: 240904,
                       libcryptoCopy: { BN_get_rfc3526_prime_4096(nil) }),
        MODPDefinition(name: "group18", group: .group18, bits: 8192, k: 4743158,
                       libcryptoCopy: { BN_get_rfc3526_prime_8192(nil) }),
    ]

    // MARK: Group parameters

    @Test(arguments: DiffieHellmanTests.groups)
    func groupMatchesItsRFCDefinition(definition: MODPDefinition) throws {
        let group = definition.group
        #expect(group.bits == definition.bits)
        #expect(group.p.count == definition.bits / 8)
        #expect(group.g == [2])
        // The RFCs' documented shape: the top and bottom 64 bits are all ones.
        #expect(group.p.prefix(8).allSatisfy { $0 == 0xFF })
        #expect(group.p.suffix(8).allSatisfy { $0 == 0xFF })
        let computed = try TestBignum.modpPrime(bits: definition.bits, k: definition.k)
        #expect(hexString(group.p) == hexString(computed))
    }

    @Test(arguments: DiffieHellmanTests.groups)
    func groupMatchesLibcryptosCopy(definition: MODPDefinition) throws {
        let bn = try #require(definition.libcryptoCopy())
        defer { BN_free(bn) }
        #expect(hexString(definition.group.p) == hexString(TestBignum.bytes(bn)))
    }

    /// RFC 3526 §3 exactly as printed there.
    @Test func group14IsTheDocumentedHex() {
        let rfc3526Section3 = """
            FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
            29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
            EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
            E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
            EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
            C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
            83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
            670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
            E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
            DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
            15728E5A 8AACAA68 FFFFFFFF FFFFFFFF
            """
        #expect(DiffieHellmanGroup.group14.p == hex(rfc3526Section3))
    }

    /// p and (p − 1)/2 are prime (a safe prime) for the two smaller groups;
    /// the larger ones would take seconds and are covered by the formula.
    @Test(arguments: [DiffieHellmanGroup.group1, .group14])
    func smallGroupsAreSafePrimes(group: DiffieHellmanGroup) throws {
        let p = try #require(BN_bin2bn(group.p, Int32(group.p.count), nil))
        let ctx = try #require(BN_CTX_new())
        defer { BN_free(p); BN_CTX_free(ctx) }
        #expect(BN_check_prime(p, ctx, nil) == 1)
        BN_rshift1(p, p)
        #expect(BN_check_prime(p, ctx, nil) == 1)
    }

    // MARK: Agreement

    @Test(arguments: DiffieHellmanTests.groups)
    func freshAgreementsAgree(definition: MODPDefinition) throws {
        let client = try DiffieHellmanKeyAgreement(group: definition.group)
        let server = try DiffieHellmanKeyAgreement(group: definition.group)
        #expect(client.exponentBits == 512)
        #expect(client.publicValue.first != 0)
        #expect(client.publicValue.count <= definition.group.p.count)
        #expect(client.publicValue != server.publicValue)
        let kc = try client.sharedSecret(peerPublicValue: server.publicValue)
        let ks = try server.sharedSecret(peerPublicValue: client.publicValue)
        #expect(kc.count == definition.group.p.count)
        #expect(constantTimeEquals(kc, ks))
    }

    @Test func largerSecurityNeedGivesLargerExponent() throws {
        let client = try DiffieHellmanKeyAgreement(group: .group14, securityBits: 512)
        let server = try DiffieHellmanKeyAgreement(group: .group14, securityBits: 512)
        #expect(client.exponentBits == 1024)
        #expect(constantTimeEquals(try client.sharedSecret(peerPublicValue: server.publicValue),
                                   try server.sharedSecret(peerPublicValue: client.publicValue)))
    }

    @Test func exponentSizeFollowsOpenSSH() {
        #expect(DiffieHellmanKeyAgreement.exponentBits(forSecurityBits: 0, modulusBits: 2048) == 512)
        #expect(DiffieHellmanKeyAgreement.exponentBits(forSecurityBits: 128, modulusBits: 2048) == 512)
        #expect(DiffieHellmanKeyAgreement.exponentBits(forSecurityBits: 256, modulusBits: 2048) == 512)
        #expect(DiffieHellmanKeyAgreement.exponentBits(forSecurityBits: 512, modulusBits: 8192) == 1024)
        #expect(DiffieHellmanKeyAgreement.exponentBits(forSecurityBits: 512, modulusBits: 1024) == 1023)
        #expect(DiffieHellmanKeyAgreement.exponentBits(forSecurityBits: Int.max, modulusBits: 2048) == 2047)
    }

    /// Known answers for group 14 and group 1 with fixed exponents
    /// x = 0x0123456789abcdef repeated 4 times (256 bits) and
    /// y = 0xfedcba9876543210 repeated 4 times. e = 2^x mod p, f = 2^y mod p and
    /// K = f^x mod p (= e^y mod p) were computed with Python's built-in pow()
    /// on the RFC primes (Python 3, /tmp script during development).
    static let x = hex(String(repeating: "0123456789abcdef", count: 4))
    static let y = hex(String(repeating: "fedcba9876543210", count: 4))

    @Test func group14KnownAnswer() throws {
        let client = try DiffieHellmanKeyAgreement(group: .group14, privateExponent: Self.x)
        let server = try DiffieHellmanKeyAgreement(group: .group14, privateExponent: Self.y)
        #expect(client.publicValue == hex("""
            a7383dc35b35b44a7c5fbce0aac79e1189d4aee40391a62a0168b0a5f2aa2ce5
            bc5f465a02da130cf68adc1509dee1c41a8341be9c59e32fc83d665725f3acae
            e06ee07fe1302cef14da974736f2287c8907b959a7f527f151d9c7b278d203b9
            f37f4f14b5639a9dadca80951a4d8dac0890b4b003657dfbf779b6d9f706f0e3
            0eaad5dbb946371e7a48dbc5d05bd8cfd34d710673d98624468334983d6d0ffe
            6b94319b9ca03786ca0afa950c89ac7a9c7ed10f3d26b16d8b65e217029ebc51
            e877d332d0b601cf8500aa2bff76b40f755d9e2ea41d0f4f24a53595518521e0
            2fa6b73fa18180195d4f9682620198f01cba3fe33ac41ece743370904d7da7ab
            """))
        #expect(server.publicValue == hex("""
            dd5d87a6f9df57f13df2c658e501abd72adba34863613bd16769eef955258e36
            11ee8ec542a426e375c6b4d83b717c97f88504b43acc5df03a4904e88d2619df
            b7fb3cda68bc136c468dfedf1c5a5b73046408866fec8949beb587a0a4b6e6c0
            def5f24405385184a69e9dce4208f363adb0e1ce881863eb8d82d4aead5e1c19
            5047d70d9bdc447bda027684b4351d98503fee1bcf827ffd07501701c7f39124
            22dd2f42b26cf40adde07d63e235f42f6521402a90dd2cea4a2e177640742d3c
            ac853e96fa494413fee945972b2423a0f51becf28528c9db926002c50ffe2b1a
            97c978cf488ba29bbb472e7e63282ddd320a15a072d8176075204f7ded293561
            """))
        let k = hex("""
            61fc0d4d01cee152340f52b45328aa11d86e92ce8e8f7ba29180f62d999bc771
            4cbb05efde22bddf6f8dbb00df4efa1c14ea5420acec51cdbdd063fc357bd9ab
            367f1b67c3b1514e2d190550be1d44515ffe65f8f612ad6cc58496d9c3c9397d
            8798a78e524d1f26be6214f466cf9a904d28dd29116e510c7b181eac5549ce1d
            efcc6ca20e80d30d24c0776887f8a3050f8daa586bbb6bd076ea875cc33eef19
            669ec7d44e85df06610b949cd35823a7b1f636af6b4cf18840d45f6e9d1fa73c
            8bc271ba87cdc29b33cf18ee598ef66c76ccedcc09fee1f8ce5c78b3b9e3f529
            14aa67d0b5cb7a7ed12e8397f16bfbe4fbebdd18540d4ca765c10c11adea839f
            """)
        #expect(try client.sharedSecret(peerPublicValue: server.publicValue).bytes == k)
        #expect(try server.sharedSecret(peerPublicValue: client.publicValue).bytes == k)
    }

    @Test func group1KnownAnswer() throws {
        let client = try DiffieHellmanKeyAgreement(group: .group1, privateExponent: Self.x)
        let server = try DiffieHellmanKeyAgreement(group: .group1, privateExponent: Self.y)
        #expect(client.publicValue == hex("""
            8087115ed28670eee8569b39819c1e0003bb1e0f70cadbd632353cb3c71b2c4d
            afe38b35465b8c1fc4c8d838665b3612f2aad22ff8b5fe51da0146e651371d4c
            c2a761e4bfa8bf5a0adff684de103f2e3b8635dad11f1ef6314701c5ba1fc47f
            5e97c9c6d1b93db12ad2e353516a92f841105e21b0112be2d2b7d12d91261fad
            """))
        #expect(server.publicValue == hex("""
            06377c99288b235eb159a163b9c7f2acfa4b4292abd09cc44ff7c109647c3b10
            3e86ea91cd2f822c0603811110b3e9e17b2621476416ed551c4648bdd2c00ce9
            888e096393780f1156dafaeae0aaa820cc7ef249951c50b58a1cfd606085b5b7
            1ff4dec507042549ab9bbcae47d61a07f7a1ea2b546ffb3e479ed2e09f445226
            """))
        let k = hex("""
            50d09ef9f5cd867bfe6840fc352520b2b92605d4ca19c954c0977d7ef36451bc
            6b71a35c11751b06cfacac64301fa66893cc11c888d22b0bef230826eaa145e3
            cf22488ebf79a159c47225b7c13ff295b8e088110e1552d53d635f2836368a16
            fe720e3d365b5e198868069e2638e0785f48021eab47036740058194140af5db
            """)
        #expect(try client.sharedSecret(peerPublicValue: server.publicValue).bytes == k)
        #expect(try server.sharedSecret(peerPublicValue: client.publicValue).bytes == k)
    }

    /// K is p's length with leading zeros kept; the mpint writer strips them.
    /// Vector: x as above, y' = y + 1328, the first offset for which K's top
    /// byte is zero (found and computed with Python's pow()).
    @Test func sharedSecretKeepsLeadingZero() throws {
        let client = try DiffieHellmanKeyAgreement(group: .group14, privateExponent: Self.x)
        let server = try DiffieHellmanKeyAgreement(
            group: .group14,
            privateExponent: hex("fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543740"))
        let k = try client.sharedSecret(peerPublicValue: server.publicValue)
        #expect(k.count == 256)
        #expect(k.bytes.first == 0)
        #expect(k.bytes == hex("""
            00c68c24cff1dce150fb64a23c3f2621ec15d7e911a5d9e94b77b7d22539ec5b
            e6362881488aff18fd5437a99a782a50fe54ff969c2351d7774b7f7563fa73e4
            dd242a575cca739e64c3f674208cb28bf0ffc7d57016c53384fc65e99204dbce
            a0bf1960379cee9405388be961262de2ca1e0a97c4aca553a03d526eb2596a02
            c6c409ac97e864814ab94ca2588f9b7942cabccb8b89250fb1158e1bf4005ad6
            5d315a58fa1076bf6f858c113cb7c4c4637370d3547c0593a3a8a5f95d123ad9
            94fde1c54fa9a8c67e387fb6ab189afcbf0ebb6d7157c88e0e71547b124b44cc
            4f9ebce7c732795552566a8b922f4cd3399b6c53c0683e69f88870a70a370982
            """))
        #expect(try server.sharedSecret(peerPublicValue: client.publicValue).bytes == k.bytes)
        // The mpint drops the zero, then adds a sign byte back because the next
        // byte (0xc6) has its top bit set: 256 bytes again.
        var writer = WireWriter()
        writer.writeMPInt(k.bytes)
        #expect(writer.bytes == [0, 0, 1, 0] + k.bytes)
    }

    // MARK: Hostile peers

    static func subtractOne(_ value: [UInt8]) -> [UInt8] {
        var out = value
        var index = out.count - 1
        while index >= 0 {
            if out[index] > 0 { out[index] -= 1; break }
            out[index] = 0xFF
            index -= 1
        }
        return out
    }

    static func addOne(_ value: [UInt8]) -> [UInt8] {
        var out = value
        var index = out.count - 1
        while index >= 0 {
            if out[index] < 0xFF { out[index] += 1; return out }
            out[index] = 0
            index -= 1
        }
        return [1] + out
    }

    @Test(arguments: [DiffieHellmanGroup.group1, .group14, .group18])
    func invalidPeerValuesAreRefused(group: DiffieHellmanGroup) throws {
        let agreement = try DiffieHellmanKeyAgreement(group: group)
        let p = group.p
        let cases: [(String, [UInt8])] = [
            ("empty (zero)", []),
            ("0", [0]),
            ("1", [1]),
            ("1 with leading zeros", [0, 0, 1]),
            ("2 (one bit set)", [2]),
            ("3 (two bits set)", [3]),
            ("7 (three bits set)", [7]),
            ("2^1000 (one bit set)", [1] + [UInt8](repeating: 0, count: 125)),
            ("p-1", Self.subtractOne(p)),
            ("p", p),
            ("p+1", Self.addOne(p)),
            ("p with a leading zero", [0] + p),
            ("p + 256^len(p)", [0x01] + p),
            ("all ones, one byte longer than p", [UInt8](repeating: 0xFF, count: p.count + 1)),
            ("64 KiB", [UInt8](repeating: 0x5A, count: 65536)),
        ]
        for (name, value) in cases {
            let error = #expect(throws: CryptoError.self, Comment(rawValue: name)) {
                try agreement.sharedSecret(peerPublicValue: value)
            }
            #expect(error?.code == .invalidPublicValue, Comment(rawValue: name))
        }
        // The boundaries themselves are fine: 15 has four bits set, p − 2 is below p − 1.
        _ = try agreement.sharedSecret(peerPublicValue: [0x0F])
        _ = try agreement.sharedSecret(peerPublicValue: Self.subtractOne(Self.subtractOne(p)))
    }

    @Test func fixedExponentWithInvalidPublicValueIsRefused() {
        // 2^1 = 2 has one bit set.
        let error = #expect(throws: CryptoError.self) {
            try DiffieHellmanKeyAgreement(group: .group14, privateExponent: [1])
        }
        #expect(error?.code == .invalidKey)
    }

    // MARK: Group exchange

    @Test func groupExchangeAcceptsASoundGroup() throws {
        let group = try DiffieHellmanGroup(p: DiffieHellmanGroup.group14.p, g: [0, 2])
        #expect(group == .group14)
        let big = try DiffieHellmanGroup(p: [0, 0] + DiffieHellmanGroup.group18.p, g: [5])
        #expect(big.bits == 8192)
        #expect(big.p == DiffieHellmanGroup.group18.p)
        let legacy = try DiffieHellmanGroup(p: DiffieHellmanGroup.group1.p, g: [2], minimumBits: 1024)
        #expect(legacy == .group1)
        // A group-exchange group works for an agreement.
        let a = try DiffieHellmanKeyAgreement(group: group)
        let b = try DiffieHellmanKeyAgreement(group: group)
        #expect(constantTimeEquals(try a.sharedSecret(peerPublicValue: b.publicValue),
                                   try b.sharedSecret(peerPublicValue: a.publicValue)))
    }

    @Test func groupExchangeRefusesBadGroups() throws {
        let p14 = DiffieHellmanGroup.group14.p
        let cases: [(String, [UInt8], [UInt8], Int, Int)] = [
            ("empty p", [], [2], 2048, 8192),
            ("even p", Self.addOne(p14), [2], 2048, 8192),
            ("p below the default minimum", DiffieHellmanGroup.group1.p, [2], 2048, 8192),
            ("p above a caller's maximum", DiffieHellmanGroup.group18.p, [2], 2048, 4096),
            ("p above the default maximum", [0x01] + DiffieHellmanGroup.group18.p, [2], 2048, 8192),
            ("tiny p", [0x17], [5], 2048, 8192),
            ("g = 0", p14, [0], 2048, 8192),
            ("g empty", p14, [], 2048, 8192),
            ("g = 1", p14, [1], 2048, 8192),
            ("g = p-1", p14, Self.subtractOne(p14), 2048, 8192),
            ("g = p", p14, p14, 2048, 8192),
            ("g = p+1", p14, Self.addOne(p14), 2048, 8192),
            ("g huge", p14, [UInt8](repeating: 0xFF, count: 4096), 2048, 8192),
        ]
        for (name, p, g, minimum, maximum) in cases {
            let error = #expect(throws: CryptoError.self, Comment(rawValue: name)) {
                try DiffieHellmanGroup(p: p, g: g, minimumBits: minimum, maximumBits: maximum)
            }
            #expect(error?.code == .invalidPublicValue, Comment(rawValue: name))
        }
        // g = p − 2 is the largest allowed generator.
        _ = try DiffieHellmanGroup(p: p14, g: Self.subtractOne(Self.subtractOne(p14)))
    }
}
