import CLibcrypto

/// Building private keys: from the raw fields a key file stores, or fresh.
extension SSHPrivateKey {
    /// An Ed25519 key from its 32-byte seed (RFC 8032's private key).
    public convenience init(ed25519Seed seed: some ContiguousBytes, comment: String = "") throws {
        let count = seed.withUnsafeBytes { $0.count }
        guard count == 32 else {
            throw CryptoError(.invalidKey, "ssh-ed25519 seed is \(count) bytes, expected 32")
        }
        let key = try EVPKey.ed25519(seed: seed)
        let publicKey = try SSHPublicKey(components: .ed25519(publicKey: key.rawPublicKey()))
        self.init(evpKey: key, publicKey: publicKey, comment: comment)
    }

    /// An ECDSA key from its private scalar (big-endian, 1 ≤ d < order);
    /// the public point is computed as d·G.
    public convenience init(curve: ECCurve, privateScalar: some ContiguousBytes, comment: String = "") throws {
        let (key, point) = try Self.ecdsaKey(curve: curve, scalar: privateScalar)
        let publicKey = try SSHPublicKey(components: .ecdsa(curve: curve, point: point))
        self.init(evpKey: key, publicKey: publicKey, comment: comment)
    }

    /// An RSA key from the fields OpenSSH stores (big-endian magnitudes).
    /// The CRT exponents d mod (p-1) and d mod (q-1) are computed here;
    /// `coefficient` (q⁻¹ mod p) is checked when given, computed when nil.
    ///
    /// Throws `.invalidKey` unless p·q = n and e·d ≡ 1 modulo p-1 and q-1.
    public convenience init(
        rsaModulus n: some ContiguousBytes,
        publicExponent e: some ContiguousBytes,
        privateExponent d: some ContiguousBytes,
        prime1 p: some ContiguousBytes,
        prime2 q: some ContiguousBytes,
        coefficient iqmp: (some ContiguousBytes)? = [UInt8]?.none,
        comment: String = ""
    ) throws {
        let nBytes = n.withUnsafeBytes { Array($0) }
        let eBytes = e.withUnsafeBytes { Array($0) }
        let publicKey = try SSHPublicKey(components: .rsa(e: Self.trimmed(eBytes), n: Self.trimmed(nBytes)))
        let key = try Self.rsaKey(n: nBytes, e: eBytes, d: d, p: p, q: q, iqmp: iqmp)
        self.init(evpKey: key, publicKey: publicKey, comment: comment)
    }

