import Foundation
import Testing
@testable import SSHCrypto

/// Interop with the reference implementation, OpenSSH's ssh-keygen: its
/// keys load, its signatures verify with ours and ours with it (through the
/// SSHSIG format of `ssh-keygen -Y`), and the key files we write load in it.
/// These tests fail, never skip, when ssh-keygen is missing.
@Suite struct OpenSSHInteropTests {
    struct KeySpec: Sendable, CustomTestStringConvertible {
        var flag: String
        var bits: Int?
        var type: SSHKeyType
        var testDescription: String { flag + (bits.map { "-\($0)" } ?? "") }

        var generateArguments: [String] {
            ["-q", "-t", flag] + (bits.map { ["-b", String($0)] } ?? [])
        }
    }

    static let specs = [
        KeySpec(flag: "ed25519", bits: nil, type: .ed25519),
        KeySpec(flag: "ecdsa", bits: 256, type: .ecdsaP256),
        KeySpec(flag: "ecdsa", bits: 384, type: .ecdsaP384),
        KeySpec(flag: "ecdsa", bits: 521, type: .ecdsaP521),
        KeySpec(flag: "rsa", bits: 2048, type: .rsa),
        KeySpec(flag: "rsa", bits: 3072, type: .rsa),
    ]

    @Test func sshKeygenIsInstalled() throws {
        _ = try SSHKeygen.executable()
    }

    @Test(arguments: specs)
    func sshKeygenKeysInterop(_ spec: KeySpec) throws {
        let dir = try TemporaryDirectory()
        try SSHKeygen.succeed(spec.generateArguments + ["-N", "", "-C", "test@ferry", "-f", "key"], in: dir.url)

        // Their private key file loads, and matches their .pub.
        let key = try OpenSSHPrivateKeyFile.decode(try dir.read("key"))
        let publicKey = try SSHPublicKey(openSSHLine: try dir.read("key.pub"))
        #expect(key.type == spec.type)
        #expect(key.publicKey == publicKey)
        #expect(key.comment == "test@ferry")
        #expect(publicKey.comment == "test@ferry")
        #expect(publicKey.bits == spec.bits ?? 256)

        // Same fingerprint and size as `ssh-keygen -l`.
        let listing = try SSHKeygen.succeed(["-l", "-f", "key.pub"], in: dir.url).stdout.split(separator: " ")
        #expect(listing.count >= 2)
        #expect(listing.first.map(String.init) == String(publicKey.bits))
        #expect(listing.dropFirst().first.map(String.init) == publicKey.fingerprintSHA256)

        // Our signature verifies in ssh-keygen…
        let message = Array("ferry ↔ OpenSSH interop, \(spec.testDescription)\n".utf8)
        try dir.write("msg", bytes: message)
        try dir.write("tampered", bytes: message + [0x21])
        try dir.write("ours.sig", try SSHSIG.sign(message, with: key, namespace: "file").armored)
        var signer = publicKey
        signer.comment = ""
        try dir.write("allowed_signers", "test@ferry \(signer.openSSHLine)\n")
        let verify = ["-Y", "verify", "-f", "allowed_signers", "-I", "test@ferry", "-n", "file", "-s", "ours.sig"]
        try SSHKeygen.succeed(verify, in: dir.url, stdin: dir.file("msg"))
        // …and only for the message it signed.
        let rejected = try SSHKeygen.run(verify, in: dir.url, stdin: dir.file("tampered"))
        #expect(rejected.status != 0)

        // Their signature verifies with ours.
        try SSHKeygen.succeed(["-Y", "sign", "-f", "key", "-n", "file", "msg"], in: dir.url)
        let theirs = try SSHSIG(armored: try dir.read("msg.sig"))
        #expect(theirs.publicKey == publicKey.blob)
        #expect(theirs.hashAlgorithm == "sha512")
        #expect(try theirs.verify(message, namespace: "file") == publicKey)
        expectCryptoError(.invalidSignature) { _ = try theirs.verify(message + [0x21], namespace: "file") }
        if spec.type == .rsa {
            #expect(try SignatureKnownAnswerTests.unwrap(theirs.signature).0 == "rsa-sha2-512")
        }

        // The file our writer makes from their key loads in ssh-keygen.
        try dir.write("ours", try OpenSSHPrivateKeyFile.encode(key), mode: 0o600)
        let printed = try SSHKeygen.succeed(["-y", "-f", "ours"], in: dir.url).stdout
        #expect(try SSHPublicKey(openSSHLine: printed) == publicKey)
        // ssh-keygen can sign with it, and we verify.
        try SSHKeygen.succeed(["-Y", "sign", "-f", "ours", "-n", "file", "tampered"], in: dir.url)
        _ = try SSHSIG(armored: try dir.read("tampered.sig")).verify(message + [0x21], namespace: "file")
    }

    @Test(arguments: specs)
    func ourGeneratedKeysLoadInSSHKeygen(_ spec: KeySpec) throws {
        let dir = try TemporaryDirectory()
        let key = try SSHPrivateKey.generate(spec.type, bits: spec.type == .rsa ? spec.bits : nil, comment: "ferry@test")
        try dir.write("ours", try OpenSSHPrivateKeyFile.encode(key), mode: 0o600)
        let printed = try SSHPublicKey(openSSHLine: try SSHKeygen.succeed(["-y", "-f", "ours"], in: dir.url).stdout)
        #expect(printed == key.publicKey)
        let listing = try SSHKeygen.succeed(["-l", "-f", "ours"], in: dir.url).stdout
        #expect(listing.contains(key.publicKey.fingerprintSHA256))
        #expect(listing.contains("ferry@test"))

        let message = Array("generated by ferry".utf8)
        try dir.write("msg", bytes: message)
        try dir.write("msg.sig", try SSHSIG.sign(message, with: key, namespace: "file").armored)
        var signer = key.publicKey
        signer.comment = ""
        try dir.write("allowed_signers", "test@ferry \(signer.openSSHLine)\n")
        try SSHKeygen.succeed(["-Y", "verify", "-f", "allowed_signers", "-I", "test@ferry", "-n", "file", "-s", "msg.sig"],
                              in: dir.url, stdin: dir.file("msg"))
    }

    @Test func encryptedSSHKeygenKeyExposesItsEnvelope() throws {
        let dir = try TemporaryDirectory()
        try SSHKeygen.succeed(["-q", "-t", "ed25519", "-N", "correct horse", "-f", "key"], in: dir.url)
        let text = try dir.read("key")
        let envelope = try OpenSSHPrivateKeyEnvelope(armored: text)
        #expect(envelope.isEncrypted)
        #expect(envelope.cipherName == "aes256-ctr")
        #expect(envelope.kdfName == "bcrypt")
        #expect(envelope.kdfSalt.count == 16)
        #expect(envelope.kdfRounds == 16)
        #expect(envelope.privateSection.count % 16 == 0)
        #expect(envelope.authenticationTag.isEmpty)
        #expect(envelope.publicKey == (try SSHPublicKey(openSSHLine: try dir.read("key.pub"))))
        expectCryptoError(.wrongPassphrase) { _ = try OpenSSHPrivateKeyFile.decode(text) }
        let key = try OpenSSHPrivateKeyFile.decode(text, passphrase: SecureBytes(Array("correct horse".utf8)))
        #expect(key.publicKey == envelope.publicKey)
    }
}
