import SSHWire

/// OpenSSHPrivateKeyFile reads and writes the "-----BEGIN OPENSSH PRIVATE
/// KEY-----" format ssh-keygen has produced by default since OpenSSH 7.8
/// (OpenSSH PROTOCOL.key).
///
/// Reading happens in two steps so that decryption can slot in between:
/// `OpenSSHPrivateKeyEnvelope` parses the clear outer layer, and
/// `decodePrivateSection` parses the (decrypted) private section:
///
///     uint32 checkint, uint32 checkint (equal; a mismatch means a wrong passphrase)
///     string key type, then per type:
///         ssh-ed25519: string pub (32), string seed ‖ pub (64)
///         ecdsa-*:     string curve, string Q, mpint d
///         ssh-rsa:     mpint n, mpint e, mpint d, mpint iqmp, mpint p, mpint q
///     string comment
///     padding 1, 2, 3, … up to the cipher block size
///
/// Every intermediate copy of secret bytes this type makes is wiped. The
/// text returned by `encode` is itself the secret and, being a String,
/// cannot be; write it to a 0600 file and drop it.
public enum OpenSSHPrivateKeyFile {
    /// Block size of the "none" cipher: the private section is padded to it.
    static let unencryptedBlockSize = 8

    /// Loads a key file, decrypting it with `passphrase` if it is encrypted
    /// (bcrypt_pbkdf and one of `OpenSSHKeyCipher.all`).
    ///
    /// - Throws: `.invalidKeyFile` for a malformed file, `.wrongPassphrase`
    ///   for an encrypted file when `passphrase` is nil or wrong,
    ///   `.unsupportedAlgorithm` for an unknown cipher, KDF or key type.
    public static func decode(_ text: String, passphrase: SecureBytes? = nil) throws -> SSHPrivateKey {
        try decode(OpenSSHPrivateKeyEnvelope(armored: text), passphrase: passphrase)
    }

    /// Loads the key of a parsed envelope; `passphrase` is used only when
    /// the envelope is encrypted.
    public static func decode(_ envelope: OpenSSHPrivateKeyEnvelope, passphrase: SecureBytes? = nil) throws -> SSHPrivateKey {
        guard envelope.isEncrypted else {
            return try decodePrivateSection(envelope.privateSection, envelope: envelope, blockSize: unencryptedBlockSize)
        }
        guard let passphrase else {
            throw CryptoError(.wrongPassphrase, "the key file is encrypted and no passphrase was given")
        }
        let (plaintext, blockSize) = try decrypt(envelope, passphrase: passphrase)
        return try decodePrivateSection(plaintext, envelope: envelope, blockSize: blockSize)
    }

    /// Parses a plaintext private section: the envelope's own for "none",
    /// or what a decrypt step produced from it.
    ///
    /// - Parameters:
    ///   - plaintext: the decrypted private section.
    ///   - envelope: the file's envelope, whose public key the private key
    ///     must match.
    ///   - blockSize: the cipher's block size (8 for "none", 16 for AES);
    ///     the section must be a multiple of it.
    /// - Throws: `.wrongPassphrase` when the check integers differ in an
    ///   encrypted file, `.invalidKeyFile` for anything malformed or a
    ///   private key that does not match the envelope's public key.
    public static func decodePrivateSection(_ plaintext: SecureBytes, envelope: OpenSSHPrivateKeyEnvelope, blockSize: Int) throws -> SSHPrivateKey {
        var bytes = plaintext.bytes
        defer { bytes.wipe() }
        do {
            return try parsePrivateSection(bytes, envelope: envelope, blockSize: blockSize)
        } catch let error as WireError {
            throw CryptoError(.invalidKeyFile, "malformed private key section: \(error.message)")
        } catch let error as CryptoError where error.code == .invalidKey {
            throw CryptoError(.invalidKeyFile, "key file holds an invalid key: \(error.message)")
        }
    }

