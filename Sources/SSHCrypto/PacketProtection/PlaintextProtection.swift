import SSHWire

/// PlaintextProtection is the "none" cipher and MAC in force until the first
/// NEWKEYS: packets are framed with 8-byte alignment and sent in the clear.
public final class PlaintextProtection: PacketProtection {
    public init() {}

    public var cipherName: String { "none" }
    public var macName: String? { "none" }
    public var blockSize: Int { 8 }
    public var tagLength: Int { 0 }
    public var lengthIsAuthenticatedData: Bool { false }
    public var lengthPrefixSize: Int { 4 }

    public func decryptLength(_ prefix: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws -> UInt32 {
        guard prefix.count >= 4 else { throw CryptoError(.invalidLength, "need 4 bytes for the packet length") }
        return UnsafeRawBufferPointer(prefix).loadBigEndianUInt32(at: 0)
    }

    public func open(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        _ = try packetParts(packet, of: self)
    }

    public func seal(_ packet: UnsafeMutableRawBufferPointer, sequenceNumber: UInt32) throws {
        _ = try packetParts(packet, of: self)
    }
}
