import SSHCrypto

/// KeyExchangeAlgorithm lists the key-exchange methods ferry implements.
public enum KeyExchangeAlgorithm: String, Sendable, CaseIterable {
    /// curve25519-sha256 (RFC 8731).
    case curve25519SHA256 = "curve25519-sha256"
    /// curve25519-sha256@libssh.org: the same method under its older name.
    case curve25519SHA256LibSSH = "curve25519-sha256@libssh.org"
    /// ecdh-sha2-nistp256 (RFC 5656).
    case ecdhP256 = "ecdh-sha2-nistp256"
    /// ecdh-sha2-nistp384 (RFC 5656).
    case ecdhP384 = "ecdh-sha2-nistp384"
    /// ecdh-sha2-nistp521 (RFC 5656).
    case ecdhP521 = "ecdh-sha2-nistp521"
    /// diffie-hellman-group-exchange-sha256 (RFC 4419).
    case dhGroupExchangeSHA256 = "diffie-hellman-group-exchange-sha256"
    /// diffie-hellman-group16-sha512 (RFC 8268).
    case dhGroup16SHA512 = "diffie-hellman-group16-sha512"
    /// diffie-hellman-group18-sha512 (RFC 8268).
    case dhGroup18SHA512 = "diffie-hellman-group18-sha512"
    /// diffie-hellman-group14-sha256 (RFC 8268).
    case dhGroup14SHA256 = "diffie-hellman-group14-sha256"
    /// diffie-hellman-group14-sha1: legacy, only when explicitly enabled.
    case dhGroup14SHA1 = "diffie-hellman-group14-sha1"
    /// diffie-hellman-group-exchange-sha1: legacy, only when explicitly enabled.
    case dhGroupExchangeSHA1 = "diffie-hellman-group-exchange-sha1"
    /// diffie-hellman-group1-sha1: legacy 1024-bit group, only when explicitly enabled.
    case dhGroup1SHA1 = "diffie-hellman-group1-sha1"

    /// The hash for the exchange hash and key derivation.
    public var hash: HashAlgorithm {
        switch self {
        case .curve25519SHA256, .curve25519SHA256LibSSH, .ecdhP256, .dhGroupExchangeSHA256, .dhGroup14SHA256: .sha256
        case .ecdhP384: .sha384
        case .ecdhP521, .dhGroup16SHA512, .dhGroup18SHA512: .sha512
        case .dhGroup14SHA1, .dhGroupExchangeSHA1, .dhGroup1SHA1: .sha1
        }
    }

    /// The fixed group, for the finite-field methods that have one.
    var fixedGroup: DiffieHellmanGroup? {
        switch self {
        case .dhGroup1SHA1: .group1
        case .dhGroup14SHA1, .dhGroup14SHA256: .group14
        case .dhGroup16SHA512: .group16
        case .dhGroup18SHA512: .group18
        default: nil
        }
    }

    var isGroupExchange: Bool { self == .dhGroupExchangeSHA256 || self == .dhGroupExchangeSHA1 }

    /// A fresh ephemeral agreement for the methods that need no negotiation round.
    func makeAgreement(securityBits: Int) throws -> (any KeyAgreement)? {
        switch self {
        case .curve25519SHA256, .curve25519SHA256LibSSH: return try X25519KeyAgreement()
        case .ecdhP256: return try ECDHKeyAgreement(curve: .p256)
        case .ecdhP384: return try ECDHKeyAgreement(curve: .p384)
        case .ecdhP521: return try ECDHKeyAgreement(curve: .p521)
        default:
            guard let group = fixedGroup else { return nil }
            return try DiffieHellmanKeyAgreement(group: group, securityBits: securityBits)
        }
    }

    /// True when the public values are mpints (finite-field DH) rather than strings.
    var usesMPIntPublicValues: Bool {
        switch self {
        case .curve25519SHA256, .curve25519SHA256LibSSH, .ecdhP256, .ecdhP384, .ecdhP521: false
        default: true
        }
    }
}

/// Pseudo-algorithms advertised in the kex list (never negotiated).
enum KexExtensionMarker {
    /// OpenSSH strict KEX, client side (PROTOCOL §1.9).
    static let strictClient = "kex-strict-c-v00@openssh.com"
    /// OpenSSH strict KEX, server side.
    static let strictServer = "kex-strict-s-v00@openssh.com"
    /// RFC 8308: the client accepts SSH_MSG_EXT_INFO.
    static let extInfoClient = "ext-info-c"
    /// RFC 8308: the server accepts SSH_MSG_EXT_INFO.
    static let extInfoServer = "ext-info-s"
}

/// Compression methods (RFC 4253 §6.2 and OpenSSH's delayed variant).
public enum CompressionAlgorithm: String, Sendable, CaseIterable {
    /// No compression.
    case none
    /// zlib@openssh.com: zlib that starts after user authentication succeeds.
    case zlibOpenSSH = "zlib@openssh.com"
    /// zlib: starts right after NEWKEYS.
    case zlib
}