    /// Serializes `key` armored as ssh-keygen writes it: unencrypted when
    /// `passphrase` is nil, else with aes256-ctr and bcrypt_pbkdf of
    /// `rounds` rounds (ssh-keygen's default cipher and work factor).
    public static func encode(_ key: SSHPrivateKey, passphrase: SecureBytes? = nil, rounds: Int = defaultKDFRounds) throws -> String {
        var binary = try encodeBinary(key, passphrase: passphrase, rounds: rounds)
        defer { binary.wipe() }
        return PEMArmor.encode(binary, label: OpenSSHPrivateKeyEnvelope.label)
    }

    // MARK: - Reading

    /// Reader and slices over `bytes` end with this call, so the caller's
    /// wipe reaches the only copy.
    private static func parsePrivateSection(_ bytes: [UInt8], envelope: OpenSSHPrivateKeyEnvelope, blockSize: Int) throws -> SSHPrivateKey {
        guard blockSize > 0, bytes.count % blockSize == 0 else {
            throw CryptoError(.invalidKeyFile, "private key section of \(bytes.count) bytes is not a multiple of the \(blockSize)-byte block size")
        }
        var reader = WireReader(bytes)
        let check1 = try reader.readUInt32()
        let check2 = try reader.readUInt32()
        guard check1 == check2 else {
            if envelope.isEncrypted {
                throw CryptoError(.wrongPassphrase, "incorrect passphrase for the key file")
            }
            throw CryptoError(.invalidKeyFile, "key file is corrupt: its check integers differ")
        }
        let type = try SSHPublicKey.readKeyType(&reader)
        guard type == envelope.publicKey.type else {
            throw CryptoError(.invalidKeyFile, "key file's private key is \(type.rawValue) but its public key is \(envelope.publicKey.keyType)")
        }
        let makeKey: (String) throws -> SSHPrivateKey
        switch type {
        case .ed25519:
            let pub = try reader.readString(maxLength: 32)
            let secret = try reader.readString(maxLength: 64)
            guard pub.count == 32, secret.count == 64 else {
                throw CryptoError(.invalidKeyFile, "ssh-ed25519 private key fields have the wrong sizes")
            }
            guard secret.suffix(32).elementsEqual(pub) else {
                throw CryptoError(.invalidKeyFile, "ssh-ed25519 private key's embedded public key does not match")
            }
            let seed = secret.prefix(32)
            makeKey = { try SSHPrivateKey(ed25519Seed: seed, comment: $0) }
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            guard let curve = type.curve else { throw CryptoError(.invalidKeyFile, "\(type.rawValue) has no curve") }
            let curveName = try reader.readString(maxLength: 64)
            guard curveName.elementsEqual(curve.rawValue.utf8) else {
                throw CryptoError(.invalidKeyFile, "\(type.rawValue) private key names the wrong curve")
            }
            let point = try reader.readString(maxLength: 256)
            var scalar = try reader.readMPInt(maxBytes: curve.fieldSize + 1)
            defer { scalar.wipe() }
            let (key, derived) = try SSHPrivateKey.ecdsaKey(curve: curve, scalar: scalar)
            guard derived.elementsEqual(point) else {
                throw CryptoError(.invalidKeyFile, "\(type.rawValue) private scalar does not match the stored public point")
            }
            let publicKey = try SSHPublicKey(components: .ecdsa(curve: curve, point: derived))
            makeKey = { SSHPrivateKey(evpKey: key, publicKey: publicKey, comment: $0) }
        case .rsa:
            let n = try reader.readMPInt()
            let e = try reader.readMPInt()
            var d = try reader.readMPInt()
            defer { d.wipe() }
            var iqmp = try reader.readMPInt()
            defer { iqmp.wipe() }
            var p = try reader.readMPInt()
            defer { p.wipe() }
            var q = try reader.readMPInt()
            defer { q.wipe() }
            let publicKey = try SSHPublicKey(components: .rsa(e: e, n: n))
            let key = try SSHPrivateKey.rsaKey(n: n, e: e, d: d, p: p, q: q, iqmp: iqmp)
            makeKey = { SSHPrivateKey(evpKey: key, publicKey: publicKey, comment: $0) }
        }
        let comment = String(decoding: try reader.readString(maxLength: 64 * 1024), as: UTF8.self)
        var expected: UInt8 = 1
        for byte in reader.readRemaining() {
            guard byte == expected else {
                throw CryptoError(.invalidKeyFile, "key file's private section has malformed padding")
            }
            expected &+= 1
        }
        let key = try makeKey(comment)
        guard key.publicKey == envelope.publicKey else {
            throw CryptoError(.invalidKeyFile, "key file's private key does not match its public key")
        }
        return key
    }

