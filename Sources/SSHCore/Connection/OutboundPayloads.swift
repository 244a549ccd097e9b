import NIOCore

/// OutboundPayload is one message the multiplexer wants sent: encoded
/// already (control messages), or CHANNEL_DATA whose data is still a slice
/// of the caller's buffer.
///
/// Why the second form: data is the bulk of an upload, and encoding it into
/// a payload buffer of its own, only for the transport to copy that into
/// the packet it seals, moved every byte twice. The transport writes the
/// message header (`writeHead(into:)`) into the packet and encrypts the
/// data (`trailingData`) from where it lies into the packet: the cipher's
/// pass is the only one over the data. `write(into:)` writes it all.
@_spi(Internals) public struct OutboundPayload: Sendable {
    fileprivate enum Storage: Sendable {
        case encoded(ByteBuffer)
        case data(recipient: UInt32, extendedType: UInt32?, chunk: ByteBuffer)
    }
    fileprivate let storage: Storage

    /// The payload's length in bytes (message number included).
    public var length: Int {
        switch storage {
        case .encoded(let buffer): return buffer.readableBytes
        case .data(_, let extendedType, let chunk): return (extendedType == nil ? 9 : 13) + chunk.readableBytes
        }
    }

    /// The channel data at the payload's end, or nil for a payload encoded
    /// whole: what `writeHead(into:)` leaves out.
    public var trailingData: ByteBuffer? {
        if case .data(_, _, let chunk) = storage { return chunk }
        return nil
    }

    /// Appends the payload (message number first) to `buffer`, except its
    /// `trailingData`, which the caller sends right after it: the transport
    /// encrypts that into the packet from where it lies.
    public func writeHead(into buffer: inout ByteBuffer) {
        switch storage {
        case .encoded(let payload):
            buffer.writeImmutableBuffer(payload)
        case .data(let recipient, let extendedType, let chunk):
            if let extendedType {
                buffer.writeInteger(MessageNumber.channelExtendedData.rawValue)
                buffer.writeInteger(recipient)
                buffer.writeInteger(extendedType)
            } else {
                buffer.writeInteger(MessageNumber.channelData.rawValue)
                buffer.writeInteger(recipient)
            }
            buffer.writeInteger(UInt32(truncatingIfNeeded: chunk.readableBytes))
        }
    }

    /// Appends the whole payload (message number first) to `buffer`.
    public func write(into buffer: inout ByteBuffer) {
        writeHead(into: &buffer)
        if let data = trailingData { buffer.writeImmutableBuffer(data) }
    }
}

/// OutboundPayloads is the FIFO of payloads the multiplexer wants sent, in
/// the order they must go on the wire; the owner drains it.
///
/// Control messages are encoded when queued; channel data is queued as a
/// slice of the caller's buffer and encoded where the owner writes it
/// (`OutboundPayload.write(into:)`). `materialize` gives a payload a buffer
/// of its own from the owner's allocator, with `headroom` bytes reserved
/// before the message number and `tailroom` bytes of spare capacity after
/// it: a transport that frames in place uses those for its packet header
/// (uint32 packet_length + byte padding_length, plus any sequence/AAD
/// prefix) and padding + MAC. The payload itself starts at the reader index
/// as usual, so a transport that ignores this just reads it.
struct OutboundPayloads: Sendable {
    /// Where payload buffers come from.
    let allocator: ByteBufferAllocator
    /// Bytes reserved before each payload.
    let headroom: Int
    /// Spare capacity after each payload.
    let tailroom: Int
    /// Payloads, oldest first.
    private var payloads = CircularBuffer<OutboundPayload>(initialCapacity: 16)

    init(allocator: ByteBufferAllocator, headroom: Int, tailroom: Int) {
        self.allocator = allocator
        self.headroom = max(0, headroom)
        self.tailroom = max(0, tailroom)
    }

    /// Number of payloads waiting.
    var count: Int { payloads.count }

    /// Takes the oldest payload.
    mutating func next() -> OutboundPayload? {
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

    /// `payload` in a buffer of its own, with the headroom and tailroom
    /// promised (control messages already have them).
    func materialize(_ payload: OutboundPayload) -> ByteBuffer {
        if case .encoded(let buffer) = payload.storage { return buffer }
        var buffer = makeBuffer(payloadCapacity: payload.length)
        payload.write(into: &buffer)
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
        payloads.append(OutboundPayload(storage: .encoded(buffer)))
    }

    /// Queues CHANNEL_DATA (or CHANNEL_EXTENDED_DATA when `extendedType` is
    /// set) carrying `chunk`, uncopied: the bytes are copied once, into the
    /// packet, when the owner writes the payload. The caller has already
    /// limited `chunk` to the peer's window and maximum packet.
    mutating func appendData(recipient: UInt32, extendedType: UInt32?, chunk: ByteBuffer) {
        payloads.append(OutboundPayload(storage: .data(recipient: recipient, extendedType: extendedType, chunk: chunk)))
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
