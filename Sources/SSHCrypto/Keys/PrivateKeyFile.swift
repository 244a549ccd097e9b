/// PrivateKeyFile loads a private key file in any format ssh accepts, by its
/// PEM label: OpenSSH's own ("OPENSSH PRIVATE KEY", `OpenSSHPrivateKeyFile`)
/// or the libcrypto PEM formats (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8:
/// `PEMPrivateKeyFile`).
///
/// Callers ask `isEncrypted` first so that a passphrase is requested only
/// for files that need one, as ssh does.
public enum PrivateKeyFile {
    /// The formats told apart by their PEM label.
    enum Format: Equatable {
        /// "openssh-key-v1".
        case openSSH
        /// A PEM key libcrypto decodes; the label is one of `PEMPrivateKeyFile.labels`.
        case pem(label: String)
    }

    /// Whether loading `text` needs a passphrase.
    ///
    /// - Throws: the same errors as `decode` for text that is not a
    ///   private key file ferry reads.
    public static func isEncrypted(_ text: String) throws -> Bool {
        switch try format(of: text) {
        case .openSSH: try OpenSSHPrivateKeyEnvelope(armored: text).isEncrypted
        case .pem(let label): PEMPrivateKeyFile.isEncrypted(text, label: label)
        }
    }

    /// Loads the key in `text`; `passphrase` is used only if it is encrypted.
    ///
    /// - Throws: `.wrongPassphrase` when an encrypted file's passphrase is
    ///   nil or wrong (the message names nothing secret),
    ///   `.unsupportedAlgorithm` for a key type, cipher or KDF ferry lacks,
    ///   `.invalidKeyFile` for anything else. Messages do not name the file:
    ///   the caller, who knows the path, adds it.
    public static func decode(_ text: String, passphrase: SecureBytes?) throws -> SSHPrivateKey {
        switch try format(of: text) {
        case .openSSH: try OpenSSHPrivateKeyFile.decode(text, passphrase: passphrase)
        case .pem(let label): try PEMPrivateKeyFile.decode(text, label: label, passphrase: passphrase)
        }
    }

    /// The format named by the first BEGIN line.
    static func format(of text: String) throws -> Format {
        let head = Array(text.utf8.prefix(PEMArmor.maxTextLength))
        guard let beginRange = head.firstRange(of: Array("-----BEGIN ".utf8)) else {
            if text.hasPrefix("ssh-") || text.hasPrefix("ecdsa-") {
                throw CryptoError(.invalidKeyFile, "this is a public key, not a private key file")
            }
            throw CryptoError(.invalidKeyFile, "not a private key file: no \"-----BEGIN\" line")
        }
        let rest = head[beginRange.upperBound...].prefix(64)
        guard let close = rest.firstRange(of: Array("-----".utf8)) else {
            throw CryptoError(.invalidKeyFile, "not a private key file: malformed \"-----BEGIN\" line")
        }
        let label = String(decoding: rest[rest.startIndex..<close.lowerBound], as: UTF8.self)
        if label == OpenSSHPrivateKeyEnvelope.label { return .openSSH }
        if PEMPrivateKeyFile.labels.contains(label) { return .pem(label: label) }
        if label == "DSA PRIVATE KEY" {
            throw CryptoError(.unsupportedAlgorithm, "DSA keys are not supported (OpenSSH disabled them in 7.0); use an Ed25519 key")
        }
        throw CryptoError(.invalidKeyFile, "not a private key file: it holds a \"\(SSHPublicKey.printable(label.utf8))\" block")
    }
}
