import SSHWire

/// SSHCertificate is an OpenSSH certificate (PROTOCOL.certkeys): a public
/// key plus the identity, principals and validity a certificate authority
/// signed for it. A user presents it in place of the bare public key, and a
/// server that trusts the CA (`TrustedUserCAKeys`) needs no authorized_keys
/// line for the key.
///
///     string  "<key type>-cert-v01@openssh.com"
///     string  nonce
///     …       the key type's public fields (as in its public key blob)
///     uint64  serial             uint32  type (1 user, 2 host)
///     string  key id             string  valid principals
///     uint64  valid after        uint64  valid before
///     string  critical options   string  extensions
///     string  reserved           string  signature key (the CA's)
///     string  signature          (over every byte before it)
///
/// The blob is kept byte-for-byte: it is what goes on the wire. Parsing
/// checks structure and the embedded key; whether the CA is trusted is the
/// server's decision, so the CA signature is only checked on request.
public struct SSHCertificate: Sendable, Hashable, CustomStringConvertible {
    /// Whom a certificate is for.
    public enum Kind: UInt32, Sendable {
        /// A user certificate (SSH2_CERT_TYPE_USER), presented in user authentication.
        case user = 1
        /// A host certificate (SSH2_CERT_TYPE_HOST), presented as a host key.
        case host = 2
    }

    /// The wire encoding, as signed by the CA.
    public let blob: [UInt8]
    /// The certified key.
    public let publicKey: SSHPublicKey
    /// The CA-chosen serial number.
    public let serial: UInt64
    /// User or host certificate.
    public let kind: Kind
    /// The key identifier (`ssh-keygen -I`), logged by the server.
    public let keyID: String
    /// The user or host names the certificate is valid for (empty: any).
    public let principals: [String]
    /// Seconds since 1970 from which the certificate is valid.
    public let validAfter: UInt64
    /// Seconds since 1970 until which it is valid (UInt64.max: forever).
    public let validBefore: UInt64
    /// Names of the critical options ("force-command", "source-address"…).
    public let criticalOptions: [String]
    /// Names of the extensions ("permit-pty", "permit-port-forwarding"…).
    public let extensions: [String]
    /// The CA's public key blob (kept raw: the CA may use a type ferry lacks).
    public let signatureKeyBlob: [UInt8]
    /// The comment of the `-cert.pub` line ("" if none).
    public var comment: String

    /// Bytes of `blob` the CA signature covers.
    let signedLength: Int
    /// The CA's signature blob.
    let signature: [UInt8]

    /// Suffix that turns a key type or signature algorithm name into its certificate form.
    static let nameSuffix = "-cert-v01@openssh.com"
    /// Largest blob accepted: two 16384-bit RSA keys, a signature and
    /// generous room for principals and options.
    static let maxBlobLength = 64 * 1024

    /// The certificate type name, e.g. "ssh-ed25519-cert-v01@openssh.com".
    public var certificateType: String { publicKey.keyType + Self.nameSuffix }

    /// The algorithm name of a publickey request or signature made by the
    /// certified key with `algorithm`: "rsa-sha2-512-cert-v01@openssh.com"
    /// for an RSA key signing with rsa-sha2-512 (the signature itself still
    /// names plain "rsa-sha2-512").
    public static func algorithmName(for algorithm: SignatureAlgorithm) -> String {
        algorithm.rawValue + nameSuffix
    }

    public var description: String { "\(certificateType) \(publicKey.fingerprintSHA256) id \"\(keyID)\" serial \(serial)" }

    /// Whether `date` (seconds since 1970) falls in the validity interval.
    public func isValid(at date: UInt64) -> Bool { validAfter <= date && date < validBefore }

    public static func == (a: SSHCertificate, b: SSHCertificate) -> Bool { a.blob == b.blob }

    public func hash(into hasher: inout Hasher) { hasher.combine(blob) }

