import CLibcrypto
import Testing
@testable import SSHCrypto

/// Encrypts one block with our Blowfish under `key`.
private func blowfishECB(key: [UInt8], block: [UInt8]) -> [UInt8] {
    var out = block
    let cipher = Blowfish(key: key)
    let ok = out.withUnsafeMutableBytes { cipher.encryptBlock($0) }
    #expect(ok)
    return out
}

/// The tables generated from pi start and end where Schneier's do.
@Test func blowfishTablesAreDigitsOfPi() {
    #expect(BlowfishTables.p.count == 18)
    #expect(BlowfishTables.s.count == 1024)
    #expect(BlowfishTables.p[0] == 0x243F_6A88)
    #expect(BlowfishTables.p[1] == 0x85A3_08D3)
    #expect(BlowfishTables.p[17] == 0x8979_FB1B)
    #expect(BlowfishTables.s[0] == 0xD131_0BA6)
    #expect(BlowfishTables.s[256] == 0x4B7A_70E9)  // S1[0]
    #expect(BlowfishTables.s[1023] == 0x3AC3_72E6)
}

/// Eric Young's Blowfish ECB test vectors (the set distributed with
/// Schneier's reference code and OpenSSL's bftest.c).
@Test(arguments: [
    ("0000000000000000", "0000000000000000", "4ef997456198dd78"),
    ("ffffffffffffffff", "ffffffffffffffff", "51866fd5b85ecb8a"),
    ("3000000000000000", "1000000000000001", "7d856f9a613063f2"),
    ("1111111111111111", "1111111111111111", "2466dd878b963c9d"),
    ("0123456789abcdef", "1111111111111111", "61f9c3802281b096"),
    ("fedcba9876543210", "0123456789abcdef", "0aceab0fc6a0a28d"),
])
func blowfishKnownAnswers(key: String, plaintext: String, ciphertext: String) {
    #expect(hexString(blowfishECB(key: hex(key), block: hex(plaintext))) == ciphertext)
}

/// Random keys of every length OpenSSL accepts and random blocks agree with
/// OpenSSL's own (deprecated) BF_* implementation.
@Test func blowfishMatchesOpenSSL() {
    var generator = SystemRandomNumberGenerator()
    for keyLength in 1...72 {
        let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let block = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var schedule = BF_KEY()
        BF_set_key(&schedule, Int32(keyLength), key)
        var expected = [UInt8](repeating: 0, count: 8)
        BF_ecb_encrypt(block, &expected, &schedule, BF_ENCRYPT)
        #expect(blowfishECB(key: key, block: block) == expected, "key length \(keyLength)")
    }
}

@Test func blowfishRejectsWrongBlockSize() {
    let cipher = Blowfish(key: [UInt8](repeating: 1, count: 8))
    var short = [UInt8](repeating: 0, count: 7)
    #expect(!short.withUnsafeMutableBytes { cipher.encryptBlock($0) })
    #expect(short == [UInt8](repeating: 0, count: 7))
}
