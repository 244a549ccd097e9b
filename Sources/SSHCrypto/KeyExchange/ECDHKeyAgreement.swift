import CLibcrypto

/// ECDHKeyAgreement is ecdh-sha2-nistp256/384/521 (RFC 5656 §4): elliptic-curve
/// Diffie-Hellman on a NIST prime curve, computed by libcrypto.
///
/// Public values are SEC1 uncompressed points 0x04 ‖ X ‖ Y with X and Y of the
/// curve's field size (RFC 5656 §4 asks for this form). K is the x-coordinate
/// of d·Q as field-size big-endian bytes (SEC1 §3.3.1), leading zeros kept.
public final class ECDHKeyAgreement: KeyAgreement, @unchecked Sendable {
    // @unchecked: the stored state (the private scalar and two immutable
    // values) is only read after init; every computation makes its own group,
    // points and BN_CTX.

    /// Curve names the NIST prime curves SSH uses; the raw value is the SSH
    /// curve identifier (the suffix of "ecdh-sha2-…" and "ecdsa-sha2-…").
    public enum Curve: String, Sendable, CaseIterable {
        /// NIST P-256 (secp256r1), 32-byte coordinates.
        case p256 = "nistp256"
        /// NIST P-384 (secp384r1), 48-byte coordinates.
        case p384 = "nistp384"
        /// NIST P-521 (secp521r1), 66-byte coordinates.
        case p521 = "nistp521"

        /// Size in bytes of a field element (a coordinate) and of K.
        public var fieldSize: Int {
            switch self {
            case .p256: 32
            case .p384: 48
            case .p521: 66
            }
        }

        /// Size in bytes of an uncompressed point, the only accepted public value.
        public var publicValueSize: Int { 1 + 2 * fieldSize }

        var nid: Int32 {
            switch self {
            case .p256: NID_X9_62_prime256v1
            case .p384: NID_secp384r1
            case .p521: NID_secp521r1
            }
        }

        /// A fresh EC_GROUP for this curve; the caller frees it.
        func makeGroup() throws -> OpaquePointer {
            guard let group = EC_GROUP_new_by_curve_name(nid) else {
                throw CryptoError.openssl("EC_GROUP_new_by_curve_name(\(rawValue))")
            }
            return group
        }
    }

    public let curve: Curve
    public let publicValue: [UInt8]
    /// The private scalar d, 0 < d < n; flagged constant-time, cleared on free.
    private let scalar: OwnedBignum

    /// Generates a fresh private scalar, uniform in [1, n − 1].
    public convenience init(curve: Curve) throws {
        let group = try curve.makeGroup()
        defer { EC_GROUP_free(group) }
        guard let order = EC_GROUP_get0_order(group) else { throw CryptoError.openssl("EC_GROUP_get0_order") }
        let scalar = try OwnedBignum(secret: true)
        repeat {
            try check(BN_priv_rand_range(scalar.pointer, order), "BN_priv_rand_range")
        } while scalar.isZero
        try self.init(curve: curve, scalar: scalar, group: group)
    }

    /// Uses a fixed private scalar (big-endian, at most `fieldSize` bytes,
    /// 0 < d < n). For known-answer tests only: internal so that production code
    /// cannot pin an ephemeral key.
    convenience init(curve: Curve, privateKey: [UInt8]) throws {
        guard privateKey.count <= curve.fieldSize else {
            throw CryptoError(.invalidKey, "\(curve.rawValue) private key is longer than \(curve.fieldSize) bytes")
        }
        let group = try curve.makeGroup()
        defer { EC_GROUP_free(group) }
        guard let order = EC_GROUP_get0_order(group) else { throw CryptoError.openssl("EC_GROUP_get0_order") }
        let scalar = try OwnedBignum(magnitude: privateKey, secret: true)
        guard !scalar.isZero, BN_cmp(scalar.pointer, order) < 0 else {
            throw CryptoError(.invalidKey, "\(curve.rawValue) private key is not in [1, n-1]")
        }
        try self.init(curve: curve, scalar: scalar, group: group)
    }

