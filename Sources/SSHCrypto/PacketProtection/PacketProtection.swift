/// PacketProtection encrypts and authenticates SSH binary packets (RFC 4253 §6)
/// for one direction of one connection, in place.
///
/// A packet buffer holds `uint32 packet_length ‖ byte padding_length ‖ payload
/// ‖ padding` followed by `tagLength` bytes for the MAC or AEAD tag. The
/// sender pads so that the aligned part (see `lengthIsAuthenticatedData`) is a
/// multiple of `blockSize`, then calls `seal`. The receiver calls
/// `decryptLength` on the first `lengthPrefixSize` bytes to learn how much to
/// wait for, then `open` on the whole packet.
///
/// Invariants every conformer keeps:
/// - `open` exposes no unauthenticated plaintext: when it throws, the caller
///   must drop the connection and the buffer's content is meaningless. The one
///   exception is the length field, which framing needs before the MAC can be
///   checked (and which ETM and AEAD modes do not encrypt at all, or encrypt
///   with a separate key).
/// - Internal state (CTR keystream position, GCM invocation counter) advances
///   with every packet, so packets must be sealed or opened in sequence order,
///   each exactly once, and an instance serves one direction only.
/// - No heap allocation per packet.
public protocol PacketProtection: AnyObject {
    /// The algorithm names this instance implements (for logs and `-v`).
    var cipherName: String { get }
    /// The MAC name, or nil for AEAD ciphers (implicit MAC).
    var macName: String? { get }
    /// Packets are padded to a multiple of this (at least 8, RFC 4253 §6).
    var blockSize: Int { get }
    /// Bytes of MAC or tag that follow each packet.
    var tagLength: Int { get }
    /// True when the 4-byte length is not part of the aligned, encrypted body
    /// (ETM MACs, AES-GCM, chacha20-poly1305): then `packet_length` itself must
    /// be a multiple of `blockSize`; otherwise `4 + packet_length` must be.
    var lengthIsAuthenticatedData: Bool { get }
    /// How many leading bytes `decryptLength` needs (a cipher block for
    /// encrypt-and-MAC modes, else 4).
    var lengthPrefixSize: Int { get }

    /// Returns `packet_length` from the first `lengthPrefixSize` bytes of a
    /// packet. Encrypt-and-MAC modes decrypt those bytes in place (and `open`
    /// then skips them); other modes leave the buffer untouched.
    func decryptLength(_ prefix: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws -> UInt32

    /// Verifies and decrypts a whole packet (`4 + packet_length + tagLength`
    /// bytes) in place. Throws `.authenticationFailed` if it was altered.
    func open(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws

    /// Encrypts a padded packet in place and writes the tag into its last
    /// `tagLength` bytes; `packet.count` is `4 + packet_length + tagLength`.
    func seal(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws

    /// `seal(_:sequenceNumber:)` for a packet whose bytes at `gap` (indices
    /// into `packet`, inside the payload) are not written yet: their
    /// plaintext is `source`. A cipher that can read its input from one
    /// buffer and write to another encrypts `source` straight into the gap,
    /// sparing the copy a bulk transfer's channel data would otherwise take
    /// into the packet first; the rest copy it in and seal in place. The
    /// result is the same packet either way.
    func seal(_ packet: UnsafeMutableRawBufferPointer, filling gap: Range<Int>, from source: UnsafeRawBufferPointer,
              sequenceNumber: UInt32) throws
}

extension PacketProtection {
    public func seal(_ packet: UnsafeMutableRawBufferPointer, filling gap: Range<Int>, from source: UnsafeRawBufferPointer,
                     sequenceNumber: UInt32) throws {
        try checkGap(gap, source, in: packet, of: self)
        if !gap.isEmpty { UnsafeMutableRawBufferPointer(rebasing: packet[gap]).copyMemory(from: source) }
        try seal(packet, sequenceNumber: sequenceNumber)
    }
}

extension PacketProtection {
    /// The packet sealed in place, as `seal(_:filling:from:sequenceNumber:)`
    /// with an empty gap at the body's end: for a conformer whose gap
    /// version is its one implementation of sealing.
    @inline(__always)
    func sealLeavingNothingOut(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        let end = packet.count - tagLength
        try seal(packet, filling: end..<end, from: UnsafeRawBufferPointer(start: nil, count: 0), sequenceNumber: sequenceNumber)
    }
}

/// Checks that `gap` lies inside the encrypted part of `packet` after its
/// padding_length byte, and that `source` fills it exactly.
@inline(__always)
func checkGap(_ gap: Range<Int>, _ source: UnsafeRawBufferPointer, in packet: UnsafeMutableRawBufferPointer,
              of protection: some PacketProtection) throws {
    guard gap.count == source.count, gap.lowerBound >= 5, gap.upperBound <= packet.count - protection.tagLength else {
        throw CryptoError(.invalidLength, "a gap of \(gap) with \(source.count) bytes does not fit a packet of \(packet.count)")
    }
}

extension PacketProtection {
    /// The padding length RFC 4253 §6 asks for: at least 4 bytes, so that the
    /// aligned part of the packet is a multiple of `blockSize`.
    public func paddingLength(forPayloadLength payloadLength: Int) -> Int {
        let aligned = (lengthIsAuthenticatedData ? 0 : 4) + 1 + payloadLength
        var padding = blockSize - aligned % blockSize
        if padding < 4 { padding += blockSize }
        return padding
    }

    /// Checks the framing rules for a packet of `packetLength` before any
    /// buffer is sized for it: minimum size, alignment, and `maximum`.
    public func validatePacketLength(_ packetLength: UInt32, maximum: Int) throws {
        let length = Int(packetLength)
        let aligned = lengthIsAuthenticatedData ? length : length + 4
        // The padding_length byte plus the minimum 4 bytes of padding.
        guard length >= 5 else {
            throw CryptoError(.invalidLength, "packet length \(length) is too small")
        }
        guard length <= maximum else {
            throw CryptoError(.invalidLength, "packet length \(length) exceeds the maximum of \(maximum)")
        }
        guard aligned % blockSize == 0 else {
            throw CryptoError(.invalidLength, "packet length \(length) is not a multiple of the cipher block size \(blockSize)")
        }
    }
}

/// Splits a whole packet buffer into its parts after checking sizes, so no
/// conformer indexes out of range on a short or misaligned buffer.
@inline(__always)
func packetParts(_ packet: UnsafeMutableRawBufferPointer, of protection: some PacketProtection)
    throws -> (body: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer)
{
    let tagLength = protection.tagLength
    guard packet.count >= 4 + 5 + tagLength else {
        throw CryptoError(.invalidLength, "packet buffer of \(packet.count) bytes is too small")
    }
    let bodyEnd = packet.count - tagLength
    let aligned = protection.lengthIsAuthenticatedData ? bodyEnd - 4 : bodyEnd
    guard aligned % protection.blockSize == 0 else {
        throw CryptoError(.invalidLength, "packet of \(bodyEnd - 4) bytes is not aligned to \(protection.blockSize)")
    }
    return (UnsafeMutableRawBufferPointer(rebasing: packet[0..<bodyEnd]),
            UnsafeMutableRawBufferPointer(rebasing: packet[bodyEnd...]))
}
