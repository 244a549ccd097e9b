import NIOCore

/// SFTPFrameDecoder cuts a byte stream into SFTP packets (uint32 length,
/// then that many bytes), refusing lengths above `maxPacketLength` before
/// buffering them.
///
/// Packets are handed out as slices of the received chunks: when a chunk
/// holds whole packets (the common case on an SSH channel) nothing is
/// copied. Only a packet split across chunks is gathered into one buffer.
public struct SFTPFrameDecoder: Sendable {
    public let maxPacketLength: Int
    private var pending: ByteBuffer?

    public init(maxPacketLength: Int = SFTPProtocol.maxPacketLength) {
        self.maxPacketLength = maxPacketLength
    }

    /// Bytes received but not yet returned as a packet.
    public var bufferedBytes: Int { pending?.readableBytes ?? 0 }

    /// Adds bytes read from the stream.
    public mutating func append(_ chunk: ByteBuffer) {
        guard var buffer = pending, buffer.readableBytes > 0 else {
            pending = chunk
            return
        }
        pending = nil  // so `buffer` holds the only reference and grows in place
        buffer.writeImmutableBuffer(chunk)
        pending = buffer
    }

    /// The next complete packet body (type byte onward), or nil until more
    /// bytes arrive.
    public mutating func next() throws -> ByteBuffer? {
        guard var buffer = pending else { return nil }
        pending = nil
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else {
            pending = buffer
            return nil
        }
        guard length > 0 else { throw SFTPError.malformed("packet of length 0 has no type") }
        guard Int(length) <= maxPacketLength else {
            throw SFTPError(.packetTooLarge, "SFTP packet of \(length) bytes exceeds the limit of \(maxPacketLength)")
        }
        guard buffer.readableBytes - 4 >= Int(length) else {
            pending = buffer
            return nil
        }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readSlice(length: Int(length))
        pending = buffer.readableBytes > 0 ? buffer : nil
        return body
    }
}
