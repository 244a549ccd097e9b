import CLibcrypto
import SSHWire

/// Signature verification (RFC 4253 §6.6, RFC 5656 §3.1.2, RFC 8332 §3,
/// RFC 8709 §6), accepting what OpenSSH's verifiers accept and nothing more.
extension SSHPublicKey {
    /// Checks an SSH signature blob (string algorithm, string signature)
    /// over `data`.
    ///
    /// - Parameters:
    ///   - signature: the blob as it came off the wire.
    ///   - data: the bytes the signer signed.
    ///   - allowed: the algorithms the caller negotiated or permits;
    ///     nil accepts any algorithm of this key's type.
    /// - Throws: `.unsupportedAlgorithm` when the blob names an unknown
    ///   algorithm, one for another key type, or one outside `allowed`;
    ///   `.invalidSignature` when the blob is malformed or does not verify.
    public func verify(signature: [UInt8], for data: [UInt8], allowed: Set<SignatureAlgorithm>? = nil) throws {
        let (algorithm, body) = try Self.parseSignatureBlob(signature)
        guard algorithm.keyType == type else {
            throw CryptoError(.unsupportedAlgorithm, "signature algorithm \(algorithm.rawValue) does not belong to a \(keyType) key")
        }
        if let allowed, !allowed.contains(algorithm) {
            throw CryptoError(.unsupportedAlgorithm, "signature algorithm \(algorithm.rawValue) is not allowed here")
        }
        let verified: Bool
        switch components {
        case .ed25519:
            guard body.count == 64 else {
                throw CryptoError(.invalidSignature, "ssh-ed25519 signature is \(body.count) bytes, expected 64")
            }
            verified = try digestVerify(signature: body, data: data, hash: nil)
        case .ecdsa(let curve, _):
            let der = try Self.ecdsaDER(fromSSH: body, curve: curve)
            verified = try digestVerify(signature: der, data: data, hash: curve.hash)
        case .rsa(_, let n):
            let modulusLength = (Self.bitLength(n) + 7) / 8
            guard body.count <= modulusLength else {
                throw CryptoError(.invalidSignature, "RSA signature of \(body.count) bytes is longer than the \(modulusLength)-byte modulus")
            }
            // Some signers drop leading zero bytes; OpenSSH pads them back.
            let padded = [UInt8](repeating: 0, count: modulusLength - body.count) + body
            verified = try digestVerify(signature: padded, data: data, hash: algorithm.hash, rsa: true)
        }
        guard verified else {
            throw CryptoError(.invalidSignature, "\(algorithm.rawValue) signature does not verify with key \(fingerprintSHA256)")
        }
    }

    /// Splits a signature blob into its algorithm and signature bytes.
    static func parseSignatureBlob(_ blob: [UInt8]) throws -> (SignatureAlgorithm, [UInt8]) {
        var reader = WireReader(blob)
        let name: ArraySlice<UInt8>
        let body: ArraySlice<UInt8>
        do {
            name = try reader.readString(maxLength: 256)
            guard let algorithm = SignatureAlgorithm(rawValue: String(decoding: name, as: UTF8.self)) else {
                throw CryptoError(.unsupportedAlgorithm, "unsupported signature algorithm \"\(printable(name))\"")
            }
            body = try reader.readString(maxLength: 4096)
            try reader.expectEnd("signature blob")
            return (algorithm, Array(body))
        } catch let error as WireError {
            throw CryptoError(.invalidSignature, "malformed signature blob: \(error.message)")
        }
    }

    /// RFC 5656's string(mpint r, mpint s) as DER. Like OpenSSH, leading zero
    /// bytes are tolerated; values wider than the curve are refused here and
    /// out-of-range values by libcrypto's verifier.
    static func ecdsaDER(fromSSH body: [UInt8], curve: ECCurve) throws -> [UInt8] {
        var reader = WireReader(body)
        let r: [UInt8]
        let s: [UInt8]
        do {
            r = try reader.readMPInt(allowNonCanonical: true)
            s = try reader.readMPInt(allowNonCanonical: true)
            try reader.expectEnd("ECDSA signature")
        } catch let error as WireError {
            throw CryptoError(.invalidSignature, "malformed \(curve.keyType.rawValue) signature: \(error.message)")
        }
        guard r.count <= curve.fieldSize, s.count <= curve.fieldSize else {
            throw CryptoError(.invalidSignature, "\(curve.keyType.rawValue) signature component is wider than the curve")
        }
        return try ECDSASignatureEncoding.der(r: r, s: s)
    }

    /// EVP_DigestVerify with this key. Returns false for a signature that
    /// does not verify; throws only when libcrypto cannot run at all.
    private func digestVerify(signature: [UInt8], data: [UInt8], hash: HashAlgorithm?, rsa: Bool = false) throws -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openssl("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        try check(EVP_DigestVerifyInit(ctx, &pctx, hash?.evpMD, nil, evpKey.pointer), "EVP_DigestVerifyInit")
        if rsa {
            try check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), "EVP_PKEY_CTX_set_rsa_padding")
        }
        let result = signature.withUnsafeBufferPointer { sig in
            withMessagePointer(data) { message, length in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, message, length)
            }
        }
        if result != 1 { ERR_clear_error() }
        return result == 1
    }
}
