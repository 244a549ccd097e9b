import SSHWire

/// ChaCha20Poly1305Protection is chacha20-poly1305@openssh.com (OpenSSH
/// PROTOCOL.chacha20poly1305).
///
/// The 64 bytes of key material are two ChaCha20 keys: K_2 (the first 32
/// bytes) encrypts the payload and yields the Poly1305 key, K_1 (the last 32)
/// encrypts only the 4-byte length, so a reader can frame packets without
/// touching the authenticated body. The nonce is the sequence number as a
/// 64-bit big-endian value; block 0 of K_2's keystream is the Poly1305 key and
/// the payload starts at block 1. The tag covers the encrypted length and the
/// ciphertext, and is checked before anything is decrypted.
///
/// This is not RFC 8439's AEAD (which pads and appends lengths before
/// Poly1305), so libcrypto's EVP_chacha20_poly1305 cannot be used.
public final class ChaCha20Poly1305Protection: PacketProtection {
    public var cipherName: String { CipherAlgorithm.chacha20Poly1305.rawValue }
    public var macName: String? { nil }
    public var blockSize: Int { 8 }
    public var tagLength: Int { 16 }
    public var lengthIsAuthenticatedData: Bool { true }
    public var lengthPrefixSize: Int { 4 }

    private let payloadCipher: EVPCipherContext
    private let lengthCipher: EVPCipherContext
    private let poly1305: Poly1305
    /// K_1 keystream for the length of packet `lengthKeystreamSequence`, kept
    /// by `decryptLength` so `open` need not restart the length cipher.
    private var lengthKeystream: UInt32 = 0
    private var lengthKeystreamSequence: UInt32?
    /// 16-byte ChaCha20 IV as OpenSSL lays it out (32-bit little-endian block
    /// counter, then the nonce; OpenSSH's 64-bit counter high half is zero) ‖
    /// 64-byte Poly1305 key block ‖ 16-byte tag scratch; allocated once.
    private let scratch: UnsafeMutableRawBufferPointer

    public init(key: SecureBytes) throws {
        guard key.count == 64 else {
            throw CryptoError(.invalidKey, "chacha20-poly1305 needs 64 bytes of key material, got \(key.count)")
        }
        scratch = .allocate(byteCount: 16 + 64 + 16, alignment: 16)
        scratch.initializeMemory(as: UInt8.self, repeating: 0)
        do {
            let iv = UnsafeRawBufferPointer(rebasing: scratch[0..<16])
            (payloadCipher, lengthCipher) = try key.withUnsafeBytes { k in
                (try EVPCipherContext(cipher: CipherAlgorithm.chacha20Poly1305.evpCipher,
                                      key: UnsafeRawBufferPointer(rebasing: k[0..<32]), iv: iv, encrypt: true),
                 try EVPCipherContext(cipher: CipherAlgorithm.chacha20Poly1305.evpCipher,
                                      key: UnsafeRawBufferPointer(rebasing: k[32..<64]), iv: iv, encrypt: true))
            }
            poly1305 = try Poly1305()
        } catch {
            scratch.deallocate()
            throw error
        }
    }

    deinit {
        scratch.initializeMemory(as: UInt8.self, repeating: 0)
        scratch.deallocate()
    }

    private var iv: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: scratch[0..<16]) }
    private var polyKeyBlock: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: scratch[16..<80]) }
    private var computedTag: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: scratch[80..<96]) }

    /// Sets the IV to block 0 with `sequenceNumber` as the nonce.
    @inline(__always)
    private func setNonce(_ sequenceNumber: UInt32) {
        iv.storeBytes(of: UInt64(0), toByteOffset: 0, as: UInt64.self)
        iv.storeBytes(of: UInt64(sequenceNumber).bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Restarts the payload cipher at block 0 and derives the one-time
    /// Poly1305 key; the cipher is left positioned at block 1.
    @inline(__always)
    private func startPayload(_ sequenceNumber: UInt32) throws {
        setNonce(sequenceNumber)
        try payloadCipher.restart(iv: UnsafeRawBufferPointer(iv), encrypt: true)
        polyKeyBlock.initializeMemory(as: UInt8.self, repeating: 0)
        try payloadCipher.update(inPlace: polyKeyBlock)
    }

    public func decryptLength(_ prefix: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws -> UInt32 {
        guard prefix.count >= 4 else { throw CryptoError(.invalidLength, "need 4 bytes for the packet length") }
        setNonce(sequenceNumber)
        try lengthCipher.restart(iv: UnsafeRawBufferPointer(iv), encrypt: true)
        var length: UInt32 = 0
        try withUnsafeMutableBytes(of: &length) { out in
            try lengthCipher.update(UnsafeRawBufferPointer(rebasing: prefix[0..<4]), into: out)
        }
        lengthKeystream = length ^ UnsafeRawBufferPointer(prefix).loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        lengthKeystreamSequence = sequenceNumber
        return UInt32(bigEndian: length)
    }

    public func open(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        let (body, tag) = try packetParts(packet, of: self)
        try startPayload(sequenceNumber)
        try poly1305.authenticate(
            key: UnsafeRawBufferPointer(rebasing: polyKeyBlock[0..<32]),
            message: UnsafeRawBufferPointer(body), tag: computedTag)
        guard constantTimeEquals(UnsafeRawBufferPointer(computedTag), UnsafeRawBufferPointer(tag)) else {
            throw CryptoError(.authenticationFailed, "Poly1305 tag does not match (chacha20-poly1305@openssh.com)")
        }
        if lengthKeystreamSequence == sequenceNumber {
            let encrypted = UnsafeRawBufferPointer(body).loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            body.storeBytes(of: encrypted ^ lengthKeystream, toByteOffset: 0, as: UInt32.self)
        } else {
            try lengthCipher.restart(iv: UnsafeRawBufferPointer(iv), encrypt: true)
            try lengthCipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[0..<4]))
        }
        lengthKeystreamSequence = nil
        try payloadCipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[4...]))
    }

    public func seal(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        try sealLeavingNothingOut(packet, sequenceNumber: sequenceNumber)
    }

    public func seal(_ packet: UnsafeMutableRawBufferPointer, filling gap: Range<Int>, from source: UnsafeRawBufferPointer,
                     sequenceNumber: UInt32) throws {
        let (body, tag) = try packetParts(packet, of: self)
        try checkGap(gap, source, in: packet, of: self)
        try startPayload(sequenceNumber)
        try lengthCipher.restart(iv: UnsafeRawBufferPointer(iv), encrypt: true)
        try lengthCipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[0..<4]))
        // ChaCha20 is a stream: three updates give the bytes one would.
        try payloadCipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[4..<gap.lowerBound]))
        try payloadCipher.update(source, into: UnsafeMutableRawBufferPointer(rebasing: body[gap]))
        try payloadCipher.update(inPlace: UnsafeMutableRawBufferPointer(rebasing: body[gap.upperBound...]))
        try poly1305.authenticate(
            key: UnsafeRawBufferPointer(rebasing: polyKeyBlock[0..<32]),
            message: UnsafeRawBufferPointer(body), tag: tag)
    }
}
