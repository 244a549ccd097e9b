import Testing
@testable import SSHCrypto
import SSHWire

/// One RFC 5903 §8 test: initiator i with public g^i, responder r with g^r,
/// and the x-coordinate of the shared point g^ir. Each vector was also
/// recomputed with an affine-arithmetic Python implementation of the curves.
struct RFC5903Vector: Sendable, CustomTestStringConvertible {
    let curve: ECDHKeyAgreement.Curve
    let i: String, gi: String
    let r: String, gr: String
    let girx: String
    var testDescription: String { curve.rawValue }
}

@Suite("NIST ECDH key agreement")
struct ECDHTests {
    static let rfc5903: [RFC5903Vector] = [
        // §8.1, 256-bit random ECP group.
        RFC5903Vector(
            curve: .p256,
            i: "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
            gi: "04 DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
                + " 5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
            r: "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
            gr: "04 D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
                + " 56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
            girx: "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"),
        // §8.2, 384-bit random ECP group.
        RFC5903Vector(
            curve: .p384,
            i: "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
            gi: "04 667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA"
                + " 9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
            r: "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC",
            gr: "04 E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571"
                + " DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
            girx: "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"),
        // §8.3, 521-bit random ECP group.
        RFC5903Vector(
            curve: .p521,
            i: "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A095AA85A30FE1C2952C6771D937BA9777"
                + "F5957B2639BAB072462F68C27A57382D4A52",
            gi: "04 0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBEE1E3BF42E00B8E380AEAE57C2D1075"
                + "64941885942AF5A7F4601723C4195D176CED3E"
                + " 017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10AD8A788015AC405D7799DC75E7B7D5B"
                + "6CF2261A6A7F1507438BF01BEB6CA3926F9582",
            r: "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E9C677D600B343757A3BDBF2A3163E4C2"
                + "F869CCA7458AA4A4EFFC311F5CB151685EB9",
            gr: "04 00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A219B97C356436ADC6E95BB0352F6BE"
                + "64A6C2912D4EF2D0433CED2B6171640012D9460F"
                + " 015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87220B6536C5C408A1D2AEBB8E86D678"
                + "AE49CB57091F4732296579AB44FCD17F0FC56A",
            girx: "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04D1427E73CA4BAA240A34786859810C06"
                + "B3C715A3A8CC3151F2BEE417996D19F3DDEA"),
    ]

    /// The field primes, to build coordinates that are out of range.
    static func fieldPrime(_ curve: ECDHKeyAgreement.Curve) -> [UInt8] {
        switch curve {
        case .p256: hex("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF")
        case .p384: hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF")
        case .p521: [0x01] + [UInt8](repeating: 0xFF, count: 65)
        }
    }

    @Test(arguments: ECDHTests.rfc5903)
    func rfc5903KnownAnswerBothDirections(vector: RFC5903Vector) throws {
        let initiator = try ECDHKeyAgreement(curve: vector.curve, privateKey: hex(vector.i))
        let responder = try ECDHKeyAgreement(curve: vector.curve, privateKey: hex(vector.r))
        #expect(hexString(initiator.publicValue) == hexString(hex(vector.gi)))
        #expect(hexString(responder.publicValue) == hexString(hex(vector.gr)))
        let expected = hexString(hex(vector.girx))
        #expect(hexString(try initiator.sharedSecret(peerPublicValue: hex(vector.gr)).bytes) == expected)
        #expect(hexString(try responder.sharedSecret(peerPublicValue: hex(vector.gi)).bytes) == expected)
    }

    @Test(arguments: ECDHKeyAgreement.Curve.allCases)
    func freshKeysAgree(curve: ECDHKeyAgreement.Curve) throws {
        let client = try ECDHKeyAgreement(curve: curve)
        let server = try ECDHKeyAgreement(curve: curve)
        #expect(client.publicValue.count == curve.publicValueSize)
        #expect(client.publicValue.first == 0x04)
        #expect(client.publicValue != server.publicValue)
        let kc = try client.sharedSecret(peerPublicValue: server.publicValue)
        let ks = try server.sharedSecret(peerPublicValue: client.publicValue)
        #expect(kc.count == curve.fieldSize)
        #expect(constantTimeEquals(kc, ks))
    }

    /// K is the x-coordinate at full field width, leading zero kept (the mpint
    /// writer strips it). Vector: RFC 5903 §8.1's i and the responder scalar
    /// 0x137, found by a Python search over small scalars for an x-coordinate
    /// whose first byte is zero; r·G and x(i·r·G) computed in the same script.
    @Test func sharedSecretKeepsLeadingZero() throws {
        let initiator = try ECDHKeyAgreement(curve: .p256, privateKey: hex(Self.rfc5903[0].i))
        let responder = try ECDHKeyAgreement(curve: .p256, privateKey: [0x01, 0x37])
        #expect(hexString(responder.publicValue) == "04"
            + "b27173911c0025f9cae5391a2bae96c4e77de6dfa8c487f44f5f7b8944247ecf"
            + "52cbbc5ed3b99d62dc4fd6939384e2806aedc4606e8f899990d017c909870c48")
        let k = try initiator.sharedSecret(peerPublicValue: responder.publicValue)
        #expect(k.count == 32)
        #expect(hexString(k.bytes) == "0046ca4f92457c842b7992451c88fe61e833773a46384393b8346a280b2358aa")
        #expect(constantTimeEquals(k, try responder.sharedSecret(peerPublicValue: initiator.publicValue)))

