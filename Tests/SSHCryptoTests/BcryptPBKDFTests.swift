import Foundation
import SSHWire
import Testing
@testable import SSHCrypto

private let lorem = Array((
    "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore "
        + "et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut "
        + "aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum "
        + "dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui "
        + "officia deserunt mollit anim id est laborum.").utf8)

/// BcryptVector is one known answer: password, salt, rounds, expected key (hex).
struct BcryptVector: Sendable, CustomTestStringConvertible {
    var password: [UInt8]
    var salt: [UInt8]
    var rounds: Int
    var key: String
    var testDescription: String { "rounds \(rounds), \(key.count / 2) bytes" }
}

/// The first ten are the bcrypt_pbkdf vectors of pyca/bcrypt's test suite
/// (tests/test_bcrypt.py, `test_kdf`), which come from OpenBSD's regress
/// tests. The last three (non-multiple-of-32 lengths: 40 and 88 bytes, a
/// UTF-8 passphrase, and the 48-byte key+IV of an aes256-ctr key file) were
/// computed with pyca/bcrypt 5.0.0 `bcrypt.kdf(..., ignore_few_rounds=True)`.
let bcryptVectors: [BcryptVector] = [
    .init(password: Array("password".utf8), salt: Array("salt".utf8), rounds: 4,
          key: "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9"),
    .init(password: Array("password".utf8), salt: [0], rounds: 4,
          key: "c12b566235eee04c212598970a579a67"),
    .init(password: [0], salt: Array("salt".utf8), rounds: 4,
          key: "6051be18c2f4f82cbf0efee5471b4bb9"),
    .init(password: Array("password\0".utf8), salt: Array("salt\0".utf8), rounds: 4,
          key: "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050"),
    .init(password: Array("pass\0wor".utf8), salt: Array("sa\0l".utf8), rounds: 4,
          key: "c2bffd9db38f6569efef4372f4de83c0"),
    .init(password: Array("pass\0word".utf8), salt: Array("sa\0lt".utf8), rounds: 4,
          key: "4ba4ac3925c0e8d7f0cdb6bb1684a56f"),
    .init(password: Array("password".utf8), salt: Array("salt".utf8), rounds: 8,
          key: "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec7"
              + "6227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d"),
    .init(password: Array("password".utf8), salt: Array("salt".utf8), rounds: 42,
          key: "833cf0dcf56db65608e8f0dc0ce882bd"),
    .init(password: lorem, salt: Array("salis\0".utf8), rounds: 8,
          key: "10978b07253df57f71a162eb0e8ad30a"),
    .init(password: hex("0db3ac94b3ee53284f4a22893b3c24ae"), salt: hex("3a62f0f0dbcef823cfcc854856ea1028"),
          rounds: 8, key: "204438175eee7ce136c91b49a67923ff"),
    // Computed with pyca/bcrypt 5.0.0.
    .init(password: Array("κόσμε".utf8), salt: Array("salt".utf8), rounds: 4,
          key: "3b13434b960b75fb0b43f10bc28a63c1ea0e1839712fa79f12d013bf8e9a9e7fb35bf749636b7e51"),
    .init(password: Array("password".utf8), salt: Array("salt".utf8), rounds: 42,
          key: "834b353c4d19f0bc9adc22def5be486db9a0b6537656bd71082072e82f5bf0828adcca200cce7de8"
              + "0bd082a751bd2a2a44195d8af5386d70c687fec6f9de3795f4f5d88343bf03b0b491c3d9ff9360ce6f7bee5e1931f5ef"),
    .init(password: Array("password".utf8), salt: Array("salt".utf8), rounds: 16,
          key: "c339d704ec235f27690d3f12167c05a55bf86d572f270adbf9fe04c379da5f8c7942a939245dbb39ebe26fc2bd19b88b"),
]

@Test(arguments: bcryptVectors)
func bcryptPBKDFKnownAnswers(vector: BcryptVector) throws {
    let key = try BcryptPBKDF.deriveKey(
        password: vector.password, salt: vector.salt, rounds: vector.rounds, keyLength: vector.key.count / 2)
    #expect(hexString(key.bytes) == vector.key)
}

