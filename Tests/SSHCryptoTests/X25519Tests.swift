import Testing
@testable import SSHCrypto

@Suite("X25519 key agreement")
struct X25519Tests {
    /// RFC 7748 §5.2: scalar × u-coordinate, both given as raw 32-byte strings.
    /// The second u has its top bit set, which X25519 must ignore.
    @Test(arguments: [
        ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
        ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
    ])
    func rfc7748ScalarMultiplication(scalar: String, u: String, output: String) throws {
        let agreement = try X25519KeyAgreement(privateKey: hex(scalar))
        let secret = try agreement.sharedSecret(peerPublicValue: hex(u))
        #expect(hexString(secret.bytes) == output)
    }

    /// RFC 7748 §6.1: Alice and Bob's key pairs and their shared secret.
    @Test func rfc7748AliceAndBob() throws {
        let alice = try X25519KeyAgreement(privateKey: hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let bob = try X25519KeyAgreement(privateKey: hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        #expect(hexString(alice.publicValue) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(hexString(bob.publicValue) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(hexString(try alice.sharedSecret(peerPublicValue: bob.publicValue).bytes) == k)
        #expect(hexString(try bob.sharedSecret(peerPublicValue: alice.publicValue).bytes) == k)
    }

    /// K keeps a leading zero byte: always 32 bytes, which the mpint writer
    /// then strips. Vector: Alice's key from RFC 7748 §6.1 and a Bob key found
    /// by searching private keys c8 00…00, c9 00…00, … with a Python RFC 7748
    /// ladder for an output whose first byte is zero.
    @Test func sharedSecretKeepsLeadingZero() throws {
        let alice = try X25519KeyAgreement(privateKey: hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let bob = try X25519KeyAgreement(privateKey: hex("c800000000000000000000000000000000000000000000000000000000000000"))
        #expect(hexString(bob.publicValue) == "bd9e9a01fa8fd030414b5a2b6029add799209ca3d2c2fdb628c317dab362573d")
        let k = try alice.sharedSecret(peerPublicValue: bob.publicValue)
        #expect(k.count == 32)
        #expect(hexString(k.bytes) == "00be5e49cc625647238e1c72dfca73497a28c36f25dea3cc6ef899ae91a4391a")
        #expect(hexString(try bob.sharedSecret(peerPublicValue: alice.publicValue).bytes) == hexString(k.bytes))
    }

    @Test func freshKeysAgree() throws {
        let client = try X25519KeyAgreement()
        let server = try X25519KeyAgreement()
        #expect(client.publicValue.count == 32)
        #expect(client.publicValue != server.publicValue)
        let kc = try client.sharedSecret(peerPublicValue: server.publicValue)
        let ks = try server.sharedSecret(peerPublicValue: client.publicValue)
        #expect(kc.count == 32)
        #expect(constantTimeEquals(kc, ks))
    }

    @Test(arguments: [0, 1, 31, 33, 64])
    func wrongLengthIsRefused(length: Int) throws {
        let agreement = try X25519KeyAgreement()
        let error = #expect(throws: CryptoError.self) {
            try agreement.sharedSecret(peerPublicValue: [UInt8](repeating: 9, count: length))
        }
        #expect(error?.code == .invalidPublicValue)
    }

    /// Points of order 1, 2, 4 and 8 (and their non-canonical encodings ≥ p)
    /// give an all-zero secret for every private key (RFC 7748 §6.1). The list
    /// is the usual one (as in libsodium's blacklist); each was checked with a
    /// Python RFC 7748 ladder to give all zeros.
    @Test(arguments: [
        "0000000000000000000000000000000000000000000000000000000000000000", // u = 0
        "0100000000000000000000000000000000000000000000000000000000000000", // u = 1
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p − 1
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p (= 0)
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p + 1 (= 1)
        "0000000000000000000000000000000000000000000000000000000000000080", // 0 with top bit set
    ])
    func lowOrderPointIsRefused(u: String) throws {
        for agreement in [try X25519KeyAgreement(), try X25519KeyAgreement(privateKey: hex(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))] {
            let error = #expect(throws: CryptoError.self) {
                try agreement.sharedSecret(peerPublicValue: hex(u))
            }
            #expect(error?.code == .invalidPublicValue)
        }
    }

    @Test func testInitializerRefusesWrongKeySize() {
        let error = #expect(throws: CryptoError.self) { try X25519KeyAgreement(privateKey: [UInt8](repeating: 1, count: 31)) }
        #expect(error?.code == .invalidKey)
    }
}
