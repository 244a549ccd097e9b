import NIOCore
@_spi(Internals) @testable import SSHCore

/// MultiplexerPair runs a client-role and a server-role multiplexer back to
/// back in memory: each one's outbound payloads are the other's input.
/// Events are collected per side; `pump()` moves payloads until both are
/// quiet, optionally reporting data consumed as soon as it arrives.
struct MultiplexerPair {
    var client: ChannelMultiplexer
    var server: ChannelMultiplexer
    var clientEvents: [ChannelMultiplexer.Event] = []
    var serverEvents: [ChannelMultiplexer.Event] = []
    /// Call `consumed` for every data event as soon as it is collected.
    var clientConsumesImmediately = true
    var serverConsumesImmediately = true

    init(client: ChannelMultiplexer.Configuration = .client, server: ChannelMultiplexer.Configuration = .server) {
        self.client = ChannelMultiplexer(configuration: client)
        self.server = ChannelMultiplexer(configuration: server)
    }

    /// Moves payloads both ways until neither side has anything to send.
    mutating func pump() throws {
        var moved = true
        while moved {
            moved = false
            while let payload = client.nextOutboundPayload() {
                try server.receive(payload: payload)
                drainServerEvents()
                moved = true
            }
            while let payload = server.nextOutboundPayload() {
                try client.receive(payload: payload)
                drainClientEvents()
                moved = true
            }
        }
        drainClientEvents()
        drainServerEvents()
    }

    mutating func drainClientEvents() {
        while let event = client.nextEvent() {
            if clientConsumesImmediately, let (id, count) = event.dataCount {
                client.consumed(count, on: id)
            }
            clientEvents.append(event)
        }
    }

    mutating func drainServerEvents() {
        while let event = server.nextEvent() {
            if serverConsumesImmediately, let (id, count) = event.dataCount {
                server.consumed(count, on: id)
            }
            serverEvents.append(event)
        }
    }

    /// Opens a session from the client and accepts it on the server;
    /// returns both sides' numbers for it and clears the collected events.
    mutating func openSession() throws -> (client: ChannelID, server: ChannelID) {
        let clientID = try client.openSession()
        try pump()
        guard case .openRequested(let serverID, .session, _, _)? = serverEvents.last else {
            throw TestFailure("server did not see the session open: \(serverEvents)")
        }
        try server.acceptChannel(serverID)
        try pump()
        guard case .opened(clientID, _, _)? = clientEvents.last else {
            throw TestFailure("client did not see the session confirmed: \(clientEvents)")
        }
        clientEvents.removeAll()
        serverEvents.removeAll()
        return (clientID, serverID)
    }

    /// All data (not extended) bytes the client collected on a channel, concatenated.
    func clientData(on channel: ChannelID) -> [UInt8] {
        clientEvents.flatMap { event -> [UInt8] in
            if case .data(channel, let bytes) = event { return Array(bytes.readableBytesView) }
            return []
        }
    }

    func serverData(on channel: ChannelID) -> [UInt8] {
        serverEvents.flatMap { event -> [UInt8] in
            if case .data(channel, let bytes) = event { return Array(bytes.readableBytesView) }
            return []
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ChannelMultiplexer.Event {
    /// The channel and byte count of a data or extended-data event.
    var dataCount: (ChannelID, Int)? {
        switch self {
        case .data(let id, let bytes): (id, bytes.readableBytes)
        case .extendedData(let id, _, let bytes): (id, bytes.readableBytes)
        default: nil
        }
    }
}

/// Builds a ByteBuffer from bytes or text.
func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    ByteBuffer(bytes: bytes)
}

func buffer(_ text: String) -> ByteBuffer {
    ByteBuffer(string: text)
}

/// Encodes a message into a fresh payload buffer.
func payload(_ message: ConnectionMessage) -> ByteBuffer {
    var out = ByteBuffer()
    message.encode(into: &out)
    return out
}

/// Decodes every payload a multiplexer has queued, draining it.
func drainMessages(_ mux: inout ChannelMultiplexer) throws -> [ConnectionMessage] {
    var messages: [ConnectionMessage] = []
    while let payload = mux.nextOutboundPayload() {
        messages.append(try ConnectionMessage.decode(payload))
    }
    return messages
}


/// Big-endian bytes of a uint32, for hand-built expectations.
func be32(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
}

/// An SSH string: uint32 length then the UTF-8 bytes.
func sshString(_ text: String) -> [UInt8] {
    be32(UInt32(text.utf8.count)) + Array(text.utf8)
}
