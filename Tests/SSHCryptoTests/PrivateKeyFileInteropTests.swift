import Foundation
import Testing
@testable import SSHCrypto

/// Every key type in every file format OpenSSH and OpenSSL write: plain and
/// encrypted openssh-key-v1 (aes256-ctr, aes256-gcm), PEM (PKCS#1 / SEC1,
/// plain and legacy-encrypted), PKCS#8 and encrypted PKCS#8. Each file
/// loads with the right passphrase into the key `ssh-keygen -y` (or
/// `openssl pkey`) reports, refuses a missing or wrong one with
/// `.wrongPassphrase`, and our encrypted writer's output loads in ssh-keygen.
@Suite struct PrivateKeyFileInteropTests {
    static let passphrase = "correct horse"

    /// The key types and sizes under test, as ssh-keygen arguments.
    enum Spec: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case ed25519, p256, p384, p521, rsa2048, rsa3072

        var keygenArguments: [String] {
            switch self {
            case .ed25519: ["-t", "ed25519"]
            case .p256: ["-t", "ecdsa", "-b", "256"]
            case .p384: ["-t", "ecdsa", "-b", "384"]
            case .p521: ["-t", "ecdsa", "-b", "521"]
            case .rsa2048: ["-t", "rsa", "-b", "2048"]
            case .rsa3072: ["-t", "rsa", "-b", "3072"]
            }
        }

