import NIOCore

/// ConnectionPayloadReader reads the RFC 4251 types of one connection-protocol
/// payload from a `ByteBuffer`, turning every short or inconsistent field
/// into a `ConnectionError(.malformedMessage)` that names the message and
/// field.
///
/// SSHWire's `WireReader` works on `[UInt8]`; wrapping a NIO payload in one
/// would copy it, and channel data must reach the owner as a slice of the
/// decrypted packet. Strings come back as slices (no copy) or as lossily
/// decoded text: peer text is displayed, never trusted, so invalid UTF-8 is
/// replaced rather than fatal.
struct ConnectionPayloadReader {
    /// The unread part of the payload.
    private(set) var buffer: ByteBuffer
    /// The message being read, for error text.
    let message: MessageNumber

    init(_ buffer: ByteBuffer, message: MessageNumber) {
        self.buffer = buffer
        self.message = message
    }

    private func truncated(_ field: StaticString) -> ConnectionError {
        ConnectionError(.malformedMessage, "\(message) is truncated: no room for field '\(field)' (\(buffer.readableBytes) byte(s) left)")
    }

    /// Reads a big-endian uint32.
    mutating func readUInt32(_ field: StaticString) throws -> UInt32 {
        guard let value = buffer.readInteger(endianness: .big, as: UInt32.self) else { throw truncated(field) }
        return value
    }

    /// Reads a boolean; RFC 4251 §5: any non-zero byte is TRUE.
    mutating func readBool(_ field: StaticString) throws -> Bool {
        guard let value = buffer.readInteger(as: UInt8.self) else { throw truncated(field) }
        return value != 0
    }

    /// Reads an SSH `string` as a slice of the payload: no copy.
    mutating func readBytes(_ field: StaticString) throws -> ByteBuffer {
        let start = buffer.readerIndex
        guard let length = buffer.readInteger(endianness: .big, as: UInt32.self) else { throw truncated(field) }
        // Int(UInt32) cannot overflow on the 64-bit platforms ferry supports.
        guard let bytes = buffer.readSlice(length: Int(length)) else {
            let left = buffer.readableBytes
            buffer.moveReaderIndex(to: start)
            throw ConnectionError(.malformedMessage, "\(message) field '\(field)' declares \(length) byte(s) but only \(left) remain")
        }
        return bytes
    }

    /// Reads an SSH `string` as text; invalid UTF-8 becomes U+FFFD.
    mutating func readText(_ field: StaticString) throws -> String {
        let bytes = try readBytes(field)
        return String(buffer: bytes)
    }

    /// Reads an SSH `string` into an array (for small fields the caller keeps, e.g. terminal modes).
    mutating func readByteArray(_ field: StaticString) throws -> [UInt8] {
        let bytes = try readBytes(field)
        return Array(bytes.readableBytesView)
    }

    /// Takes everything not read yet (request-specific data of unknown requests).
    mutating func readRest() -> ByteBuffer {
        // A slice of zero or more bytes always exists.
        let rest = buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer()
        return rest
    }

    /// Throws unless every byte was read: trailing bytes mean the peer and we
    /// disagree about the message's layout.
    func expectEnd() throws {
        if buffer.readableBytes != 0 {
            throw ConnectionError(.malformedMessage, "\(message) has \(buffer.readableBytes) unexpected trailing byte(s)")
        }
    }
}
