import CLibcrypto

/// PEMPrivateKeyFile reads the PEM private key formats older ssh-keygen
/// versions wrote and `ssh-keygen -m PEM|PKCS8` / `openssl` still write:
///
///     BEGIN RSA PRIVATE KEY        PKCS#1 (optionally Proc-Type: 4,ENCRYPTED)
///     BEGIN EC PRIVATE KEY         SEC1   (optionally Proc-Type: 4,ENCRYPTED)
///     BEGIN PRIVATE KEY            PKCS#8
///     BEGIN ENCRYPTED PRIVATE KEY  PKCS#8 with PBES2 (or PBES1)
///
/// libcrypto's OSSL_DECODER does the ASN.1 and the decryption; the key it
/// yields is then rebuilt through the same constructors as OpenSSH-format
/// keys, so every check (curve, scalar range, RSA factors) applies equally.
/// The passphrase is handed over with an explicit length and no callback,
/// so libcrypto can never fall back to prompting on the terminal.
enum PEMPrivateKeyFile {
    /// PEM labels of private keys this type reads.
    static let labels = ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]

    private static let pemInputType: StaticString = "PEM"

    /// Whether decoding needs a passphrase: encrypted PKCS#8, or a PEM
    /// header block saying "Proc-Type: 4,ENCRYPTED".
    static func isEncrypted(_ text: String, label: String) -> Bool {
        label == "ENCRYPTED PRIVATE KEY" || text.contains("Proc-Type: 4,ENCRYPTED")
    }

    /// Decodes a PEM private key of one of `labels`.
    ///
    /// - Throws: `.wrongPassphrase` when the file is encrypted and
    ///   `passphrase` is nil or wrong, `.unsupportedAlgorithm` for a key type
    ///   ferry lacks (DSA, explicit curves, Ed448…), `.invalidKeyFile` for
    ///   anything libcrypto cannot parse.
    static func decode(_ text: String, label: String, passphrase: SecureBytes?) throws -> SSHPrivateKey {
        let encrypted = isEncrypted(text, label: label)
        if encrypted, passphrase == nil {
            throw CryptoError(.wrongPassphrase, "the key file is encrypted and no passphrase was given")
        }
        var bytes = Array(text.utf8)
        defer { bytes.wipe() }
        guard bytes.count <= PEMArmor.maxTextLength else {
            throw CryptoError(.invalidKeyFile, "key file of \(bytes.count) bytes is too large")
        }
        guard let evpKey = try decodeEVP(bytes, passphrase: encrypted ? passphrase : nil) else {
            ERR_clear_error()
            if encrypted, encryptedStructureParses(text, label: label) {
                throw CryptoError(.wrongPassphrase, "incorrect passphrase for the key file")
            }
            throw CryptoError(.invalidKeyFile, "\(label) PEM file is malformed or corrupt")
        }
        do {
            return try sshKey(from: evpKey)
        } catch let error as CryptoError where error.code == .invalidKey {
            throw CryptoError(.invalidKeyFile, "key file holds an invalid key: \(error.message)")
        }
    }

    /// Runs OSSL_DECODER over the PEM text; nil when libcrypto refuses it.
    private static func decodeEVP(_ bytes: [UInt8], passphrase: SecureBytes?) throws -> EVPKey? {
        // The context keeps this address and stores the key there during
        // OSSL_DECODER_from_data, so it must outlive both calls (an inout
        // `&variable` would be valid only during the first).
        let slot = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
        slot.initialize(to: nil)
        defer { slot.deallocate() }
        // OpenSSL 3.0 keeps the input-type pointer without copying it: it
        // must be static, not a Swift string's temporary C copy.
        let inputType = UnsafeRawPointer(Self.pemInputType.utf8Start).assumingMemoryBound(to: CChar.self)
        guard let ctx = OSSL_DECODER_CTX_new_for_pkey(slot, inputType, nil, nil, EVPKey.Selection.keyPair.rawValue, nil, nil) else {
            throw CryptoError.openssl("OSSL_DECODER_CTX_new_for_pkey")
        }
        defer { OSSL_DECODER_CTX_free(ctx) }
        // An empty passphrase when none was given: an encrypted file then
        // fails to decrypt instead of reaching for a prompt.
        let secret = passphrase ?? SecureBytes([0])
        let length = passphrase == nil ? 0 : secret.count
        try secret.withUnsafeBytes { raw in
            try check(OSSL_DECODER_CTX_set_passphrase(ctx, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), length),
                      "OSSL_DECODER_CTX_set_passphrase")
        }
        let decoded = bytes.withUnsafeBufferPointer { buffer -> Bool in
            var data = buffer.baseAddress
            var remaining = buffer.count
            return OSSL_DECODER_from_data(ctx, &data, &remaining) == 1
        }
        let pkey = slot.pointee
        guard decoded, let pkey else {
            if let pkey { EVP_PKEY_free(pkey) }
            return nil
        }
        return EVPKey(taking: pkey)
    }

    /// Whether an encrypted file's outer layer is intact, so that a failure
    /// to decode it means the passphrase (not the file) is wrong.
    private static func encryptedStructureParses(_ text: String, label: String) -> Bool {
        guard var der = PEMArmor.decodeWithHeaders(text, label: label) else { return false }
        defer { der.wipe() }
        guard label == "ENCRYPTED PRIVATE KEY" else {
            // Legacy PEM encryption: the body is CBC ciphertext (DES or AES).
            return !der.isEmpty && der.count % 8 == 0
        }
        return der.withUnsafeBufferPointer { buffer -> Bool in
            var pointer = buffer.baseAddress
            guard let signature = d2i_X509_SIG(nil, &pointer, buffer.count) else { return false }
            X509_SIG_free(signature)
            return true
        }
    }

    /// Rebuilds a libcrypto private key as an SSHPrivateKey.
    static func sshKey(from key: EVPKey) throws -> SSHPrivateKey {
        if EVP_PKEY_is_a(key.pointer, "ED25519") == 1 {
            return try SSHPrivateKey(ed25519Seed: key.rawPrivateKey())
        }
        if EVP_PKEY_is_a(key.pointer, "EC") == 1 {
            let curve = try namedCurve(of: key)
            var scalar = try key.integer("priv").magnitude
            defer { scalar.wipe() }
            return try SSHPrivateKey(curve: curve, privateScalar: scalar)
        }
        if EVP_PKEY_is_a(key.pointer, "RSA") == 1 {
            var fields = try ["d", "rsa-factor1", "rsa-factor2", "rsa-coefficient1"].map { try key.integer($0).magnitude }
            defer { for index in fields.indices { fields[index].wipe() } }
            return try SSHPrivateKey(rsaModulus: key.integer("n").magnitude, publicExponent: key.integer("e").magnitude,
                                     privateExponent: fields[0], prime1: fields[1], prime2: fields[2],
                                     coefficient: fields[3])
        }
        let name = EVP_PKEY_get0_type_name(key.pointer).map { String(cString: $0) } ?? "unknown"
        throw CryptoError(.unsupportedAlgorithm, "the key file holds a \(name) key; ferry supports Ed25519, ECDSA (P-256, P-384, P-521) and RSA")
    }

    /// The ECCurve of an EC key on a named NIST curve.
    private static func namedCurve(of key: EVPKey) throws -> ECCurve {
        var buffer = [CChar](repeating: 0, count: 80)
        var length = 0
        let found = EVP_PKEY_get_utf8_string_param(key.pointer, "group", &buffer, buffer.count, &length) == 1
        ERR_clear_error()
        guard found, length < buffer.count else {
            throw CryptoError(.unsupportedAlgorithm, "the key file's EC key has no named curve; ferry supports P-256, P-384 and P-521")
        }
        let name = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let nid = OBJ_sn2nid(name) != NID_undef ? OBJ_sn2nid(name) : EC_curve_nist2nid(name)
        guard let curve = [ECCurve.nistp256, .nistp384, .nistp521].first(where: { $0.nid == nid }) else {
            throw CryptoError(.unsupportedAlgorithm, "the key file's EC key is on curve \(SSHPublicKey.printable(name.utf8)); ferry supports P-256, P-384 and P-521")
        }
        return curve
    }
}
