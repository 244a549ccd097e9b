import SSHWire

/// AESCTRProtection is aes{128,192,256}-ctr (RFC 4344) with an HMAC, either
/// encrypt-and-MAC (RFC 4253: MAC over the plaintext, length encrypted) or
/// OpenSSH's encrypt-then-MAC (`-etm@openssh.com`: length in clear, MAC over
/// the ciphertext, checked before anything is decrypted).
///
/// The CTR keystream runs continuously across packets, as RFC 4344 specifies.
public final class AESCTRProtection: PacketProtection {
    public let cipherName: String
    public var macName: String? { mac.rawValue }
    private let mac: MACAlgorithm
    private let cipher: EVPCipherContext
    private let hmac: HMAC
    /// Set after an encrypt-and-MAC `decryptLength` has decrypted the first
    /// block in place, so `open` continues after it.
    private var firstBlockDecrypted = false
    /// Scratch for the computed MAC (largest is 64 bytes), allocated once.
    private let computedTag: UnsafeMutableRawBufferPointer

    public var blockSize: Int { 16 }
    public var tagLength: Int { mac.tagLength }
    public var lengthIsAuthenticatedData: Bool { mac.isEncryptThenMAC }
    public var lengthPrefixSize: Int { mac.isEncryptThenMAC ? 4 : 16 }

    public init(cipher algorithm: CipherAlgorithm, key: SecureBytes, iv: SecureBytes, mac: MACAlgorithm, macKey: SecureBytes) throws {
        guard !algorithm.isAEAD, algorithm.evpCipher != nil, [.aes128CTR, .aes192CTR, .aes256CTR].contains(algorithm) else {
            throw CryptoError(.unsupportedAlgorithm, "\(algorithm.rawValue) is not an AES-CTR cipher")
        }
        guard key.count == algorithm.keyLength, iv.count == algorithm.ivLength, macKey.count == mac.keyLength else {
            throw CryptoError(.invalidKey, "\(algorithm.rawValue)/\(mac.rawValue) key material has the wrong size")
        }
        self.cipherName = algorithm.rawValue
        self.mac = mac
        self.cipher = try key.withUnsafeBytes { k in
            try iv.withUnsafeBytes { i in
                try EVPCipherContext(cipher: algorithm.evpCipher, key: k, iv: i, encrypt: true)
            }
        }
        self.hmac = HMAC(mac.hash, key: macKey)
        self.computedTag = .allocate(byteCount: 64, alignment: 16)
    }

    deinit { computedTag.deallocate() }

    public func decryptLength(_ prefix: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws -> UInt32 {
        guard prefix.count >= lengthPrefixSize else {
            throw CryptoError(.invalidLength, "need \(lengthPrefixSize) bytes for the packet length")
        }
        if !mac.isEncryptThenMAC && !firstBlockDecrypted {
            try cipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: prefix[0..<16]))
            firstBlockDecrypted = true
        }
        return UnsafeRawBufferPointer(prefix).loadBigEndianUInt32(at: 0)
    }

    public func open(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        let (body, tag) = try packetParts(packet, of: self)
        let computed = UnsafeMutableRawBufferPointer(rebasing: computedTag[0..<tagLength])
        if mac.isEncryptThenMAC {
            hmac.authenticatePacket(sequenceNumber: sequenceNumber, UnsafeRawBufferPointer(body), into: computed)
            guard constantTimeEquals(UnsafeRawBufferPointer(computed), UnsafeRawBufferPointer(tag)) else {
                throw CryptoError(.authenticationFailed, "message authentication code does not match (\(mac.rawValue))")
            }
            try cipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[4...]))
        } else {
            let start = firstBlockDecrypted ? 16 : 0
            firstBlockDecrypted = false
            try cipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[start...]))
            hmac.authenticatePacket(sequenceNumber: sequenceNumber, UnsafeRawBufferPointer(body), into: computed)
            guard constantTimeEquals(UnsafeRawBufferPointer(computed), UnsafeRawBufferPointer(tag)) else {
                throw CryptoError(.authenticationFailed, "message authentication code does not match (\(mac.rawValue))")
            }
        }
    }

    public func seal(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        let (body, tag) = try packetParts(packet, of: self)
        if mac.isEncryptThenMAC {
            try cipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[4...]))
            hmac.authenticatePacket(sequenceNumber: sequenceNumber, UnsafeRawBufferPointer(body), into: tag)
        } else {
            hmac.authenticatePacket(sequenceNumber: sequenceNumber, UnsafeRawBufferPointer(body), into: tag)
            try cipher.update(inPlace: body)
        }
    }
}