        var writer = WireWriter()
        writer.writeMPInt(k.bytes)
        #expect(writer.bytes.count == 4 + 31)
    }

    // MARK: Hostile peers

    static func refuse(_ agreement: ECDHKeyAgreement, _ value: [UInt8], _ comment: Comment) {
        let error = #expect(throws: CryptoError.self, comment) {
            try agreement.sharedSecret(peerPublicValue: value)
        }
        #expect(error?.code == .invalidPublicValue, comment)
    }

    @Test(arguments: ECDHKeyAgreement.Curve.allCases)
    func malformedEncodingsAreRefused(curve: ECDHKeyAgreement.Curve) throws {
        let agreement = try ECDHKeyAgreement(curve: curve)
        let good = try ECDHKeyAgreement(curve: curve).publicValue
        let size = curve.fieldSize
        Self.refuse(agreement, [], "empty")
        Self.refuse(agreement, [0x00], "point at infinity")
        Self.refuse(agreement, [0x04], "lone tag")
        Self.refuse(agreement, Array(good.dropLast()), "one byte short")
        Self.refuse(agreement, good + [0], "one byte long")
        Self.refuse(agreement, [0x02 | (good.last! & 1)] + good[1...size], "compressed form")
        Self.refuse(agreement, [0x06 | (good.last! & 1)] + good.dropFirst(), "hybrid form")
        Self.refuse(agreement, [0x05] + good.dropFirst(), "unknown form")
        Self.refuse(agreement, [0x04] + [UInt8](repeating: 0, count: 2 * size), "(0, 0)")
        // A point of the right length whose encoding a compressed-point parser
        // would misread must not slip through either.
        Self.refuse(agreement, [0x02] + good.dropFirst(), "0x02 tag on an uncompressed-length value")
    }

    @Test(arguments: ECDHKeyAgreement.Curve.allCases)
    func pointOffTheCurveIsRefused(curve: ECDHKeyAgreement.Curve) throws {
        let agreement = try ECDHKeyAgreement(curve: curve)
        var bad = try ECDHKeyAgreement(curve: curve).publicValue
        bad[bad.count - 1] ^= 1
        Self.refuse(agreement, bad, "y off by one")
        var badX = try ECDHKeyAgreement(curve: curve).publicValue
        badX[1 + curve.fieldSize / 2] ^= 0x10
        Self.refuse(agreement, badX, "x altered")
    }

    @Test(arguments: ECDHKeyAgreement.Curve.allCases)
    func coordinatesNotBelowThePrimeAreRefused(curve: ECDHKeyAgreement.Curve) throws {
        let agreement = try ECDHKeyAgreement(curve: curve)
        let p = Self.fieldPrime(curve)
        let size = curve.fieldSize
        let padded = [UInt8](repeating: 0, count: size - p.count) + p
        let good = try ECDHKeyAgreement(curve: curve).publicValue
        let y = Array(good[(1 + size)...])
        let x = Array(good[1...size])
        Self.refuse(agreement, [0x04] + padded + y, "x = p")
        Self.refuse(agreement, [0x04] + x + padded, "y = p")
        Self.refuse(agreement, [0x04] + [UInt8](repeating: 0xFF, count: 2 * size), "x = y = all ones")
    }

    /// P-521 coordinates have 7 spare bits, so x + p still fits: the generator
    /// with x written unreduced is congruent to a valid point and must still be
    /// refused (SEC1 requires 0 ≤ x < p).
    @Test func unreducedP521CoordinateIsRefused() throws {
        let agreement = try ECDHKeyAgreement(curve: .p521)
        let generator = try ECDHKeyAgreement(curve: .p521, privateKey: [1]).publicValue
        let x = Array(generator[1...66])
        let p = Self.fieldPrime(.p521)
        var sum = [UInt8](repeating: 0, count: 66)
        var carry = 0
        for index in stride(from: 65, through: 0, by: -1) {
            let total = Int(x[index]) + Int(p[index]) + carry
            sum[index] = UInt8(total & 0xFF)
            carry = total >> 8
        }
        #expect(carry == 0)
        // Sanity: the reduced generator itself is accepted.
        _ = try agreement.sharedSecret(peerPublicValue: generator)
        Self.refuse(agreement, [0x04] + sum + Array(generator[67...]), "x + p")
    }

    @Test func testInitializerRefusesScalarOutOfRange() throws {
        // n of P-256.
        let n = hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")
        for scalar in [[], [0], n, [UInt8](repeating: 0xFF, count: 32), [UInt8](repeating: 1, count: 33)] {
            let error = #expect(throws: CryptoError.self) { try ECDHKeyAgreement(curve: .p256, privateKey: scalar) }
            #expect(error?.code == .invalidKey)
        }
        var nMinusOne = n
        nMinusOne[31] -= 1
        _ = try ECDHKeyAgreement(curve: .p256, privateKey: nMinusOne)
    }
}
