import SSHWire
import Testing
@testable import SSHCrypto

/// The "openssh-key-v1" private key format: reading ssh-keygen's output,
/// exact round trips through our writer, the envelope a decrypt step will
/// use, and refusal of every truncated or inconsistent file.
@Suite struct OpenSSHPrivateKeyFileTests {
    /// `ssh-keygen -t ed25519 -N '' -C me@host`; its public half is
    /// PublicKeyBlobTests.ed25519Line. Test material only.
    static let ed25519File = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
        QyNTUxOQAAACBoQs7qh4+f6Y5cOZmUS2UsjxBC4VEJHkkdhGxQMBzmdAAAAJCKIZySiiGc
        kgAAAAtzc2gtZWQyNTUxOQAAACBoQs7qh4+f6Y5cOZmUS2UsjxBC4VEJHkkdhGxQMBzmdA
        AAAECSoXLdkdGRqL2/3GYIYFJBvf4w+mO5Q2r8c2CJWTCXQ2hCzuqHj5/pjlw5mZRLZSyP
        EELhUQkeSR2EbFAwHOZ0AAAAB21lQGhvc3QBAgMEBQY=
        -----END OPENSSH PRIVATE KEY-----

        """

    /// The parts of a key file, to rebuild it with one part altered.
    struct Parts {
        var magic = OpenSSHPrivateKeyEnvelope.magic
        var cipher = "none"
        var kdf = "none"
        var kdfOptions: [UInt8] = []
        var count: UInt32 = 1
        var publicBlob: [UInt8]
        var section: [UInt8]
        var trailing: [UInt8] = []

        init(_ key: SSHPrivateKey) throws {
            var binary = try OpenSSHPrivateKeyFile.encodeBinary(key)
            defer { binary.wipe() }
            let envelope = try OpenSSHPrivateKeyEnvelope(binary: binary)
            publicBlob = envelope.publicKey.blob
            section = envelope.privateSection.bytes
        }

        var binary: [UInt8] {
            var writer = WireWriter()
            writer.writeRaw(magic)
            writer.writeString(cipher)
            writer.writeString(kdf)
            writer.writeString(kdfOptions)
            writer.writeUInt32(count)
            writer.writeString(publicBlob)
            writer.writeString(section)
            writer.writeRaw(trailing)
            return writer.bytes
        }

        var armored: String { PEMArmor.encode(binary, label: "OPENSSH PRIVATE KEY") }

        func decode() throws -> SSHPrivateKey { try OpenSSHPrivateKeyFile.decode(armored) }
    }

    static let keys: [SSHPrivateKey] = {
        var keys: [SSHPrivateKey] = []
        for type in SSHKeyType.allCases where type != .rsa {
            if let key = try? SSHPrivateKey.generate(type, comment: "x") { keys.append(key) }
        }
        if let rsa = try? SignatureKnownAnswerTests.rsaKey(),
           let copy = try? OpenSSHPrivateKeyFile.decode(OpenSSHPrivateKeyFile.encode(rsa)) {
            keys.append(copy)
        }
        return keys
    }()

    @Test func readsSSHKeygenOutput() throws {
        let envelope = try OpenSSHPrivateKeyEnvelope(armored: Self.ed25519File)
        #expect(envelope.cipherName == "none")
        #expect(envelope.kdfName == "none")
        #expect(envelope.kdfSalt.isEmpty)
        #expect(envelope.kdfRounds == 0)
        #expect(!envelope.isEncrypted)
        #expect(envelope.authenticationTag.isEmpty)
        let key = try OpenSSHPrivateKeyFile.decode(Self.ed25519File)
        let expected = try SSHPublicKey(openSSHLine: PublicKeyBlobTests.ed25519Line)
        #expect(key.publicKey == expected)
        #expect(key.comment == "me@host")
        #expect(key.publicKey.openSSHLine == PublicKeyBlobTests.ed25519Line)
        let message = Array("hello".utf8)
        try expected.verify(signature: try key.sign(message), for: message)
    }

    @Test func writerReproducesSSHKeygenLayout() throws {
        let key = try OpenSSHPrivateKeyFile.decode(Self.ed25519File)
        let written = try OpenSSHPrivateKeyFile.encode(key)
        // Only the random check integers differ from ssh-keygen's file.
        var ours = try PEMArmor.decode(written, label: "OPENSSH PRIVATE KEY")
        var theirs = try PEMArmor.decode(Self.ed25519File, label: "OPENSSH PRIVATE KEY")
        defer { ours.wipe(); theirs.wipe() }
        #expect(ours.count == theirs.count)
        // The private section is the last field; the check integers open it.
        let checkOffset = theirs.count - (try OpenSSHPrivateKeyEnvelope(armored: Self.ed25519File)).privateSection.count
        for index in 0..<min(ours.count, theirs.count) where !(checkOffset..<checkOffset + 8).contains(index) {
            if ours[index] != theirs[index] {
                Issue.record("byte \(index) differs")
                break
            }
        }
        let lines = written.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "-----BEGIN OPENSSH PRIVATE KEY-----")
        #expect(lines.dropLast().last == "-----END OPENSSH PRIVATE KEY-----")
        #expect(lines.last == "")
        #expect(lines.map(\.count) == Self.ed25519File.split(separator: "\n", omittingEmptySubsequences: false).map(\.count))
    }

    @Test func everyTypeRoundTrips() throws {
        #expect(Self.keys.count == SSHKeyType.allCases.count)
        for key in Self.keys {
            let text = try OpenSSHPrivateKeyFile.encode(key)
            let loaded = try OpenSSHPrivateKeyFile.decode(text)
            #expect(loaded.publicKey == key.publicKey)
            #expect(loaded.comment == key.comment)
            #expect(loaded.publicKey.comment == key.comment)
            let message = Array("\(key.type.rawValue) round trip".utf8)
            try key.publicKey.verify(signature: try loaded.sign(message), for: message)
            if key.type == .rsa {
                // PKCS#1 v1.5 is deterministic: same key, same bytes.
                #expect(try loaded.sign(message) == (try key.sign(message)))
            }
            let parts = try Parts(key)
            #expect(parts.section.count % 8 == 0)
        }
    }

    @Test func encryptedFilesExposeTheEnvelopeAndNeedTheirPassphrase() throws {
        let key = Self.keys[0]
        var parts = try Parts(key)
        parts.cipher = "aes256-ctr"
        parts.kdf = "bcrypt"
        var options = WireWriter()
        options.writeString([UInt8](repeating: 0xa5, count: 16))
        options.writeUInt32(16)
        parts.kdfOptions = options.bytes
        parts.section = [UInt8](repeating: 0x5a, count: 160)
        let envelope = try OpenSSHPrivateKeyEnvelope(armored: parts.armored)
        #expect(envelope.isEncrypted)
        #expect(envelope.cipherName == "aes256-ctr")
        #expect(envelope.kdfName == "bcrypt")
        #expect(envelope.kdfSalt == [UInt8](repeating: 0xa5, count: 16))
        #expect(envelope.kdfRounds == 16)
        #expect(envelope.privateSection.bytes == parts.section)
        #expect(envelope.publicKey == key.publicKey)
        // No passphrase, or one that turns the section into garbage.
        expectCryptoError(.wrongPassphrase) { _ = try parts.decode() }
        expectCryptoError(.wrongPassphrase) {
            _ = try OpenSSHPrivateKeyFile.decode(parts.armored, passphrase: SecureBytes(Array("pass".utf8)))
        }

        // AEAD ciphers put their tag after the section.
        parts.cipher = "aes256-gcm@openssh.com"
        parts.trailing = [UInt8](repeating: 7, count: 16)
        #expect(try OpenSSHPrivateKeyEnvelope(armored: parts.armored).authenticationTag == parts.trailing)

        // A decrypt step that produced garbage: the check integers catch it.
        var plaintext = try Parts(key).section
        plaintext[0] ^= 1
        expectCryptoError(.wrongPassphrase) {
            _ = try OpenSSHPrivateKeyFile.decodePrivateSection(SecureBytes(plaintext), envelope: envelope, blockSize: 8)
        }
        plaintext[0] ^= 1
        // What a decrypt step would do with a correct passphrase.
        let decrypted = try OpenSSHPrivateKeyFile.decodePrivateSection(SecureBytes(plaintext), envelope: envelope, blockSize: 8)
        #expect(decrypted.publicKey == key.publicKey)
        expectCryptoError(.invalidKeyFile) {
            _ = try OpenSSHPrivateKeyFile.decodePrivateSection(SecureBytes(plaintext + [1, 2, 3, 4, 5, 6, 7, 8]), envelope: envelope, blockSize: 16)
        }
    }

    @Test func envelopeErrors() throws {
        let key = Self.keys[0]
        var parts = try Parts(key)
        parts.magic = Array("openssh-key-v2".utf8) + [0]
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        parts = try Parts(key)
        parts.count = 2
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        parts.count = 0
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        parts = try Parts(key)
        parts.trailing = [0]
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        parts = try Parts(key)
        parts.kdf = "scrypt"
        expectCryptoError(.unsupportedAlgorithm) { _ = try parts.decode() }
        parts = try Parts(key)
        parts.kdfOptions = [0, 0, 0, 0]
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        parts = try Parts(key)
        parts.cipher = "aes256-ctr"
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        parts = try Parts(key)
        parts.cipher = ""
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        parts = try Parts(key)
        parts.publicBlob = [0, 0, 0, 7] + Array("ssh-dss".utf8)
        expectCryptoError(.unsupportedAlgorithm) { _ = try parts.decode() }
        parts.publicBlob = [0, 0, 0, 11] + Array("ssh-ed25519".utf8)
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
    }

    @Test func textErrors() {
        expectCryptoError(.invalidKeyFile) { _ = try OpenSSHPrivateKeyFile.decode("") }
        expectCryptoError(.invalidKeyFile) { _ = try OpenSSHPrivateKeyFile.decode("hello") }
        expectCryptoError(.invalidKeyFile) { _ = try OpenSSHPrivateKeyFile.decode(PublicKeyBlobTests.ed25519Line) }
        expectCryptoError(.unsupportedAlgorithm) {
            _ = try OpenSSHPrivateKeyFile.decode("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")
        }
        expectCryptoError(.invalidKeyFile) {
            _ = try OpenSSHPrivateKeyFile.decode(Self.ed25519File.replacingOccurrences(of: "kgAAAA", with: "kg*AAA"))
        }
        expectCryptoError(.invalidKeyFile) {
            _ = try OpenSSHPrivateKeyFile.decode(String(repeating: " ", count: 2 << 20))
        }
        // Leading blank lines, CRLF line ends and text after the end are tolerated.
        let tolerant = "\n\r\n" + Self.ed25519File.replacingOccurrences(of: "\n", with: "\r\n") + "trailing words\n"
        #expect((try? OpenSSHPrivateKeyFile.decode(tolerant)) != nil)
    }

    @Test func privateSectionErrors() throws {
        guard let ed25519 = Self.keys.first(where: { $0.type == .ed25519 }),
              let p256 = Self.keys.first(where: { $0.type == .ecdsaP256 }),
              let rsa = Self.keys.first(where: { $0.type == .rsa }) else {
            Issue.record("missing keys")
            return
        }
        // Check integers differ in an unencrypted file: corrupt, not a passphrase problem.
        var parts = try Parts(ed25519)
        parts.section[4] ^= 1
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        // Comment "x": the ed25519 section ends with padding 1, 2, 3, 4.
        parts = try Parts(ed25519)
        #expect(parts.section.suffix(4) == [1, 2, 3, 4])
        parts.section[parts.section.count - 1] = 5
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        // Not a multiple of the block size.
        parts = try Parts(ed25519)
        parts.section.removeLast()
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        // The embedded copy of the public key in seed ‖ pub differs.
        parts = try Parts(ed25519)
        let embedded = 8 + 15 + 36 + 4 + 32
        parts.section[embedded] ^= 1
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        // The seed does not produce the stored public key.
        parts = try Parts(ed25519)
        parts.section[8 + 15 + 36 + 4] ^= 1
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        // The envelope's public key belongs to another key.
        parts = try Parts(ed25519)
        parts.publicBlob = try SSHPrivateKey.generate(.ed25519).publicKey.blob
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        parts.publicBlob = p256.publicKey.blob
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        // An ECDSA scalar that does not match Q.
        // Located by parsing (check ints, key type, curve, Q, scalar), since the
        // padding may be empty and the last byte then says nothing.
        parts = try Parts(p256)
        var scalarReader = WireReader(parts.section)
        _ = try scalarReader.readBytes(8)
        _ = try scalarReader.readString()
        _ = try scalarReader.readString()
        _ = try scalarReader.readString()
        _ = try scalarReader.readString()
        let scalarEnd = scalarReader.position
        parts.section[scalarEnd - 1] ^= 1
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
        // An RSA private exponent that does not match e.
        parts = try Parts(rsa)
        var reader = WireReader(parts.section)
        _ = try reader.readBytes(8)
        _ = try reader.readString()
        _ = try reader.readString()
        _ = try reader.readString()
        parts.section[reader.position + 4 + 100] ^= 1
        expectCryptoError(.invalidKeyFile) { _ = try parts.decode() }
    }

    @Test func everyTruncationThrows() throws {
        for key in Self.keys {
            let parts = try Parts(key)
            let binary = parts.binary
            for length in 0..<binary.count {
                expectCryptoError(.invalidKeyFile, context: "\(key.type.rawValue) binary truncated to \(length)") {
                    _ = try OpenSSHPrivateKeyEnvelope(binary: Array(binary.prefix(length)))
                }
            }
            for length in 0..<parts.section.count {
                var cut = parts
                cut.section = Array(parts.section.prefix(length))
                expectCryptoError(.invalidKeyFile, context: "\(key.type.rawValue) section truncated to \(length)") {
                    _ = try cut.decode()
                }
            }
            let text = Array(parts.armored.utf8)
            let lastUsable = text.count - 1   // dropping only the final newline leaves a valid file
            for length in 0..<lastUsable {
                expectCryptoError(.invalidKeyFile, context: "\(key.type.rawValue) text truncated to \(length)") {
                    _ = try OpenSSHPrivateKeyFile.decode(String(decoding: text.prefix(length), as: UTF8.self))
                }
            }
        }
    }
}
