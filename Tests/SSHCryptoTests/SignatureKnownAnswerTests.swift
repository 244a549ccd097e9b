import SSHWire
import Testing
@testable import SSHCrypto

/// Known answers: RFC 8032 §7.1 (Ed25519, exact signatures), RFC 6979
/// A.2.5–A.2.7 (ECDSA "sample", verified as published), and a recorded
/// OpenSSL RSA PKCS#1 v1.5 key (exact signatures).
@Suite struct SignatureKnownAnswerTests {
    /// Splits a signature blob into its name and signature bytes.
    static func unwrap(_ blob: [UInt8]) throws -> (String, [UInt8]) {
        var reader = WireReader(blob)
        let name = try reader.readUTF8()
        let body = Array(try reader.readString())
        try reader.expectEnd()
        return (name, body)
    }

    static func blob(_ name: String, _ body: [UInt8]) -> [UInt8] {
        var writer = WireWriter()
        writer.writeString(name)
        writer.writeString(body)
        return writer.bytes
    }

    // MARK: Ed25519 — RFC 8032 §7.1

    struct Ed25519Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var secret: String
        var publicKey: String
        var message: String
        var signature: String
        var testDescription: String { name }
    }

    static let ed25519Vectors = [
        Ed25519Vector(
            name: "TEST 1",
            secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            message: "",
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        Ed25519Vector(
            name: "TEST 2",
            secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            message: "72",
            signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        Ed25519Vector(
            name: "TEST 3",
            secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            message: "af82",
            signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
        Ed25519Vector(
            name: "TEST SHA(abc)",
            secret: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
            publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
            message: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            signature: "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"),
    ]

    @Test(arguments: ed25519Vectors)
    func ed25519RFC8032(_ vector: Ed25519Vector) throws {
        let key = try SSHPrivateKey(ed25519Seed: hex(vector.secret))
        guard case .ed25519(let publicKey) = key.publicKey.components else {
            Issue.record("not an Ed25519 key")
            return
        }
        #expect(hexString(publicKey) == vector.publicKey)
        let message = hex(vector.message)
        let blob = try key.sign(message)
        let (name, body) = try Self.unwrap(blob)
        #expect(name == "ssh-ed25519")
        #expect(hexString(body) == vector.signature)
        try key.publicKey.verify(signature: Self.blob("ssh-ed25519", hex(vector.signature)), for: message)
    }

    // MARK: ECDSA — RFC 6979 A.2.5, A.2.6, A.2.7, message "sample"

    struct ECDSAVector: Sendable, CustomTestStringConvertible {
        var curve: ECCurve
        var x: String
        var ux: String
        var uy: String
        var r: String
        var s: String
        var testDescription: String { curve.rawValue }
    }

    static let ecdsaVectors = [
        ECDSAVector(
            curve: .nistp256,
            x: "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
            ux: "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
            uy: "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299",
            r: "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
            s: "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"),
        ECDSAVector(
            curve: .nistp384,
            x: "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5",
            ux: "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64DEF8F0EA9055866064A254515480BC13",
            uy: "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1288B231C3AE0D4FE7344FD2533264720",
            r: "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46",
            s: "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8"),
        ECDSAVector(
            curve: .nistp521,
            x: "00FAD06DAA62BA3B25D2FB40133DA757205DE67F5BB0018FEE8C86E1B68C7E75CAA896EB32F1F47C70855836A6D16FCC1466F6D8FBEC67DB89EC0C08B0E996B83538",
            ux: "01894550D0785932E00EAA23B694F213F8C3121F86DC97A04E5A7167DB4E5BCD371123D46E45DB6B5D5370A7F20FB633155D38FFA16D2BD761DCAC474B9A2F5023A4",
            uy: "00493101C962CD4D2FDDF782285E64584139C2F91B47F87FF82354D6630F746A28A0DB25741B5B34A828008B22ACC23F924FAAFBD4D33F81EA66956DFEAA2BFDFCF5",
            r: "00C328FAFCBD79DD77850370C46325D987CB525569FB63C5D3BC53950E6D4C5F174E25A1EE9017B5D450606ADD152B534931D7D4E8455CC91F9B15BF05EC36E377FA",
            s: "00617CCE7CF5064806C467F678D3B4080D6F1CC50AF26CA209417308281B68AF282623EAA63E5B5C0723D8B8C37FF0777B1A20F8CCB1DCCC43997F1EE0E44DA4A67A"),
    ]

    static func ecdsaPublicKey(_ vector: ECDSAVector) throws -> SSHPublicKey {
        var writer = WireWriter()
        writer.writeString(vector.curve.keyType.rawValue)
        writer.writeString(vector.curve.rawValue)
        writer.writeString([0x04] + hex(vector.ux) + hex(vector.uy))
        return try SSHPublicKey(blob: writer.bytes)
    }

    static func ecdsaSignature(_ curve: ECCurve, r: [UInt8], s: [UInt8]) -> [UInt8] {
        var inner = WireWriter()
        inner.writeMPInt(r)
        inner.writeMPInt(s)
        return blob(curve.keyType.rawValue, inner.bytes)
    }

    @Test(arguments: ecdsaVectors)
    func ecdsaRFC6979Verifies(_ vector: ECDSAVector) throws {
        let publicKey = try Self.ecdsaPublicKey(vector)
        let message = Array("sample".utf8)
        let signature = Self.ecdsaSignature(vector.curve, r: hex(vector.r), s: hex(vector.s))
        try publicKey.verify(signature: signature, for: message)

        // The published signature is for "sample" only.
        #expect(throws: CryptoError(.invalidSignature, "")) {
            try publicKey.verify(signature: signature, for: Array("samplf".utf8))
        }
        // Swapping r and s must not verify.
        #expect(throws: CryptoError(.invalidSignature, "")) {
            try publicKey.verify(signature: Self.ecdsaSignature(vector.curve, r: hex(vector.s), s: hex(vector.r)), for: message)
        }
    }

    @Test(arguments: ecdsaVectors)
    func ecdsaKeyFromScalarSignsAndVerifies(_ vector: ECDSAVector) throws {
        let key = try SSHPrivateKey(curve: vector.curve, privateScalar: hex(vector.x))
        #expect(key.publicKey == (try Self.ecdsaPublicKey(vector)))
        #expect(key.publicKey.bits == vector.curve.bits)
        let message = Array("sample".utf8)
        let signature = try key.sign(message)
        #expect(try Self.unwrap(signature).0 == vector.curve.keyType.rawValue)
        try key.publicKey.verify(signature: signature, for: message)
        try Self.ecdsaPublicKey(vector).verify(signature: signature, for: message)
    }

    // MARK: RSA PKCS#1 v1.5 — recorded OpenSSL signatures

    static func rsaKey() throws -> SSHPrivateKey {
        try SSHPrivateKey(rsaModulus: RSATestVector.n, publicExponent: RSATestVector.e,
                          privateExponent: RSATestVector.d, prime1: RSATestVector.p, prime2: RSATestVector.q,
                          coefficient: RSATestVector.iqmp)
    }

    @Test(arguments: SSHKeyType.rsa.signatureAlgorithms)
    func rsaPKCS1MatchesOpenSSL(_ algorithm: SignatureAlgorithm) throws {
        let expected = switch algorithm {
        case .rsaSHA1: RSATestVector.signatureSHA1
        case .rsaSHA256: RSATestVector.signatureSHA256
        default: RSATestVector.signatureSHA512
        }
        let key = try Self.rsaKey()
        #expect(key.publicKey.bits == 2048)
        let blob = try key.sign(RSATestVector.message, algorithm: algorithm)
        let (name, body) = try Self.unwrap(blob)
        #expect(name == algorithm.rawValue)
        #expect(body == expected)
        try key.publicKey.verify(signature: Self.blob(algorithm.rawValue, expected), for: RSATestVector.message)
    }

    @Test func rsaDefaultAlgorithmIsSHA512() throws {
        let key = try Self.rsaKey()
        let (name, body) = try Self.unwrap(try key.sign(RSATestVector.message))
        #expect(name == "rsa-sha2-512")
        #expect(body == RSATestVector.signatureSHA512)
    }

    @Test func rsaCoefficientIsComputedWhenAbsent() throws {
        let key = try SSHPrivateKey(rsaModulus: RSATestVector.n, publicExponent: RSATestVector.e,
                                    privateExponent: RSATestVector.d, prime1: RSATestVector.p, prime2: RSATestVector.q)
        let (_, body) = try Self.unwrap(try key.sign(RSATestVector.message, algorithm: .rsaSHA256))
        #expect(body == RSATestVector.signatureSHA256)
    }

    @Test func rsaInconsistentComponentsAreRefused() throws {
        var badD = RSATestVector.d
        badD[badD.count - 1] ^= 0x02
        #expect(throws: CryptoError(.invalidKey, "")) {
            try SSHPrivateKey(rsaModulus: RSATestVector.n, publicExponent: RSATestVector.e,
                              privateExponent: badD, prime1: RSATestVector.p, prime2: RSATestVector.q)
        }
        #expect(throws: CryptoError(.invalidKey, "")) {
            try SSHPrivateKey(rsaModulus: RSATestVector.n, publicExponent: RSATestVector.e,
                              privateExponent: RSATestVector.d, prime1: RSATestVector.p, prime2: RSATestVector.p)
        }
        var badIQMP = RSATestVector.iqmp
        badIQMP[0] ^= 0x01
        #expect(throws: CryptoError(.invalidKey, "")) {
            try SSHPrivateKey(rsaModulus: RSATestVector.n, publicExponent: RSATestVector.e,
                              privateExponent: RSATestVector.d, prime1: RSATestVector.p, prime2: RSATestVector.q,
                              coefficient: badIQMP)
        }
    }

    // MARK: Round trips with fresh keys

    @Test(arguments: SSHKeyType.allCases)
    func generatedKeysSignAndVerifyEveryAlgorithm(_ type: SSHKeyType) throws {
        let key = try SSHPrivateKey.generate(type, bits: type == .rsa ? 2048 : nil)
        #expect(key.type == type)
        let message = Array("round trip".utf8)
        for algorithm in type.signatureAlgorithms {
            let signature = try key.sign(message, algorithm: algorithm)
            #expect(try Self.unwrap(signature).0 == algorithm.rawValue)
            try key.publicKey.verify(signature: signature, for: message)
            try key.publicKey.verify(signature: signature, for: message, allowed: [algorithm])
        }
        // Empty messages are messages too.
        try key.publicKey.verify(signature: try key.sign([]), for: [])
    }
}
