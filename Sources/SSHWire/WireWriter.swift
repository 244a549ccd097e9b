/// WireWriter appends the SSH data types of RFC 4251 §5 to a growing byte array.
///
/// Used for messages built once per exchange (KEXINIT, auth requests, SFTP
/// requests); hot paths that must not allocate write into preallocated buffers
/// with the `UnsafeMutableRawBufferPointer` helpers instead.
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func writeByte(_ value: UInt8) { bytes.append(value) }

    public mutating func writeBool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func writeUInt32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    public mutating func writeUInt64(_ value: UInt64) {
        writeUInt32(UInt32(truncatingIfNeeded: value >> 32))
        writeUInt32(UInt32(truncatingIfNeeded: value))
    }

    /// Appends bytes with no length prefix.
    public mutating func writeRaw<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    /// Appends an SSH `string`: uint32 length then the bytes.
    public mutating func writeString<C: Collection>(_ data: C) where C.Element == UInt8 {
        writeUInt32(UInt32(truncatingIfNeeded: data.count))
        bytes.append(contentsOf: data)
    }

    /// Appends text as an SSH `string` in UTF-8.
    public mutating func writeString(_ text: String) {
        writeString(Array(text.utf8))
    }

    /// Appends a non-negative `mpint` given its big-endian magnitude; leading
    /// zeros are stripped and a zero byte is prepended when the top bit is set.
    public mutating func writeMPInt<C: Collection>(_ magnitude: C) where C.Element == UInt8 {
        let trimmed = magnitude.drop(while: { $0 == 0 })
        if let first = trimmed.first, first & 0x80 != 0 {
            writeUInt32(UInt32(truncatingIfNeeded: trimmed.count + 1))
            bytes.append(0)
        } else {
            writeUInt32(UInt32(truncatingIfNeeded: trimmed.count))
        }
        bytes.append(contentsOf: trimmed)
    }

    /// Appends a `name-list`.
    public mutating func writeNameList(_ names: [String]) {
        writeString(Array(names.joined(separator: ",").utf8))
    }

    /// Overwrites a uint32 at `offset` (for length fields written after the body).
    public mutating func patchUInt32(_ value: UInt32, at offset: Int) {
        guard offset >= 0, offset + 4 <= bytes.count else { return }
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 24)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: value)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores `value` big-endian at `offset`; the caller has checked the bounds.
    @inlinable
    public func storeBigEndianUInt32(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
}

extension UnsafeRawBufferPointer {
    /// Loads a big-endian uint32 at `offset`; the caller has checked the bounds.
    @inlinable
    public func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
