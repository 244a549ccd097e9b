import CLibcrypto

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
