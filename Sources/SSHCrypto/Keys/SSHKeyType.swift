/// SSHKeyType names the public-key types ferry can parse, sign and verify
/// with; the raw value is the key type name on the wire (RFC 4253 §6.6,
/// RFC 5656 §3.1, RFC 8709 §4).
///
/// A key type is not a signature algorithm: one `ssh-rsa` key signs with
/// `rsa-sha2-512`, `rsa-sha2-256` or `ssh-rsa` (see `SignatureAlgorithm`).
public enum SSHKeyType: String, Sendable, CaseIterable {
    /// Ed25519 (RFC 8709): a 32-byte public key.
    case ed25519 = "ssh-ed25519"
    /// ECDSA over NIST P-256 (RFC 5656).
    case ecdsaP256 = "ecdsa-sha2-nistp256"
    /// ECDSA over NIST P-384 (RFC 5656).
    case ecdsaP384 = "ecdsa-sha2-nistp384"
    /// ECDSA over NIST P-521 (RFC 5656).
    case ecdsaP521 = "ecdsa-sha2-nistp521"
    /// RSA (RFC 4253, RFC 8332): modulus of 1024 to 16384 bits.
    case rsa = "ssh-rsa"

    /// The curve of an ECDSA key type, nil for the others.
    public var curve: ECCurve? {
        switch self {
        case .ecdsaP256: .nistp256
        case .ecdsaP384: .nistp384
        case .ecdsaP521: .nistp521
        case .ed25519, .rsa: nil
        }
    }

    /// The signature algorithms a key of this type can make, best first.
    public var signatureAlgorithms: [SignatureAlgorithm] {
        SignatureAlgorithm.allCases.filter { $0.keyType == self }
    }

    /// The algorithm `SSHPrivateKey.sign` uses when none is named: the only
    /// one for Ed25519 and ECDSA, `rsa-sha2-512` for RSA (SHA-1 is broken
    /// for signatures, and OpenSSH prefers SHA-512).
    public var defaultSignatureAlgorithm: SignatureAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .ecdsaP256: .ecdsaP256
        case .ecdsaP384: .ecdsaP384
        case .ecdsaP521: .ecdsaP521
        case .rsa: .rsaSHA512
        }
    }
}