    /// A new random key. `bits` applies to RSA (default 3072, 1024…16384);
    /// for the other types it must be nil or the type's fixed size.
    public static func generate(_ type: SSHKeyType, bits: Int? = nil, comment: String = "") throws -> SSHPrivateKey {
        let key: EVPKey
        let components: SSHPublicKey.Components
        switch type {
        case .ed25519:
            guard bits == nil || bits == 256 else {
                throw CryptoError(.invalidKey, "ssh-ed25519 keys are always 256 bits")
            }
            key = try EVPKey.generate(.ed25519) { _ in }
            components = .ed25519(publicKey: try key.rawPublicKey())
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            guard let curve = type.curve else { throw CryptoError(.invalidKey, "\(type.rawValue) has no curve") }
            guard bits == nil || bits == curve.bits else {
                throw CryptoError(.invalidKey, "\(type.rawValue) keys are always \(curve.bits) bits")
            }
            key = try EVPKey.generate(.ec) { ctx in
                try check(EVP_PKEY_CTX_set_group_name(ctx, curve.groupName), "EVP_PKEY_CTX_set_group_name")
            }
            components = .ecdsa(curve: curve, point: try key.octets("pub", maxLength: curve.uncompressedPointSize))
        case .rsa:
            let bits = bits ?? 3072
            guard SSHPublicKey.rsaModulusBits.contains(bits) else {
                throw CryptoError(.invalidKey, "RSA key size \(bits) is outside \(SSHPublicKey.rsaModulusBits.lowerBound)…\(SSHPublicKey.rsaModulusBits.upperBound)")
            }
            key = try EVPKey.generate(.rsa) { ctx in
                try check(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)), "EVP_PKEY_CTX_set_rsa_keygen_bits")
            }
            components = .rsa(e: try key.integer("e").magnitude, n: try key.integer("n").magnitude)
        }
        return SSHPrivateKey(evpKey: key, publicKey: try SSHPublicKey(components: components), comment: comment)
    }

    // MARK: - Building the libcrypto keys

    /// An EC key pair from scalar d, and its uncompressed public point d·G.
    static func ecdsaKey(curve: ECCurve, scalar: some ContiguousBytes) throws -> (EVPKey, [UInt8]) {
        guard let group = EC_GROUP_new_by_curve_name(curve.nid) else {
            throw CryptoError.openssl("EC_GROUP_new_by_curve_name")
        }
        defer { EC_GROUP_free(group) }
        guard let order = EC_GROUP_get0_order(group) else { throw CryptoError.openssl("EC_GROUP_get0_order") }
        let d = try BigNum(magnitude: scalar, secure: true)
        guard !d.isZero, BN_cmp(d.pointer, order) < 0 else {
            throw CryptoError(.invalidKey, "\(curve.keyType.rawValue) private scalar is out of range")
        }
        let context = try BigNumContext()
        guard let point = EC_POINT_new(group) else { throw CryptoError.openssl("EC_POINT_new") }
        defer { EC_POINT_free(point) }
        try check(EC_POINT_mul(group, point, d.pointer, nil, nil, context.pointer), "EC_POINT_mul")
        var encoded = [UInt8](repeating: 0, count: curve.uncompressedPointSize)
        let written = encoded.withUnsafeMutableBufferPointer {
            EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, $0.baseAddress, $0.count, context.pointer)
        }
        guard written == encoded.count else { throw CryptoError.openssl("EC_POINT_point2oct") }

        let parameters = try OSSLParameters()
        try parameters.add("group", utf8: curve.groupName)
        try parameters.add("pub", octets: encoded)
        try parameters.add("priv", d)
        return (try EVPKey.fromParameters(.ec, .keyPair, parameters), encoded)
    }

    /// An RSA key pair, with the CRT parameters completed and checked.
    static func rsaKey(
        n: some ContiguousBytes, e: some ContiguousBytes, d: some ContiguousBytes,
        p: some ContiguousBytes, q: some ContiguousBytes, iqmp: (some ContiguousBytes)?
    ) throws -> EVPKey {
        let context = try BigNumContext()
        let nBN = try BigNum(magnitude: n, secure: false)
        let eBN = try BigNum(magnitude: e, secure: false)
        let dBN = try BigNum(magnitude: d, secure: true)
        let pBN = try BigNum(magnitude: p, secure: true)
        let qBN = try BigNum(magnitude: q, secure: true)
        guard !dBN.isZero, pBN.bitCount > 1, qBN.bitCount > 1 else {
            throw CryptoError(.invalidKey, "RSA private key has a zero exponent or a trivial factor")
        }

        let product = try BigNum(secure: true)
        try check(BN_mul(product.pointer, pBN.pointer, qBN.pointer, context.pointer), "BN_mul")
        guard BigNum.compare(product, nBN) == 0 else {
            throw CryptoError(.invalidKey, "RSA private key factors do not multiply to the modulus")
        }

        /// d mod (prime - 1), after checking e·d ≡ 1 mod (prime - 1).
        func crtExponent(_ prime: BigNum) throws -> BigNum {
            let primeMinusOne = try BigNum(secure: true)
            guard BN_copy(primeMinusOne.pointer, prime.pointer) != nil else { throw CryptoError.openssl("BN_copy") }
            try check(BN_sub_word(primeMinusOne.pointer, 1), "BN_sub_word")
            let exponent = try BigNum(secure: true)
            try check(BN_div(nil, exponent.pointer, dBN.pointer, primeMinusOne.pointer, context.pointer), "BN_div")
            let product = try BigNum(secure: true)
            try check(BN_mod_mul(product.pointer, eBN.pointer, exponent.pointer, primeMinusOne.pointer, context.pointer), "BN_mod_mul")
            guard BN_is_one(product.pointer) == 1 else {
                throw CryptoError(.invalidKey, "RSA private exponent does not match the public exponent")
            }
            return exponent
        }
        let dmp1 = try crtExponent(pBN)
        let dmq1 = try crtExponent(qBN)

        let coefficient: BigNum
        if let iqmp {
            coefficient = try BigNum(magnitude: iqmp, secure: true)
            let check1 = try BigNum(secure: true)
            try check(BN_mod_mul(check1.pointer, coefficient.pointer, qBN.pointer, pBN.pointer, context.pointer), "BN_mod_mul")
            guard BN_is_one(check1.pointer) == 1 else {
                throw CryptoError(.invalidKey, "RSA private key coefficient is not q⁻¹ mod p")
            }
        } else {
            coefficient = try BigNum(secure: true)
            guard BN_mod_inverse(coefficient.pointer, qBN.pointer, pBN.pointer, context.pointer) != nil else {
                ERR_clear_error()
                throw CryptoError(.invalidKey, "RSA private key factors are not coprime")
            }
        }

        let parameters = try OSSLParameters()
        try parameters.add("n", nBN)
        try parameters.add("e", eBN)
        try parameters.add("d", dBN)
        try parameters.add("rsa-factor1", pBN)
        try parameters.add("rsa-factor2", qBN)
        try parameters.add("rsa-exponent1", dmp1)
        try parameters.add("rsa-exponent2", dmq1)
        try parameters.add("rsa-coefficient1", coefficient)
        return try EVPKey.fromParameters(.rsa, .keyPair, parameters)
    }

    /// The magnitude without leading zero bytes.
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes.drop(while: { $0 == 0 }))
    }
}