    // MARK: - Writing

    /// The binary (un-armored) file; the caller wipes it.
    static func encodeBinary(_ key: SSHPrivateKey, passphrase: SecureBytes? = nil, rounds: Int = defaultKDFRounds) throws -> [UInt8] {
        let cipher = passphrase == nil ? nil : OpenSSHKeyCipher.defaultForWriting
        var section = try privateSection(key, blockSize: cipher?.blockSize ?? unencryptedBlockSize)
        defer { section.wipe() }
        var kdfOptions: [UInt8] = []
        var tag: [UInt8] = []
        if let cipher, let passphrase {
            guard (1...maxKDFRounds).contains(rounds) else {
                throw CryptoError(.invalidLength, "bcrypt rounds must be between 1 and \(maxKDFRounds), not \(rounds)")
            }
            let salt = try SecureRandom.bytes(16)
            var options = WireWriter()
            options.writeString(salt)
            options.writeUInt32(UInt32(rounds))
            kdfOptions = options.bytes
            let keyAndIV = try deriveKeyAndIV(passphrase: passphrase, salt: salt, rounds: rounds, cipher: cipher)
            let encrypted = try cipher.encrypt(section, keyAndIV: keyAndIV)
            section.wipe()
            section = encrypted.ciphertext
            tag = encrypted.tag
        }
        var writer = WireWriter(capacity: section.count + key.publicKey.blob.count + 128)
        writer.writeRaw(OpenSSHPrivateKeyEnvelope.magic)
        writer.writeString(cipher?.name ?? "none")
        writer.writeString(cipher == nil ? "none" : "bcrypt")
        writer.writeString(kdfOptions)
        writer.writeUInt32(1)
        writer.writeString(key.publicKey.blob)
        writer.writeString(section)
        writer.writeRaw(tag)
        return writer.takeBytes()
    }

    /// The padded plaintext private section; the caller wipes it.
    private static func privateSection(_ key: SSHPrivateKey, blockSize: Int) throws -> [UInt8] {
        // Reserved up front so the writer never reallocates and leaves an
        // unwiped copy of the secrets behind.
        var writer = WireWriter(capacity: 16 * 1024 + key.comment.utf8.count)
        let check = try SecureRandom.uniform(UInt32.max)
        writer.writeUInt32(check)
        writer.writeUInt32(check)
        writer.writeString(key.type.rawValue)
        switch key.publicKey.components {
        case .ed25519(let pub):
            let seed = try key.evpKey.rawPrivateKey()
            writer.writeString(pub)
            writer.writeUInt32(64)
            seed.withUnsafeBytes { writer.writeRaw($0) }
            writer.writeRaw(pub)
        case .ecdsa(let curve, let point):
            var scalar = try key.evpKey.integer("priv").magnitude
            defer { scalar.wipe() }
            writer.writeString(curve.rawValue)
            writer.writeString(point)
            writer.writeMPInt(scalar)
        case .rsa(let e, let n):
            writer.writeMPInt(n)
            writer.writeMPInt(e)
            for name in ["d", "rsa-coefficient1", "rsa-factor1", "rsa-factor2"] {
                var value = try key.evpKey.integer(name).magnitude
                writer.writeMPInt(value)
                value.wipe()
            }
        }
        writer.writeString(key.comment)
        var pad: UInt8 = 1
        while writer.count % blockSize != 0 {
            writer.writeByte(pad)
            pad += 1
        }
        return writer.takeBytes()
    }
}

extension WireWriter {
    /// Moves the bytes out and leaves the writer empty, so the returned
    /// array holds the only reference and wiping it clears the storage.
    mutating func takeBytes() -> [UInt8] {
        let out = bytes
        self = WireWriter(capacity: 0)
        return out
    }
}
