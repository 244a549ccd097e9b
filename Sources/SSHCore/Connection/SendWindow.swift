import NIOCore

/// SendWindow is the peer's half of one channel's flow control as seen from
/// our side: how many bytes the peer lets us send, the largest data field it
/// accepts per packet, and everything the owner asked to send that is still
/// waiting for window (RFC 4254 §5.2).
///
/// Data, extended data and the owner's later EOF, requests and CLOSE share
/// one FIFO, so nothing overtakes data that is still waiting for window:
/// "send data, EOF, exit-status, close" reaches the peer in that order even
/// if the data needs several WINDOW_ADJUSTs to get out.
struct SendWindow: Sendable {
    /// Something the owner asked to send on the channel, in order.
    enum Item: Sendable {
        /// Bytes for CHANNEL_DATA (`extendedType == nil`) or CHANNEL_EXTENDED_DATA; held without copying until sent.
        case data(ByteBuffer, extendedType: UInt32?)
        /// A control message (EOF, a channel request or CLOSE) that goes out after the items before it.
        case control(ConnectionMessage)
    }

    /// Bytes the peer lets us send now; never above 2^32−1.
    private(set) var available: Int
    /// The largest data field we put in one packet: the peer's maximum
    /// packet size, further capped by our own configuration.
    let maximumChunk: Int
    /// Items not sent yet, oldest first.
    private var queue = CircularBuffer<Item>(initialCapacity: 4)
    /// Data bytes in `queue`.
    private(set) var queuedDataBytes: Int = 0

    init(initialWindow: UInt32, peerMaximumPacket: UInt32, localMaximumChunk: UInt32) {
        self.available = Int(initialWindow)
        self.maximumChunk = Int(min(peerMaximumPacket, localMaximumChunk))
    }

    /// Bytes the owner can hand over now and see sent without waiting.
    var writableBytes: Int { max(0, available - queuedDataBytes) }

    /// Whether nothing is waiting.
    var isEmpty: Bool { queue.isEmpty }

    /// Applies a WINDOW_ADJUST. Returns false, and changes nothing, when the
    /// window would exceed 2^32−1 (RFC 4254 §5.2 caps it there).
    mutating func grow(by bytes: UInt32) -> Bool {
        let grown = available + Int(bytes)
        guard grown <= Int(UInt32.max) else { return false }
        available = grown
        return true
    }

    /// Queues an item behind everything already waiting.
    mutating func enqueue(_ item: Item) {
        if case .data(let bytes, _) = item {
            queuedDataBytes += bytes.readableBytes
        }
        queue.append(item)
    }

    /// Drops everything waiting (the channel is closing); returns the data bytes dropped.
    @discardableResult
    mutating func discardAll() -> Int {
        let dropped = queuedDataBytes
        queue.removeAll(keepingCapacity: false)
        queuedDataBytes = 0
        return dropped
    }

    /// Sends as much as the window allows: data split into packets of at most
    /// `maximumChunk` bytes, control messages as soon as the data before them
    /// is out. Stops after CLOSE (nothing may follow it) and reports it.
    mutating func flush(recipient: UInt32, into outbound: inout OutboundPayloads) -> FlushResult {
        var result = FlushResult()
        while let head = queue.first {
            switch head {
            case .control(let message):
                queue.removeFirst()
                outbound.append(message)
                switch message {
                case .channelEOF: result.sentEOF = true
                case .channelClose:
                    result.sentClose = true
                    discardAll()
                    return result
                default: break
                }
            case .data(var bytes, let extendedType):
                if bytes.readableBytes == 0 {
                    queue.removeFirst()
                    continue
                }
                guard available > 0, maximumChunk > 0 else { return result }
                let length = min(bytes.readableBytes, available, maximumChunk)
                guard let chunk = bytes.readSlice(length: length) else { return result }
                outbound.appendData(recipient: recipient, extendedType: extendedType, chunk: chunk)
                available -= length
                queuedDataBytes -= length
                if bytes.readableBytes == 0 {
                    queue.removeFirst()
                } else {
                    queue[queue.startIndex] = .data(bytes, extendedType: extendedType)
                }
            }
        }
        return result
    }

    /// What a flush put on the wire that changes the channel's state.
    struct FlushResult {
        /// CHANNEL_EOF went out.
        var sentEOF = false
        /// CHANNEL_CLOSE went out.
        var sentClose = false
    }
}