/// A prefix of a longer output is not the shorter output: the interleaving
/// spreads every block over the whole key (pyca/bcrypt's 256-byte vector).
@Test func bcryptPBKDFLongKeyInterleaves() throws {
    let password = hex("0db3ac94b3ee53284f4a22893b3c24ae")
    let salt = hex("3a62f0f0dbcef823cfcc854856ea1028")
    let key = try BcryptPBKDF.deriveKey(password: password, salt: salt, rounds: 8, keyLength: 256)
    #expect(hexString(key.bytes) == """
        2054b9fff34e3721440334746828e9ed38de4b72e0a69adc170a13b5e8d646385ea4034ae6d26600ee2332c5ed40ad55\
        7c86e3403fbb30e4e1dc1ae06b99a071368f518d2c426651c9e7e437fd6c915b1bbfc3a4cea71491490ea7afb7dd0290\
        a678a4f441128db1792eab2776b21eb4238e0715add4127dff44e4b3e4cc4c4f9970083f3f74bd698873fdf648844f75\
        c9bf7f9e0c4d9e5d89a7783997492966616707611cb901de31a19726b6e08c3a8001661f2d5c9dcc33b4aa072f90dd0b\
        3f548d5eeba4211397e2fb062e526e1d68f46a4ce256185b4badc2685fbe78e1c7657b59f83ab9ab80cf9318d6add1f5\
        933f12d6f36182c8e8115f68030a1244
        """)
}

@Test func bcryptPBKDFAcceptsSlicesAndSecureBytes() throws {
    let password = SecureBytes(Array("password".utf8))
    let saltFile: [UInt8] = [9, 9] + Array("salt".utf8) + [9]
    let key = try BcryptPBKDF.deriveKey(password: password, salt: saltFile[2..<6], rounds: 4, keyLength: 32)
    #expect(hexString(key.bytes) == "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9")
}

@Test func bcryptPBKDFRejectsOutOfRangeArguments() {
    let password = Array("password".utf8)
    let salt = Array("salt".utf8)
    let bad: [(password: [UInt8], salt: [UInt8], rounds: Int, keyLength: Int)] = [
        (password, salt, 0, 32),
        (password, salt, -1, 32),
        (password, salt, Int(UInt32.max) + 1, 32),
        (password, salt, 4, 0),
        (password, salt, 4, -5),
        (password, salt, 4, 1025),
        (password, [], 4, 32),
        ([], salt, 4, 32),
        (password, [UInt8](repeating: 1, count: (1 << 20) + 1), 4, 32),
    ]
    for args in bad {
        #expect(throws: CryptoError(.invalidLength, "")) {
            try BcryptPBKDF.deriveKey(
                password: args.password, salt: args.salt, rounds: args.rounds, keyLength: args.keyLength)
        }
    }
}

/// The largest key (1024 bytes, 32 interleaved blocks) is accepted and is
/// not mostly zeros: every position was written.
@Test func bcryptPBKDFMaximumLength() throws {
    let key = try BcryptPBKDF.deriveKey(password: [1], salt: [2], rounds: 1, keyLength: 1024)
    #expect(key.count == 1024)
    #expect(key.bytes.filter { $0 == 0 }.count < 20)
}

// MARK: - Interop with ssh-keygen

/// The pieces of an encrypted openssh-key-v1 file this test needs.
private struct EncryptedOpenSSHKey {
    var cipher: String
    var kdf: String
    var salt: [UInt8]
    var rounds: UInt32
    var encrypted: [UInt8]

    /// Parses PROTOCOL.key's envelope: the base64 body of the PEM-like
    /// armor, "openssh-key-v1\0", cipher, kdf, kdf options, key count,
    /// public keys, then the encrypted private section.
    init(armored text: String) throws {
        let body = text.split(separator: "\n")
            .filter { !$0.hasPrefix("-----") }
            .joined()
        let decoded = try #require(Data(base64Encoded: body))
        let magic = Array("openssh-key-v1\0".utf8)
        let bytes = [UInt8](decoded)
        try #require(bytes.starts(with: magic))
        var reader = WireReader(Array(bytes[magic.count...]))
        cipher = try reader.readUTF8()
        kdf = try reader.readUTF8()
        var options = WireReader(try reader.readString())
        salt = Array(try options.readString())
        rounds = try options.readUInt32()
        let keyCount = try reader.readUInt32()
        for _ in 0..<keyCount { _ = try reader.readString() }
        encrypted = Array(try reader.readString())
    }
}

/// Decrypts with `openssl enc -aes-256-ctr` (the test target sees no cipher API).
private func aes256CTR(key: [UInt8], iv: [UInt8], _ data: [UInt8]) throws -> [UInt8] {
    let result = try runTool(
        "openssl", ["enc", "-d", "-aes-256-ctr", "-K", hexString(key), "-iv", hexString(iv), "-nopad"],
        input: data)
    #expect(result.status == 0, "openssl enc failed: \(result.errorText)")
    return result.output
}

/// The two check integers at the start of the decrypted private section.
private func checkInts(_ key: EncryptedOpenSSHKey, passphrase: String) throws -> (UInt32, UInt32) {
    let derived = try BcryptPBKDF.deriveKey(
        password: Array(passphrase.utf8), salt: key.salt, rounds: Int(key.rounds), keyLength: 48)
    let material = derived.bytes
    let plain = try aes256CTR(key: Array(material[0..<32]), iv: Array(material[32..<48]),
                              Array(key.encrypted.prefix(16)))
    var reader = WireReader(plain)
    return (try reader.readUInt32(), try reader.readUInt32())
}

/// A key written by ssh-keygen with `-a 16` decrypts with our bcrypt_pbkdf:
/// its two check integers agree under the right passphrase and not under a
/// wrong one. Fails (does not skip) when ssh-keygen or openssl is missing.
@Test func bcryptPBKDFDecryptsSSHKeygenKey() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("key").path
    let keygen = try runTool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "correct horse", "-a", "16",
                                            "-C", "ferry-test", "-f", path])
    try #require(keygen.status == 0, "ssh-keygen failed (\(keygen.status)): \(keygen.errorText)")

    let key = try EncryptedOpenSSHKey(armored: String(contentsOfFile: path, encoding: .utf8))
    #expect(key.cipher == "aes256-ctr")
    #expect(key.kdf == "bcrypt")
    #expect(key.rounds == 16)
    #expect(key.salt.count == 16)

    let right = try checkInts(key, passphrase: "correct horse")
    #expect(right.0 == right.1)
    let wrong = try checkInts(key, passphrase: "correct horsf")
    #expect(wrong.0 != wrong.1)
}