    /// Parses a certificate blob.
    ///
    /// - Throws: `.unsupportedAlgorithm` for a certificate type ferry does
    ///   not know, `.invalidKey` for anything malformed.
    public init(blob: [UInt8]) throws {
        guard blob.count <= Self.maxBlobLength else {
            throw CryptoError(.invalidKey, "certificate of \(blob.count) bytes is too large")
        }
        var reader = WireReader(blob)
        do {
            let typeName = String(decoding: try reader.readString(maxLength: 256), as: UTF8.self)
            guard typeName.hasSuffix(Self.nameSuffix),
                  let type = SSHKeyType(rawValue: String(typeName.dropLast(Self.nameSuffix.count))) else {
                throw CryptoError(.unsupportedAlgorithm, "unsupported certificate type \"\(SSHPublicKey.printable(typeName.utf8))\"")
            }
            _ = try reader.readString(maxLength: 256)  // nonce
            let components: SSHPublicKey.Components
            switch type {
            case .ed25519:
                components = .ed25519(publicKey: Array(try reader.readString(maxLength: 32)))
            case .ecdsaP256, .ecdsaP384, .ecdsaP521:
                guard let curve = type.curve else { throw CryptoError(.invalidKey, "\(type.rawValue) has no curve") }
                let curveName = try reader.readString(maxLength: 64)
                guard curveName.elementsEqual(curve.rawValue.utf8) else {
                    throw CryptoError(.invalidKey, "\(typeName) names the wrong curve")
                }
                components = .ecdsa(curve: curve, point: Array(try reader.readString(maxLength: 256)))
            case .rsa:
                let e = try reader.readMPInt()
                let n = try reader.readMPInt()
                components = .rsa(e: e, n: n)
            }
            publicKey = try SSHPublicKey(components: components)
            serial = try reader.readUInt64()
            guard let kind = Kind(rawValue: try reader.readUInt32()) else {
                throw CryptoError(.invalidKey, "certificate is neither a user nor a host certificate")
            }
            self.kind = kind
            keyID = String(decoding: try reader.readString(maxLength: 4096), as: UTF8.self)
            principals = try Self.readStrings(&reader, what: "principals")
            validAfter = try reader.readUInt64()
            validBefore = try reader.readUInt64()
            criticalOptions = try Self.readOptionNames(&reader, what: "critical options")
            extensions = try Self.readOptionNames(&reader, what: "extensions")
            _ = try reader.readString(maxLength: 4096)  // reserved
            signatureKeyBlob = Array(try reader.readString(maxLength: 32 * 1024))
            signedLength = blob.count - reader.remaining
            signature = Array(try reader.readString(maxLength: 32 * 1024))
            try reader.expectEnd("certificate")
        } catch let error as WireError {
            throw CryptoError(.invalidKey, "malformed certificate: \(error.message)")
        }
        self.blob = blob
        self.comment = ""
    }

    /// Checks the CA signature over the certificate with the embedded CA key.
    ///
    /// - Throws: `.unsupportedAlgorithm` when the CA key type is unknown to
    ///   ferry, `.invalidSignature` when the signature does not verify.
    public func verifySignature() throws {
        let authority = try SSHPublicKey(blob: signatureKeyBlob)
        try authority.verify(signature: signature, for: Array(blob[0..<signedLength]))
    }

    /// A packed list of strings (the principals).
    private static func readStrings(_ reader: inout WireReader, what: String) throws -> [String] {
        var inner = WireReader(Array(try reader.readString(maxLength: 32 * 1024)))
        var out: [String] = []
        while inner.remaining > 0 {
            guard out.count < 1024 else { throw CryptoError(.invalidKey, "certificate has too many \(what)") }
            out.append(String(decoding: try inner.readString(maxLength: 4096), as: UTF8.self))
        }
        return out
    }

    /// The names of a packed list of (string name, string data) pairs.
    private static func readOptionNames(_ reader: inout WireReader, what: String) throws -> [String] {
        var inner = WireReader(Array(try reader.readString(maxLength: 32 * 1024)))
        var out: [String] = []
        while inner.remaining > 0 {
            guard out.count < 256 else { throw CryptoError(.invalidKey, "certificate has too many \(what)") }
            out.append(String(decoding: try inner.readString(maxLength: 256), as: UTF8.self))
            _ = try inner.readString(maxLength: 16 * 1024)
        }
        return out
    }
}
