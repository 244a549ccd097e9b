import CLibcrypto
import SSHWire

/// SSHPrivateKey is a key ferry can sign with: a user's identity for public
/// key authentication, or a host key for a server.
///
/// It is immutable; the libcrypto key inside is freed (and its secrets
/// cleared by libcrypto) when the last reference goes away, and may be used
/// from several tasks at once — each signature gets its own context.
public final class SSHPrivateKey: Sendable {
    /// The public half.
    public let publicKey: SSHPublicKey
    /// The comment stored with the key (typically user@host).
    public let comment: String

    let evpKey: EVPKey

    init(evpKey: EVPKey, publicKey: SSHPublicKey, comment: String) {
        self.evpKey = evpKey
        var publicKey = publicKey
        publicKey.comment = comment
        self.publicKey = publicKey
        self.comment = comment
    }

    /// The key's type.
    public var type: SSHKeyType { publicKey.type }

    /// Signs `data` and returns the SSH signature blob: string algorithm
    /// name, string signature (RFC 4253 §6.6).
    ///
    /// - Parameters:
    ///   - data: the bytes to sign (for user authentication, the session
    ///     identifier and the request, RFC 4252 §7).
    ///   - algorithm: nil for the key's default
    ///     (`SSHKeyType.defaultSignatureAlgorithm`, rsa-sha2-512 for RSA).
    /// - Throws: `.unsupportedAlgorithm` if the algorithm is for another
    ///   key type.
    public func sign(_ data: [UInt8], algorithm: SignatureAlgorithm? = nil) throws -> [UInt8] {
        let algorithm = algorithm ?? type.defaultSignatureAlgorithm
        guard algorithm.keyType == type else {
            throw CryptoError(.unsupportedAlgorithm, "a \(type.rawValue) key cannot make \(algorithm.rawValue) signatures")
        }
        let raw = try digestSign(data, hash: algorithm.hash, rsa: type == .rsa)
        let body: [UInt8]
        if type.curve != nil {
            let (r, s) = try ECDSASignatureEncoding.components(der: raw)
            var inner = WireWriter(capacity: r.count + s.count + 10)
            inner.writeMPInt(r)
            inner.writeMPInt(s)
            body = inner.bytes
        } else {
            body = raw
        }
        var writer = WireWriter(capacity: body.count + algorithm.rawValue.utf8.count + 8)
        writer.writeString(algorithm.rawValue)
        writer.writeString(body)
        return writer.bytes
    }

    /// EVP_DigestSign with this key: raw Ed25519 bytes, DER for ECDSA,
    /// modulus-length PKCS#1 v1.5 bytes for RSA.
    private func digestSign(_ data: [UInt8], hash: HashAlgorithm?, rsa: Bool) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openssl("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        try check(EVP_DigestSignInit(ctx, &pctx, hash?.evpMD, nil, evpKey.pointer), "EVP_DigestSignInit")
        if rsa {
            try check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), "EVP_PKEY_CTX_set_rsa_padding")
        }
        return try withMessagePointer(data) { message, length in
            var size = 0
            try check(EVP_DigestSign(ctx, nil, &size, message, length), "EVP_DigestSign")
            var out = [UInt8](repeating: 0, count: size)
            try out.withUnsafeMutableBufferPointer { buffer in
                try check(EVP_DigestSign(ctx, buffer.baseAddress, &size, message, length), "EVP_DigestSign")
            }
            guard size <= out.count else { throw CryptoError.openssl("EVP_DigestSign") }
            out.removeLast(out.count - size)
            return out
        }
    }
}
