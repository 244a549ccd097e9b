/// Passphrase protection of "openssh-key-v1" files: bcrypt_pbkdf turns the
/// passphrase and the file's salt into a cipher key and IV, which decrypt
/// the private section (OpenSSH PROTOCOL.key, sshkey.c).
extension OpenSSHPrivateKeyFile {
    /// The work factor ssh-keygen uses unless told otherwise (`-a`).
    public static let defaultKDFRounds = 16

    /// Most bcrypt rounds ferry will run for a file. The rounds come from
    /// the file, so an absurd count (up to 2³²) would hang the client for
    /// days; real files use 16 to a few hundred, and a million rounds is
    /// already hours of work.
    public static let maxKDFRounds = 1_000_000

    /// The plaintext private section of an encrypted envelope, and the block
    /// size its padding follows.
    ///
    /// - Throws: `.wrongPassphrase` when a GCM tag fails (a wrong
    ///   check-integer pair is caught by `decodePrivateSection`),
    ///   `.unsupportedAlgorithm` for a cipher ferry lacks, `.invalidKeyFile`
    ///   for unusable KDF options.
    static func decrypt(_ envelope: OpenSSHPrivateKeyEnvelope, passphrase: SecureBytes) throws -> (SecureBytes, Int) {
        guard let cipher = OpenSSHKeyCipher.named(envelope.cipherName) else {
            throw CryptoError(.unsupportedAlgorithm,
                              "the key file is encrypted with \(envelope.cipherName), which ferry does not support; "
                              + "re-encrypt it with `ssh-keygen -p -Z aes256-ctr -f <file>`")
        }
        guard envelope.kdfName == "bcrypt" else {
            throw CryptoError(.unsupportedAlgorithm, "the key file uses the KDF \"\(envelope.kdfName)\"; ferry supports bcrypt")
        }
        guard envelope.kdfRounds >= 1, Int(envelope.kdfRounds) <= maxKDFRounds else {
            throw CryptoError(.invalidKeyFile,
                              "the key file asks for \(envelope.kdfRounds) bcrypt rounds; ferry accepts 1 to \(maxKDFRounds) "
                              + "(re-encrypt it with `ssh-keygen -p -a 100 -f <file>`)")
        }
        guard (1...BcryptPBKDF.maxSaltLength).contains(envelope.kdfSalt.count) else {
            throw CryptoError(.invalidKeyFile, "the key file's bcrypt salt of \(envelope.kdfSalt.count) bytes is unusable")
        }
        guard passphrase.count > 0 else {
            throw CryptoError(.wrongPassphrase, "incorrect passphrase for the key file (it is empty)")
        }
        let keyAndIV = try deriveKeyAndIV(passphrase: passphrase, salt: envelope.kdfSalt,
                                          rounds: Int(envelope.kdfRounds), cipher: cipher)
        let plaintext = try cipher.decrypt(envelope.privateSection, tag: envelope.authenticationTag, keyAndIV: keyAndIV)
        return (plaintext, cipher.blockSize)
    }

    /// bcrypt_pbkdf output for `cipher`: key ‖ IV, in wiped storage.
    static func deriveKeyAndIV(passphrase: SecureBytes, salt: [UInt8], rounds: Int, cipher: OpenSSHKeyCipher) throws -> SecureBytes {
        try BcryptPBKDF.deriveKey(password: passphrase, salt: salt, rounds: rounds,
                                  keyLength: cipher.keyLength + cipher.ivLength)
    }
}