        var testDescription: String { rawValue }
    }

    /// One file to load and what loading it must give.
    struct Case {
        var name: String
        var encrypted: Bool
        var expected: SSHPublicKey
        /// Whether `ssh-keygen -y` reads the file too (not PKCS#8 Ed25519 in OpenSSH 9.2).
        var sshKeygenReads: Bool
    }

    /// The public key `ssh-keygen -y` derives from `file`.
    static func sshKeygenPublicKey(_ file: String, in dir: TemporaryDirectory, passphrase: String = "") throws -> SSHPublicKey {
        let result = try SSHKeygen.succeed(["-y", "-P", passphrase, "-f", file], in: dir.url)
        return try SSHPublicKey(openSSHLine: result.stdout)
    }

    /// The Ed25519 public key of a PKCS#8 file, as openssl reports it (the
    /// last 32 bytes of the SubjectPublicKeyInfo).
    static func opensslEd25519PublicKey(_ file: String, in dir: TemporaryDirectory) throws -> SSHPublicKey {
        let result = try runTool("openssl", ["pkey", "-in", file, "-pubout", "-outform", "DER"], workingDirectory: dir.url)
        #expect(result.status == 0, "openssl pkey failed: \(result.errorText)")
        return try SSHPublicKey(components: .ed25519(publicKey: Array(result.output.suffix(32))))
    }

    static func openssl(_ arguments: [String], in dir: TemporaryDirectory) throws {
        let result = try runTool("openssl", arguments, workingDirectory: dir.url)
        #expect(result.status == 0, "openssl \(arguments.joined(separator: " ")) failed: \(result.errorText)")
    }

    /// Writes `base` re-saved by `ssh-keygen -p` with `arguments` to `name`.
    static func convert(_ base: String, to name: String, in dir: TemporaryDirectory, _ arguments: [String]) throws {
        try dir.write(name, try dir.read(base), mode: 0o600)
        try SSHKeygen.succeed(["-q", "-p", "-f", name, "-P", ""] + arguments, in: dir.url)
    }

    /// Generates the files of one key type; returns the cases to check.
    static func makeFiles(_ spec: Spec, in dir: TemporaryDirectory, rounds: Int = 16) throws -> [Case] {
        try SSHKeygen.succeed(["-q"] + spec.keygenArguments + ["-N", "", "-C", "test@ferry", "-f", "base"], in: dir.url)
        let expected = try sshKeygenPublicKey("base", in: dir)
        let pass = passphrase
        try convert("base", to: "ctr", in: dir, ["-N", pass, "-a", "\(rounds)"])
        try convert("base", to: "gcm", in: dir, ["-N", pass, "-a", "\(rounds)", "-Z", "aes256-gcm@openssh.com"])
        var cases = [
            Case(name: "base", encrypted: false, expected: expected, sshKeygenReads: true),
            Case(name: "ctr", encrypted: true, expected: expected, sshKeygenReads: true),
            Case(name: "gcm", encrypted: true, expected: expected, sshKeygenReads: true),
        ]
        if spec == .ed25519 {
            // ssh-keygen 9.2 writes Ed25519 only in OpenSSH format: make the
            // PKCS#8 files with openssl (a key of their own).
            try openssl(["genpkey", "-algorithm", "ed25519", "-out", "pkcs8"], in: dir)
            try openssl(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "pkcs8", "-passout", "pass:\(pass)", "-out", "pkcs8-aes"], in: dir)
            let pkcs8Key = try opensslEd25519PublicKey("pkcs8", in: dir)
            cases += [
                Case(name: "pkcs8", encrypted: false, expected: pkcs8Key, sshKeygenReads: false),
                Case(name: "pkcs8-aes", encrypted: true, expected: pkcs8Key, sshKeygenReads: false),
            ]
        } else {
            try convert("base", to: "pem", in: dir, ["-N", "", "-m", "PEM"])
            try convert("base", to: "pem-aes", in: dir, ["-N", pass, "-m", "PEM"])
            try convert("base", to: "pkcs8", in: dir, ["-N", "", "-m", "PKCS8"])
            try convert("base", to: "pkcs8-ssh", in: dir, ["-N", pass, "-m", "PKCS8"])
            try openssl(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "pkcs8", "-passout", "pass:\(pass)", "-out", "pkcs8-aes"], in: dir)
            cases += [
                Case(name: "pem", encrypted: false, expected: expected, sshKeygenReads: true),
                Case(name: "pem-aes", encrypted: true, expected: expected, sshKeygenReads: true),
                Case(name: "pkcs8", encrypted: false, expected: expected, sshKeygenReads: true),
                Case(name: "pkcs8-ssh", encrypted: true, expected: expected, sshKeygenReads: true),
                Case(name: "pkcs8-aes", encrypted: true, expected: expected, sshKeygenReads: true),
            ]
        }
        return cases
    }

    static func secret(_ text: String) -> SecureBytes { SecureBytes(Array(text.utf8)) }

    @Test(arguments: Spec.allCases) func everyFormatLoads(_ spec: Spec) throws {
        let dir = try TemporaryDirectory()
        let cases = try Self.makeFiles(spec, in: dir)
        for file in cases {
            let text = try dir.read(file.name)
            let context = "(\(spec.rawValue) \(file.name))"
            #expect(try PrivateKeyFile.isEncrypted(text) == file.encrypted, "\(context)")
            let key = try PrivateKeyFile.decode(text, passphrase: file.encrypted ? Self.secret(Self.passphrase) : nil)
            #expect(key.publicKey == file.expected, "\(context)")
            if file.sshKeygenReads {
                #expect(try Self.sshKeygenPublicKey(file.name, in: dir, passphrase: file.encrypted ? Self.passphrase : "") == file.expected,
                        "\(context)")
            }
            // The private half is the one that matches: its signature verifies.
            let message = Array("proof of possession \(context)".utf8)
            try file.expected.verify(signature: key.sign(message), for: message)
            if file.encrypted {
                expectCryptoError(.wrongPassphrase, context: context) { _ = try PrivateKeyFile.decode(text, passphrase: nil) }
                expectCryptoError(.wrongPassphrase, context: context) {
                    _ = try PrivateKeyFile.decode(text, passphrase: Self.secret("correct horse battery"))
                }
            } else {
                // A passphrase given for a plain file is simply unused.
                #expect(try PrivateKeyFile.decode(text, passphrase: Self.secret("unused")).publicKey == file.expected, "\(context)")
            }
        }
    }

    /// Our encrypted writer (aes256-ctr, bcrypt) is read by ssh-keygen and by us.
    @Test(arguments: Spec.allCases) func encryptedWriterOutputLoadsInSSHKeygen(_ spec: Spec) throws {
        let dir = try TemporaryDirectory()
        try SSHKeygen.succeed(["-q"] + spec.keygenArguments + ["-N", "", "-f", "base"], in: dir.url)
        let key = try PrivateKeyFile.decode(try dir.read("base"), passphrase: nil)
        let text = try OpenSSHPrivateKeyFile.encode(key, passphrase: Self.secret(Self.passphrase))
        try dir.write("ours", text, mode: 0o600)
        let envelope = try OpenSSHPrivateKeyEnvelope(armored: text)
        #expect(envelope.cipherName == "aes256-ctr")
        #expect(envelope.kdfName == "bcrypt")
        #expect(envelope.kdfRounds == 16)
        #expect(try Self.sshKeygenPublicKey("ours", in: dir, passphrase: Self.passphrase) == key.publicKey)
        let wrong = try SSHKeygen.run(["-y", "-P", "not it at all", "-f", "ours"], in: dir.url)
        #expect(wrong.status != 0)
        #expect(try OpenSSHPrivateKeyFile.decode(text, passphrase: Self.secret(Self.passphrase)).publicKey == key.publicKey)
        expectCryptoError(.wrongPassphrase) { _ = try OpenSSHPrivateKeyFile.decode(text, passphrase: Self.secret("nope!")) }
    }

    /// The other ciphers ssh-keygen offers for key files (`-Z`).
    @Test(arguments: ["aes128-ctr", "aes192-ctr", "aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-gcm@openssh.com"])
    func otherCiphers(_ cipher: String) throws {
        let dir = try TemporaryDirectory()
        try SSHKeygen.succeed(["-q", "-t", "ed25519", "-N", Self.passphrase, "-a", "2", "-Z", cipher, "-f", "key"], in: dir.url)
        let text = try dir.read("key")
        #expect(try OpenSSHPrivateKeyEnvelope(armored: text).cipherName == cipher)
        let key = try PrivateKeyFile.decode(text, passphrase: Self.secret(Self.passphrase))
        #expect(key.publicKey == (try SSHPublicKey(openSSHLine: try dir.read("key.pub"))))
        expectCryptoError(.wrongPassphrase) { _ = try PrivateKeyFile.decode(text, passphrase: Self.secret("wrong")) }
    }

    @Test func unsupportedCipherAndAbsurdRoundsAreNamed() throws {
        let dir = try TemporaryDirectory()
        try SSHKeygen.succeed(["-q", "-t", "ed25519", "-N", Self.passphrase, "-Z", "chacha20-poly1305@openssh.com", "-a", "1", "-f", "cc"], in: dir.url)
        expectCryptoError(.unsupportedAlgorithm) {
            _ = try PrivateKeyFile.decode(try dir.read("cc"), passphrase: Self.secret(Self.passphrase))
        }
        // The rounds field sits right after the 16-byte salt of the KDF options.
        try SSHKeygen.succeed(["-q", "-t", "ed25519", "-N", Self.passphrase, "-a", "1", "-f", "slow"], in: dir.url)
        var binary = try PEMArmor.decode(try dir.read("slow"), label: "OPENSSH PRIVATE KEY")
        let roundsOffset = OpenSSHPrivateKeyEnvelope.magic.count + (4 + 10) + (4 + 6) + 4 + (4 + 16)
        binary.replaceSubrange(roundsOffset..<roundsOffset + 4, with: [0x00, 0x0f, 0x42, 0x41])  // 1000001
        try dir.write("slow", PEMArmor.encode(binary, label: "OPENSSH PRIVATE KEY"))
        #expect(try OpenSSHPrivateKeyEnvelope(armored: try dir.read("slow")).kdfRounds == 1_000_001)
        do {
            _ = try PrivateKeyFile.decode(try dir.read("slow"), passphrase: Self.secret(Self.passphrase))
            Issue.record("a file asking for 1000001 bcrypt rounds was decrypted")
        } catch let error as CryptoError {
            #expect(error.code == .invalidKeyFile)
            #expect(error.message.contains("1000001"))
        }
    }

    @Test func foreignFilesAreRefusedClearly() throws {
        let dir = try TemporaryDirectory()
        try SSHKeygen.succeed(["-q", "-t", "ed25519", "-N", "", "-f", "key"], in: dir.url)
        expectCryptoError(.invalidKeyFile) { _ = try PrivateKeyFile.decode(try dir.read("key.pub"), passphrase: nil) }
        expectCryptoError(.invalidKeyFile) { _ = try PrivateKeyFile.decode("", passphrase: nil) }
        expectCryptoError(.invalidKeyFile) {
            _ = try PrivateKeyFile.decode("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", passphrase: nil)
        }
        try Self.openssl(["genpkey", "-algorithm", "ed448", "-out", "ed448"], in: dir)
        expectCryptoError(.unsupportedAlgorithm) { _ = try PrivateKeyFile.decode(try dir.read("ed448"), passphrase: nil) }
        try Self.openssl(["ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", "k1"], in: dir)
        expectCryptoError(.unsupportedAlgorithm) { _ = try PrivateKeyFile.decode(try dir.read("k1"), passphrase: nil) }
        try Self.openssl(["dsaparam", "-genkey", "-noout", "-out", "dsa", "1024"], in: dir)
        expectCryptoError(.unsupportedAlgorithm) { _ = try PrivateKeyFile.decode(try dir.read("dsa"), passphrase: nil) }
    }
}
