import CLibcrypto

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

/// ECCurve names the NIST prime curves SSH uses for ECDSA (RFC 5656 §10.1);
/// the raw value is the curve identifier carried inside key blobs.
public enum ECCurve: String, Sendable, CaseIterable {
    /// NIST P-256 (secp256r1, prime256v1).
    case nistp256
    /// NIST P-384 (secp384r1).
    case nistp384
    /// NIST P-521 (secp521r1).
    case nistp521

    /// The ECDSA key type on this curve.
    public var keyType: SSHKeyType {
        switch self {
        case .nistp256: .ecdsaP256
        case .nistp384: .ecdsaP384
        case .nistp521: .ecdsaP521
        }
    }

    /// Bytes in one field element, and so in each coordinate of a point.
    public var fieldSize: Int {
        switch self {
        case .nistp256: 32
        case .nistp384: 48
        case .nistp521: 66
        }
    }

    /// Bits in the group order (the key size `ssh-keygen -l` prints).
    public var bits: Int {
        switch self {
        case .nistp256: 256
        case .nistp384: 384
        case .nistp521: 521
        }
    }

    /// The hash RFC 5656 §6.2.1 pairs with the curve.
    public var hash: HashAlgorithm {
        switch self {
        case .nistp256: .sha256
        case .nistp384: .sha384
        case .nistp521: .sha512
        }
    }

    /// Length of an uncompressed point: 0x04 ‖ X ‖ Y.
    var uncompressedPointSize: Int { 1 + 2 * fieldSize }

    /// The name libcrypto's EC key management knows the group by.
    var groupName: String {
        switch self {
        case .nistp256: "prime256v1"
        case .nistp384: "secp384r1"
        case .nistp521: "secp521r1"
        }
    }

    /// The libcrypto NID, for the EC_GROUP arithmetic that derives a public point.
    var nid: Int32 {
        switch self {
        case .nistp256: NID_X9_62_prime256v1
        case .nistp384: NID_secp384r1
        case .nistp521: NID_secp521r1
        }
    }
}