    /// Computes Q = d·G and keeps d.
    private init(curve: Curve, scalar: consuming OwnedBignum, group: OpaquePointer) throws {
        let ctx = try OwnedBignumContext()
        guard let point = EC_POINT_new(group) else { throw CryptoError.openssl("EC_POINT_new") }
        defer { EC_POINT_free(point) }
        try check(EC_POINT_mul(group, point, scalar.pointer, nil, nil, ctx.pointer), "EC_POINT_mul")
        var encoded = [UInt8](repeating: 0, count: curve.publicValueSize)
        let written = EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED,
                                         &encoded, encoded.count, ctx.pointer)
        guard written == curve.publicValueSize else { throw CryptoError.openssl("EC_POINT_point2oct") }
        self.curve = curve
        self.publicValue = encoded
        self.scalar = scalar
    }

    /// x(d·Q) for the peer's point Q, which must be an uncompressed point of the
    /// right length with both coordinates below the field prime, on the curve,
    /// and not the point at infinity (SEC1 §3.2.2.1 public key validation).
    /// These curves have cofactor 1, so every such point has prime order n and
    /// no small-subgroup check is needed.
    public func sharedSecret(peerPublicValue: [UInt8]) throws -> SecureBytes {
        let name = curve.rawValue
        let size = curve.fieldSize
        if peerPublicValue == [0] {
            throw CryptoError(.invalidPublicValue, "\(name) public value is the point at infinity")
        }
        if let first = peerPublicValue.first, first == 0x02 || first == 0x03,
           peerPublicValue.count == 1 + size {
            throw CryptoError(.invalidPublicValue, "\(name) public value is a compressed point; SSH requires uncompressed")
        }
        guard peerPublicValue.count == curve.publicValueSize else {
            throw CryptoError(.invalidPublicValue,
                              "\(name) public value must be \(curve.publicValueSize) bytes, not \(peerPublicValue.count)")
        }
        guard peerPublicValue[0] == 0x04 else {
            throw CryptoError(.invalidPublicValue,
                              "\(name) public value has point form 0x\(String(peerPublicValue[0], radix: 16)), not 0x04 (uncompressed)")
        }
        let xBytes = peerPublicValue[1...size]
        let yBytes = peerPublicValue[(1 + size)...]

        let group = try curve.makeGroup()
        defer { EC_GROUP_free(group) }
        let ctx = try OwnedBignumContext()
        let prime = try OwnedBignum(secret: false)
        try check(EC_GROUP_get_curve(group, prime.pointer, nil, nil, ctx.pointer), "EC_GROUP_get_curve")
        let primeBytes = prime.minimalBytes()
        guard compareMagnitudes(xBytes, primeBytes) < 0, compareMagnitudes(yBytes, primeBytes) < 0 else {
            throw CryptoError(.invalidPublicValue, "\(name) public value has a coordinate not below the field prime")
        }

        let x = try OwnedBignum(magnitude: xBytes, secret: false)
        let y = try OwnedBignum(magnitude: yBytes, secret: false)
        guard let peer = EC_POINT_new(group) else { throw CryptoError.openssl("EC_POINT_new") }
        defer { EC_POINT_free(peer) }
        // libcrypto refuses coordinates that are not on the curve here already;
        // EC_POINT_is_on_curve states the rule explicitly.
        guard EC_POINT_set_affine_coordinates(group, peer, x.pointer, y.pointer, ctx.pointer) == 1,
              EC_POINT_is_on_curve(group, peer, ctx.pointer) == 1
        else {
            ERR_clear_error()
            throw CryptoError(.invalidPublicValue, "\(name) public value is not a point on the curve")
        }
        guard EC_POINT_is_at_infinity(group, peer) == 0 else {
            throw CryptoError(.invalidPublicValue, "\(name) public value is the point at infinity")
        }

        guard let product = EC_POINT_new(group) else { throw CryptoError.openssl("EC_POINT_new") }
        defer { EC_POINT_clear_free(product) }
        try check(EC_POINT_mul(group, product, nil, peer, scalar.pointer, ctx.pointer), "EC_POINT_mul")
        guard EC_POINT_is_at_infinity(group, product) == 0 else {
            throw CryptoError(.invalidPublicValue, "\(name) shared point is the point at infinity")
        }
        let sharedX = try OwnedBignum(secret: true)
        try check(EC_POINT_get_affine_coordinates(group, product, sharedX.pointer, nil, ctx.pointer),
                  "EC_POINT_get_affine_coordinates")
        return try SecureBytes(count: size) { try sharedX.write(paddedInto: $0) }
    }
}
