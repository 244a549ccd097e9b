import NIOCore

/// OutboundPayloads is the FIFO of encoded payloads the multiplexer wants
/// sent, in the order they must go on the wire; the owner drains it.
///
/// Each payload is its own `ByteBuffer` from the owner's allocator, with
/// `headroom` bytes reserved before the message number and `tailroom` bytes
/// of spare capacity after it. A transport that sets these to its packet
/// header size (uint32 packet_length + byte padding_length, plus any
/// sequence/AAD prefix) and padding + MAC size can frame and encrypt the
/// payload in place: move the reader index back by the headroom, write the
/// header, append padding and tag. The payload itself starts at the reader
/// index as usual, so a transport that ignores this just reads it.
struct OutboundPayloads: Sendable {
    /// Where payload buffers come from.
    let allocator: ByteBufferAllocator
    /// Bytes reserved before each payload.
    let headroom: Int
    /// Spare capacity after each payload.
    let tailroom: Int
    /// Encoded payloads, oldest first.
    private var payloads = CircularBuffer<ByteBuffer>(initialCapacity: 16)

    init(allocator: ByteBufferAllocator, headroom: Int, tailroom: Int) {
        self.allocator = allocator
        self.headroom = max(0, headroom)
        self.tailroom = max(0, tailroom)
    }

    /// Number of payloads waiting.
    var count: Int { payloads.count }

    /// Takes the oldest payload.
    mutating func next() -> ByteBuffer? {
        payloads.popFirst()
    }

    /// Drops everything not yet taken.
    mutating func removeAll() {
        payloads.removeAll(keepingCapacity: true)
    }

    private func makeBuffer(payloadCapacity: Int) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: headroom + payloadCapacity + tailroom)
        if headroom > 0 {
            buffer.moveWriterIndex(forwardBy: headroom)
            buffer.moveReaderIndex(forwardBy: headroom)
        }
        return buffer
    }

    /// Encodes and queues a control message (everything but the data path).
    mutating func append(_ message: ConnectionMessage) {
        var buffer = makeBuffer(payloadCapacity: message.encodedSizeHint)
        message.encode(into: &buffer)
        if buffer.capacity - buffer.writerIndex < tailroom {
            // A string outgrew the size hint; keep the promised tailroom.
            buffer.reserveCapacity(buffer.writerIndex + tailroom)
        }
        payloads.append(buffer)
    }

    /// Queues CHANNEL_DATA (or CHANNEL_EXTENDED_DATA when `extendedType` is
    /// set) carrying `chunk`: one allocation, header written with ByteBuffer
    /// integer writes, the data copied once. The caller has already limited
    /// `chunk` to the peer's window and maximum packet.
    mutating func appendData(recipient: UInt32, extendedType: UInt32?, chunk: ByteBuffer) {
        let header = extendedType == nil ? 9 : 13
        var buffer = makeBuffer(payloadCapacity: header + chunk.readableBytes)
        if let extendedType {
            buffer.writeInteger(MessageNumber.channelExtendedData.rawValue)
            buffer.writeInteger(recipient)
            buffer.writeInteger(extendedType)
        } else {
            buffer.writeInteger(MessageNumber.channelData.rawValue)
            buffer.writeInteger(recipient)
        }
        buffer.writeInteger(UInt32(truncatingIfNeeded: chunk.readableBytes))
        buffer.writeImmutableBuffer(chunk)
        payloads.append(buffer)
    }
}

extension ConnectionMessage {
    /// A capacity that fits most encodings in one allocation; strings longer
    /// than the slack just make the buffer grow.
    var encodedSizeHint: Int {
        switch self {
        case .channelData(_, let data), .channelExtendedData(_, _, let data), .requestSuccess(let data):
            return 16 + data.readableBytes
        case .globalRequest(let request):
            if case .other(_, let data) = request.type { return 64 + data.readableBytes }
            return 128
        case .channelOpen(let open):
            if case .other(_, let data) = open.type { return 64 + data.readableBytes }
            return 128
        case .channelRequest(let request):
            if case .other(_, let data) = request.type { return 64 + data.readableBytes }
            return 128
        default:
            return 64
        }
    }
}
