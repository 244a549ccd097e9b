import CLibcrypto
import SSHWire

/// AESGCMProtection is aes{128,256}-gcm@openssh.com: RFC 5647 AES-GCM with
/// the 4-byte packet length as additional authenticated data (sent in clear),
/// a 16-byte tag, and a 12-byte nonce whose last 8 bytes are an invocation
/// counter incremented after every packet.
public final class AESGCMProtection: PacketProtection {
    public let cipherName: String
    public var macName: String? { nil }
    private let cipher: EVPCipherContext
    /// fixed(4) ‖ invocation_counter(8), big-endian; allocated once.
    private let nonce: UnsafeMutableRawBufferPointer

    public var blockSize: Int { 16 }
    public var tagLength: Int { 16 }
    public var lengthIsAuthenticatedData: Bool { true }
    public var lengthPrefixSize: Int { 4 }

    public init(cipher algorithm: CipherAlgorithm, key: SecureBytes, iv: SecureBytes) throws {
        guard algorithm == .aes128GCM || algorithm == .aes256GCM else {
            throw CryptoError(.unsupportedAlgorithm, "\(algorithm.rawValue) is not an AES-GCM cipher")
        }
        guard key.count == algorithm.keyLength, iv.count == 12 else {
            throw CryptoError(.invalidKey, "\(algorithm.rawValue) key material has the wrong size")
        }
        self.cipherName = algorithm.rawValue
        let nonce = UnsafeMutableRawBufferPointer.allocate(byteCount: 12, alignment: 8)
        iv.withUnsafeBytes { nonce.copyMemory(from: $0) }
        self.nonce = nonce
        do {
            cipher = try key.withUnsafeBytes { k in
                try EVPCipherContext(cipher: algorithm.evpCipher, key: k, iv: nil, encrypt: true)
            }
        } catch {
            nonce.deallocate()
            throw error
        }
    }

    deinit {
        nonce.initializeMemory(as: UInt8.self, repeating: 0)
        nonce.deallocate()
    }

    public func decryptLength(_ prefix: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws -> UInt32 {
        guard prefix.count >= 4 else { throw CryptoError(.invalidLength, "need 4 bytes for the packet length") }
        return UnsafeRawBufferPointer(prefix).loadBigEndianUInt32(at: 0)
    }

    public func open(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        let (body, tag) = try packetParts(packet, of: self)
        try cipher.restart(iv: UnsafeRawBufferPointer(nonce), encrypt: false)
        incrementInvocationCounter()
        try cipher.control(EVP_CTRL_GCM_SET_TAG, tag)
        try cipher.authenticateOnly(UnsafeRawBufferPointer(rebasing: body[0..<4]))
        try cipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[4...]))
        guard cipher.finish() else {
            throw CryptoError(.authenticationFailed, "AES-GCM tag does not match (\(cipherName))")
        }
    }

    public func seal(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        try sealLeavingNothingOut(packet, sequenceNumber: sequenceNumber)
    }

    public func seal(_ packet: UnsafeMutableRawBufferPointer, filling gap: Range<Int>, from source: UnsafeRawBufferPointer,
                     sequenceNumber: UInt32) throws {
        let (body, tag) = try packetParts(packet, of: self)
        try checkGap(gap, source, in: packet, of: self)
        try cipher.restart(iv: UnsafeRawBufferPointer(nonce), encrypt: true)
        incrementInvocationCounter()
        try cipher.authenticateOnly(UnsafeRawBufferPointer(rebasing: body[0..<4]))
        // GCM is a stream: three updates give the bytes one would.
        try cipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[4..<gap.lowerBound]))
        try cipher.update(source, into: UnsafeMutableRawBufferPointer(rebasing: body[gap]))
        try cipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[gap.upperBound...]))
        guard cipher.finish() else { throw CryptoError.openssl("EVP_CipherFinal_ex (GCM seal)") }
        try cipher.control(EVP_CTRL_GCM_GET_TAG, tag)
    }

    /// RFC 5647 §7.1: the 64-bit invocation counter wraps modulo 2^64.
    @inline(__always)
    private func incrementInvocationCounter() {
        let counter = UInt64(bigEndian: nonce.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
        nonce.storeBytes(of: (counter &+ 1).bigEndian, toByteOffset: 4, as: UInt64.self)
    }
}
