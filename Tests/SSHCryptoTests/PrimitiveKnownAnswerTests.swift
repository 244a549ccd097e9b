import CLibcrypto
import Testing
@testable import SSHCrypto

/// Known answers for the primitives under packet protection, from their
/// published sources.
@Suite struct PrimitiveKnownAnswerTests {
    /// NIST SP 800-38A F.5.1, F.5.3, F.5.5 (CTR-AES{128,192,256}.Encrypt).
    @Test(arguments: [
        (CipherAlgorithm.aes128CTR, "2b7e151628aed2a6abf7158809cf4f3c",
         "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"),
        (.aes192CTR, "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
         "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e941e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050"),
        (.aes256CTR, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
         "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"),
    ])
    func aesCTR(_ cipher: CipherAlgorithm, _ key: String, _ expected: String) throws {
        let iv = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
        var data = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
        let ctx = try hex(key).withUnsafeBytes { k in
            try iv.withUnsafeBytes { try EVPCipherContext(cipher: cipher.evpCipher, key: k, iv: $0, encrypt: true) }
        }
        // Two calls that split a block, as continuing packets do.
        try data.withUnsafeMutableBytes {
            try ctx.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: $0[0..<20]))
            try ctx.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: $0[20...]))
        }
        #expect(hexString(data) == expected)
    }

    /// The GCM specification's test cases 4 (AES-128) and 16 (AES-256), with AAD.
    @Test(arguments: [
        (CipherAlgorithm.aes128GCM, "feffe9928665731c6d6a8f9467308308",
         "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
         "5bc94fbc3221a5db94fae95ae7121a47"),
        (.aes256GCM, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
         "76fc6ece0f4e1768cddf8853bb2d551b"),
    ])
    func aesGCM(_ cipher: CipherAlgorithm, _ key: String, _ expected: String, _ expectedTag: String) throws {
        let iv = hex("cafebabefacedbaddecaf888")
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let plain = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let ctx = try hex(key).withUnsafeBytes { try EVPCipherContext(cipher: cipher.evpCipher, key: $0, iv: nil, encrypt: true) }
        var data = plain
        var tag = [UInt8](repeating: 0, count: 16)
        try iv.withUnsafeBytes { try ctx.restart(iv: $0, encrypt: true) }
        try aad.withUnsafeBytes { try ctx.authenticateOnly($0) }
        try data.withUnsafeMutableBytes { try ctx.update(inPlace: $0) }
        #expect(ctx.finish())
        try tag.withUnsafeMutableBytes { try ctx.control(EVP_CTRL_GCM_GET_TAG, $0) }
        #expect(hexString(data) == expected)
        #expect(hexString(tag) == expectedTag)

        // Decrypt with the right tag, then with a wrong one.
        for (tagToUse, shouldVerify) in [(tag, true), ([tag[0] ^ 1] + tag.dropFirst(), false)] {
            var buffer = hex(expected)
            var t = tagToUse
            try iv.withUnsafeBytes { try ctx.restart(iv: $0, encrypt: false) }
            try t.withUnsafeMutableBytes { try ctx.control(EVP_CTRL_GCM_SET_TAG, $0) }
            try aad.withUnsafeBytes { try ctx.authenticateOnly($0) }
            try buffer.withUnsafeMutableBytes { try ctx.update(inPlace: $0) }
            #expect(ctx.finish() == shouldVerify)
            if shouldVerify { #expect(buffer == plain) }
        }
    }

    /// RFC 8439 §2.4.2: ChaCha20 encryption with counter 1.
    @Test func chacha20RFC8439() throws {
        let key = (0..<32).map { UInt8($0) }
        // OpenSSL's 16-byte IV: 32-bit little-endian counter, then the 96-bit nonce.
        let iv = hex("01000000" + "000000000000004a00000000")
        var data = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let ctx = try key.withUnsafeBytes { k in
            try iv.withUnsafeBytes { try EVPCipherContext(cipher: EVP_chacha20(), key: k, iv: $0, encrypt: true) }
        }
        try data.withUnsafeMutableBytes { try ctx.update(inPlace: $0) }
        #expect(hexString(data) == "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d")
    }

    /// RFC 8439 §2.6.2: the Poly1305 key is the first 32 bytes of block 0.
    @Test func poly1305KeyGenerationRFC8439() throws {
        let key = (0x80..<0xa0).map { UInt8($0) }
        let iv = hex("00000000" + "000000000001020304050607")
        var block = [UInt8](repeating: 0, count: 32)
        let ctx = try key.withUnsafeBytes { k in
            try iv.withUnsafeBytes { try EVPCipherContext(cipher: EVP_chacha20(), key: k, iv: $0, encrypt: true) }
        }
        try block.withUnsafeMutableBytes { try ctx.update(inPlace: $0) }
        #expect(hexString(block) == "8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646")
    }

    /// RFC 8439 §2.5.2 and A.3 #1 (all-zero key and message).
    @Test func poly1305RFC8439() throws {
        let poly = try Poly1305()
        var tag = [UInt8](repeating: 0, count: 16)
        let key = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
        let message = Array("Cryptographic Forum Research Group".utf8)
        try key.withUnsafeBytes { k in
            try message.withUnsafeBytes { m in try tag.withUnsafeMutableBytes { try poly.authenticate(key: k, message: m, tag: $0) } }
        }
        #expect(hexString(tag) == "a8061dc1305136c6c22b8baf0c0127a9")
        let zeros = [UInt8](repeating: 0, count: 64)
        try zeros.withUnsafeBytes { z in
            try tag.withUnsafeMutableBytes { try poly.authenticate(key: UnsafeRawBufferPointer(rebasing: z[0..<32]), message: z, tag: $0) }
        }
        #expect(tag == [UInt8](repeating: 0, count: 16))
    }

    /// RFC 4231 test cases 1, 2, 3, 6, 7 (HMAC-SHA-256/384/512) and RFC 2202
    /// cases 1, 2, 6 (HMAC-SHA-1).
    @Test(arguments: [
        (HashAlgorithm.sha256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (.sha384, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"),
        (.sha512, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
        (.sha256, "4a656665", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (.sha512, "4a656665", "what do ya want for nothing?", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
        (.sha256, String(repeating: "aa", count: 131), "Test Using Larger Than Block-Size Key - Hash Key First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (.sha512, String(repeating: "aa", count: 131), "Test Using Larger Than Block-Size Key - Hash Key First", "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
        (.sha256, String(repeating: "aa", count: 131), "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.", "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        (.sha1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"),
        (.sha1, "4a656665", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        (.sha1, String(repeating: "aa", count: 80), "Test Using Larger Than Block-Size Key - Hash Key First", "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    ])
    func hmac(_ hash: HashAlgorithm, _ key: String, _ data: String, _ expected: String) {
        let mac = HMAC(hash, key: hex(key))
        #expect(hexString(mac.authenticate(Array(data.utf8))) == expected)
        // Split input gives the same answer, and the key state is reusable.
        let bytes = Array(data.utf8)
        #expect(hexString(mac.authenticate(Array(bytes.prefix(3)), Array(bytes.dropFirst(3)))) == expected)
    }

    @Test func hmacPacketFormPrependsSequenceNumber() {
        let mac = HMAC(.sha256, key: [UInt8](repeating: 7, count: 32))
        let data: [UInt8] = [1, 2, 3, 4, 5]
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { o in data.withUnsafeBytes { mac.authenticatePacket(sequenceNumber: 0x0102_0304, $0, into: o) } }
        #expect(out == mac.authenticate([1, 2, 3, 4], data))
    }
}
