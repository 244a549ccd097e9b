import NIOCore

/// ChannelMultiplexer is the state of the SSH connection protocol (RFC 4254)
/// for one connection: the channels on it, their flow control, and the
/// global and channel requests in flight. It is sans-I/O: it never reads or
/// writes a socket and never looks at a clock.
///
/// The owner drives it (a NIO channel handler in production, a test in
/// memory, or a second multiplexer back to back):
///
/// - After user authentication the transport passes every decrypted payload
///   numbered 80–127 to `receive(payload:)`. Peer protocol violations throw
///   `ConnectionError`; the owner then disconnects.
/// - Commands (`openSession()`, `sendRequest(_:wantReply:on:)`,
///   `sendData(_:on:)`, `consumed(_:on:)`, `close(_:)`…) change state and
///   queue payloads; misuse throws `ConnectionError` and changes nothing.
/// - After any call, the owner drains `nextEvent()` until nil (what happened)
///   and `nextOutboundPayload()` (or `nextOutbound()`) until nil (what to
///   send, in order).
///
/// Both queues keep their storage, so the steady state of the data path
/// (CHANNEL_DATA in, WINDOW_ADJUST out, data out) allocates only the
/// WINDOW_ADJUSTs' buffers: data goes out as slices of the sender's buffer.
///
/// Memory: received data stays referenced by the owner's slices until it
/// calls `consumed`; the peer cannot send beyond the window granted, so what
/// is held per channel never exceeds that window. Data the owner passes to
/// `sendData` is queued without limit when the peer's window is closed —
/// producers must watch `writableBytes(on:)` and `.windowAvailable`.
@_spi(Internals) public struct ChannelMultiplexer: Sendable {
    /// The limits and sizes in force.
    public let configuration: Configuration
    /// Live channels by our channel number.
    var channels: [UInt32: ChannelState] = [:]
    /// The next number to try when allocating a channel.
    private var nextLocalID: UInt32 = 0
    /// Whether `nextLocalID` wrapped past 2^32−1 (then "closed" vs "never opened" cannot be told apart).
    private var localIDsWrapped = false
    /// Payloads to send, in order.
    var outbound: OutboundPayloads
    /// Events for the owner, in order.
    var events = CircularBuffer<Event>(initialCapacity: 16)
    /// Names of our global requests that wanted a reply, oldest first.
    var awaitingGlobalReplies = CircularBuffer<String>(initialCapacity: 4)

    /// A multiplexer with no channels. Outbound payload buffers come from `allocator`.
    public init(configuration: Configuration, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        var configuration = configuration
        configuration.maximumReceiveWindow = max(configuration.maximumReceiveWindow, configuration.initialReceiveWindow)
        configuration.maximumChannels = max(1, configuration.maximumChannels)
        configuration.maximumPendingRequests = max(1, configuration.maximumPendingRequests)
        configuration.maximumSendChunk = max(1, configuration.maximumSendChunk)
        self.configuration = configuration
        self.outbound = OutboundPayloads(
            allocator: allocator, headroom: configuration.payloadHeadroom, tailroom: configuration.payloadTailroom)
    }

    // MARK: Draining

    /// Takes the oldest event, or nil when there is none.
    public mutating func nextEvent() -> Event? {
        events.popFirst()
    }

    /// Takes the oldest payload to send, or nil when there is none. Payloads
    /// must go on the wire in the order they come out of here.
    ///
    /// The payload (message number first) is the buffer's readable bytes;
    /// `configuration.payloadHeadroom` bytes before the reader index and
    /// `payloadTailroom` bytes of capacity after the writer index are free
    /// for the transport to frame and encrypt in place.
    public mutating func nextOutboundPayload() -> ByteBuffer? {
        outbound.next().map(outbound.materialize)
    }

    /// Takes the oldest payload to send, to be written into the packet
    /// with `OutboundPayload.write(into:)`: channel data is then copied
    /// once, straight from the sender's buffer. The order rule of
    /// `nextOutboundPayload()` holds; the headroom and tailroom do not.
    public mutating func nextOutbound() -> OutboundPayload? {
        outbound.next()
    }

    /// Whether payloads are waiting to be sent.
    public var hasOutboundPayloads: Bool { outbound.count > 0 }

    // MARK: Queries

    /// Number of live channels (opening, open or closing).
    public var channelCount: Int { channels.count }

    /// Our global requests still waiting for a reply (for ServerAliveCountMax).
    public var pendingGlobalRequestCount: Int { awaitingGlobalReplies.count }

    /// Whether the channel exists and has completed its open.
    public func isOpen(_ channel: ChannelID) -> Bool {
        channels[channel.rawValue]?.phase == .open
    }

    /// Bytes the owner may send on the channel now without them being
    /// queued: the peer's window minus what is already queued. 0 for a
    /// channel that is not open or after EOF/close.
    public func writableBytes(on channel: ChannelID) -> Int {
        channels[channel.rawValue]?.writableBytes ?? 0
    }

    /// Bytes handed to `sendData`/`sendExtendedData` and still waiting for the peer's window.
    public func queuedBytes(on channel: ChannelID) -> Int {
        channels[channel.rawValue]?.sendWindow.queuedDataBytes ?? 0
    }

    /// The receive-side flow-control state of a channel (for tests and diagnostics).
    func receiveWindow(on channel: ChannelID) -> ReceiveWindow? {
        channels[channel.rawValue]?.receiveWindow
    }

    // MARK: Channel numbers

    /// Picks our number for a new channel: counts upwards so a number is not
    /// reused soon after its channel closed, which lets late messages for a
    /// closed channel be reported as such. The caller checked the channel cap,
    /// so a free number exists.
    mutating func allocateLocalID() -> UInt32 {
        var candidate = nextLocalID
        while channels[candidate] != nil {
            candidate &+= 1
        }
        nextLocalID = candidate &+ 1
        if nextLocalID == 0 { localIDsWrapped = true }
        return candidate
    }

    /// The error for a message naming a channel number that is not live.
    func missingChannelError(_ number: UInt32, _ message: MessageNumber) -> ConnectionError {
        if localIDsWrapped || number < nextLocalID {
            return ConnectionError(.channelClosed, "peer sent \(message) for channel \(number), which is already closed")
        }
        return ConnectionError(.unknownChannel, "peer sent \(message) for channel \(number), which was never opened")
    }

    /// Finds an open channel named by the peer, or throws.
    func openChannelIndex(_ number: UInt32, _ message: MessageNumber) throws -> Dictionary<UInt32, ChannelState>.Index {
        guard let index = channels.index(forKey: number) else {
            throw missingChannelError(number, message)
        }
        guard channels.values[index].phase == .open else {
            throw ConnectionError(.channelNotOpen, "peer sent \(message) for channel \(number), whose open has not completed")
        }
        return index
    }

    /// Removes a channel whose CLOSE went both ways and tells the owner.
    mutating func release(at index: Dictionary<UInt32, ChannelState>.Index) {
        let id = channels.values[index].id
        channels.remove(at: index)
        events.append(.closed(id))
    }
}
