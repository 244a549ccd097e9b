import SSHWire

/// OpenSSHPrivateKeyEnvelope is the outer, unencrypted layer of an
/// "openssh-key-v1" private key file (OpenSSH PROTOCOL.key):
///
///     "openssh-key-v1\0"
///     string ciphername     "none", "aes256-ctr", "aes256-gcm@openssh.com"…
///     string kdfname        "none" or "bcrypt"
///     string kdfoptions     empty, or string salt + uint32 rounds for bcrypt
///     uint32 number of keys (ferry accepts exactly 1)
///     string public key blob
///     string private section (encrypted unless ciphername is "none")
///     [AEAD tag, for ciphers that have one]
///
/// Splitting the file here is what lets decryption slot in: a decrypt step
/// turns `privateSection` into plaintext with the KDF and cipher named here,
/// then hands it to `OpenSSHPrivateKeyFile.decodePrivateSection`.
public struct OpenSSHPrivateKeyEnvelope: Sendable {
    /// The cipher protecting the private section ("none" when unencrypted).
    public let cipherName: String
    /// The key derivation function ("none" or "bcrypt").
    public let kdfName: String
    /// The bcrypt_pbkdf salt (empty when kdfName is "none").
    public let kdfSalt: [UInt8]
    /// The bcrypt_pbkdf rounds (0 when kdfName is "none").
    public let kdfRounds: UInt32
    /// The public key stored in clear, which the private section must match.
    public let publicKey: SSHPublicKey
    /// The private section as stored: ciphertext, or plaintext for "none".
    /// Kept in wiped storage because for unencrypted files it is the key.
    public let privateSection: SecureBytes
    /// Bytes after the private section: the authentication tag of AEAD
    /// ciphers (aes256-gcm, chacha20-poly1305), empty otherwise.
    public let authenticationTag: [UInt8]

    /// Whether the private section is encrypted (needs a passphrase).
    public var isEncrypted: Bool { cipherName != "none" }

    static let magic: [UInt8] = Array("openssh-key-v1".utf8) + [0]
    static let label = "OPENSSH PRIVATE KEY"

    /// Parses the armored text of a key file.
    public init(armored text: String) throws {
        var binary = try Self.decodeArmor(text)
        defer { binary.wipe() }
        self = try Self.parse(binary)
    }

    /// Parses the binary (Base64-decoded) form of a key file.
    public init(binary: [UInt8]) throws {
        self = try Self.parse(binary)
    }

    init(cipherName: String, kdfName: String, kdfSalt: [UInt8], kdfRounds: UInt32,
         publicKey: SSHPublicKey, privateSection: SecureBytes, authenticationTag: [UInt8]) {
        self.cipherName = cipherName
        self.kdfName = kdfName
        self.kdfSalt = kdfSalt
        self.kdfRounds = kdfRounds
        self.publicKey = publicKey
        self.privateSection = privateSection
        self.authenticationTag = authenticationTag
    }

    private static func decodeArmor(_ text: String) throws -> [UInt8] {
        // PEM keys (PKCS#1, SEC1, PKCS#8) are PrivateKeyFile's to route.
        for legacy in ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY"]
        where text.contains(PEMArmor.begin(legacy)) {
            throw CryptoError(.unsupportedAlgorithm,
                              "this is a \(legacy) PEM file, not an OpenSSH key file; load it with PrivateKeyFile.decode")
        }
        return try PEMArmor.decode(text, label: label)
    }

    /// The reader and every slice of `binary` die when this returns, so the
    /// caller's wipe of `binary` reaches the only copy.
    private static func parse(_ binary: [UInt8]) throws -> OpenSSHPrivateKeyEnvelope {
        var reader = WireReader(binary)
        do {
            guard binary.starts(with: magic) else {
                throw CryptoError(.invalidKeyFile, "not an OpenSSH private key: the \"openssh-key-v1\" header is missing")
            }
            _ = try reader.readBytes(magic.count)
            let cipherName = try readName(&reader, "cipher")
            let kdfName = try readName(&reader, "KDF")
            let kdfOptions = try reader.readString(maxLength: 1024)
            var salt: [UInt8] = []
            var rounds: UInt32 = 0
            switch kdfName {
            case "none":
                guard kdfOptions.isEmpty else {
                    throw CryptoError(.invalidKeyFile, "key file has KDF options but no KDF")
                }
                guard cipherName == "none" else {
                    throw CryptoError(.invalidKeyFile, "key file is encrypted with \(cipherName) but names no KDF")
                }
            case "bcrypt":
                var options = WireReader(Array(kdfOptions))
                salt = Array(try options.readString(maxLength: 1024))
                rounds = try options.readUInt32()
                try options.expectEnd("bcrypt KDF options")
                guard cipherName != "none" else {
                    throw CryptoError(.invalidKeyFile, "key file names a KDF but no cipher")
                }
            default:
                throw CryptoError(.unsupportedAlgorithm, "key file uses the unknown KDF \"\(kdfName)\"")
            }
            let count = try reader.readUInt32()
            guard count == 1 else {
                throw CryptoError(.invalidKeyFile, "key file holds \(count) keys; ferry reads files with exactly one")
            }
            let publicBlob = try reader.readString(maxLength: 64 * 1024)
            let publicKey: SSHPublicKey
            do {
                publicKey = try SSHPublicKey(blob: Array(publicBlob))
            } catch let error as CryptoError where error.code == .invalidKey {
                throw CryptoError(.invalidKeyFile, "key file's public key is invalid: \(error.message)")
            }
            let section = try reader.readString(maxLength: 1 << 20)
            let tag = Array(reader.readRemaining())
            guard cipherName != "none" || tag.isEmpty else {
                throw CryptoError(.invalidKeyFile, "unencrypted key file has \(tag.count) trailing byte(s)")
            }
            return OpenSSHPrivateKeyEnvelope(
                cipherName: cipherName, kdfName: kdfName, kdfSalt: salt, kdfRounds: rounds,
                publicKey: publicKey, privateSection: SecureBytes(section), authenticationTag: tag)
        } catch let error as WireError {
            throw CryptoError(.invalidKeyFile, "malformed OpenSSH private key: \(error.message)")
        }
    }

    private static func readName(_ reader: inout WireReader, _ what: String) throws -> String {
        let raw = try reader.readString(maxLength: 128)
        guard let name = String(validating: raw, as: UTF8.self),
              !name.isEmpty, name.utf8.allSatisfy({ (0x21..<0x7f).contains($0) }) else {
            throw CryptoError(.invalidKeyFile, "key file has a malformed \(what) name")
        }
        return name
    }
}
