/// SignatureAlgorithm names the SSH public-key signature algorithms ferry
/// implements; the raw value is the name in the signature blob and in the
/// `server-host-key-algorithms` / `publickey` negotiation.
///
/// The cases are listed in ferry's order of preference (OpenSSH's).
public enum SignatureAlgorithm: String, Sendable, CaseIterable {
    /// Ed25519 (RFC 8709): 64-byte signatures over the message itself.
    case ed25519 = "ssh-ed25519"
    /// ECDSA on P-256 with SHA-256 (RFC 5656).
    case ecdsaP256 = "ecdsa-sha2-nistp256"
    /// ECDSA on P-384 with SHA-384 (RFC 5656).
    case ecdsaP384 = "ecdsa-sha2-nistp384"
    /// ECDSA on P-521 with SHA-512 (RFC 5656).
    case ecdsaP521 = "ecdsa-sha2-nistp521"
    /// RSA PKCS#1 v1.5 with SHA-512 (RFC 8332).
    case rsaSHA512 = "rsa-sha2-512"
    /// RSA PKCS#1 v1.5 with SHA-256 (RFC 8332).
    case rsaSHA256 = "rsa-sha2-256"
    /// RSA PKCS#1 v1.5 with SHA-1 (RFC 4253): legacy, for old servers only.
    case rsaSHA1 = "ssh-rsa"

    /// The type of key that makes this signature.
    public var keyType: SSHKeyType {
        switch self {
        case .ed25519: .ed25519
        case .ecdsaP256: .ecdsaP256
        case .ecdsaP384: .ecdsaP384
        case .ecdsaP521: .ecdsaP521
        case .rsaSHA512, .rsaSHA256, .rsaSHA1: .rsa
        }
    }

    /// The hash applied to the message before signing, or nil for Ed25519,
    /// which signs the message itself (its SHA-512 is internal to the scheme).
    public var hash: HashAlgorithm? {
        switch self {
        case .ed25519: nil
        case .ecdsaP256: .sha256
        case .ecdsaP384: .sha384
        case .ecdsaP521: .sha512
        case .rsaSHA512: .sha512
        case .rsaSHA256: .sha256
        case .rsaSHA1: .sha1
        }
    }
}
