import ByteStreams
import NIOCore

/// SFTPFrameDecoder cuts a byte stream into SFTP packets (uint32 length,
/// then that many bytes), refusing lengths above `maxPacketLength` before
/// buffering them.
///
/// Received chunks are kept as they are, in a queue: a packet that lies
/// inside one chunk is handed out as a slice of it (no copy), and only a
/// packet split across chunks is gathered, into a buffer of its own. A
/// chunk is never appended to, so slices still held by the reader (DATA
/// waiting to be written) never force a copy of a whole chunk.
///
/// Gathering buffers are recycled (`BufferRecycler`): in a download nearly
/// every 255 KiB DATA reply spans chunks, and a new buffer for each was
/// page-faulted in, page by page, every time.
public struct SFTPFrameDecoder: Sendable {
    /// Gathered packets kept for reuse: those whose data is still being
    /// written are skipped, so a few cover the replies in flight to disk.
    static let recycledGathers = 8
    public let maxPacketLength: Int
    private var chunks = CircularBuffer<ByteBuffer>()
    private var gathers: BufferRecycler
    private var buffered = 0

    public init(maxPacketLength: Int = SFTPProtocol.maxPacketLength) {
        self.maxPacketLength = maxPacketLength
        // NIO rounds a buffer's capacity up to a power of two.
        gathers = BufferRecycler(limit: Self.recycledGathers, maximumCapacity: 2 * maxPacketLength)
    }

    /// Bytes received but not yet returned as a packet.
    public var bufferedBytes: Int { buffered }

    /// Adds bytes read from the stream.
    public mutating func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        chunks.append(chunk)
        buffered += chunk.readableBytes
    }

    /// The next complete packet body (type byte onward), or nil until more
    /// bytes arrive.
    public mutating func next() throws -> ByteBuffer? {
        guard buffered >= 4, let length = peekLength() else { return nil }
        guard length > 0 else { throw SFTPError.malformed("packet of length 0 has no type") }
        guard Int(length) <= maxPacketLength else {
            throw SFTPError(.packetTooLarge, "SFTP packet of \(length) bytes exceeds the limit of \(maxPacketLength)")
        }
        let total = 4 + Int(length)
        guard buffered >= total else { return nil }
        buffered -= total
        // The common case: the whole packet is in the first chunk.
        if var first = chunks.first, first.readableBytes >= total {
            first.moveReaderIndex(forwardBy: 4)
            let body = first.readSlice(length: Int(length))
            if first.readableBytes > 0 { chunks[chunks.startIndex] = first } else { chunks.removeFirst() }
            return body
        }
        // Split across chunks: gather exactly this packet.
        var body = gathers.buffer(capacity: Int(length))
        var skip = 4
        var needed = Int(length)
        while needed > 0 || skip > 0, var chunk = chunks.popFirst() {
            let dropped = min(skip, chunk.readableBytes)
            chunk.moveReaderIndex(forwardBy: dropped)
            skip -= dropped
            let take = min(needed, chunk.readableBytes)
            if take > 0, let piece = chunk.readSlice(length: take) {
                body.writeImmutableBuffer(piece)
                needed -= take
            }
            if chunk.readableBytes > 0 { chunks.prepend(chunk) }
        }
        gathers.keep(body)
        return body
    }

    /// The uint32 length at the front, which may itself span chunks.
    private func peekLength() -> UInt32? {
        var value: UInt32 = 0
        var collected = 0
        for chunk in chunks {
            for byte in chunk.readableBytesView {
                value = value << 8 | UInt32(byte)
                collected += 1
                if collected == 4 { return value }
            }
        }
        return nil
    }
}
