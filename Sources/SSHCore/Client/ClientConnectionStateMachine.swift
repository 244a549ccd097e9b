import NIOCore
import SSHCrypto

/// ClientConnectionStateMachine joins the three client layers, transport,
/// user authentication and the channel multiplexer, into one sans-I/O
/// machine: bytes in, bytes out, and events for the API above. The NIO
/// handler that drives it only moves bytes and timers.
public struct ClientConnectionStateMachine {
    /// What the API layer learns from the connection.
    public enum Event {
        /// The server proved it holds this host key; call `hostKeyAccepted` once it is trusted.
        case hostKeyNeedsVerification(SSHPublicKey)
        /// The first key exchange finished (algorithms in force).
        case keysEstablished(NegotiatedAlgorithms)
        /// The server's authentication banner, to show on stderr.
        case banner(String)
        /// SSH_MSG_DEBUG the server marked for display.
        case debug(String)
        /// Authentication succeeded: channels may be opened.
        case authenticated
        /// Something happened on a channel.
        case channel(ChannelMultiplexer.Event)
    }

    public private(set) var transport: SSHTransport
    private var auth: UserAuthClient
    public private(set) var mux: ChannelMultiplexer
    public private(set) var isAuthenticated = false
    private var events: [Event] = []

    public init(transport: TransportConfiguration, user: String, credentials: [UserAuthClient.Credential],
                multiplexer: ChannelMultiplexer.Configuration = .init(role: .client),
                allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.transport = SSHTransport(configuration: transport, allocator: allocator)
        self.auth = UserAuthClient(user: user, credentials: credentials)
        self.mux = ChannelMultiplexer(configuration: multiplexer, allocator: allocator)
    }

    public mutating func start(into out: inout ByteBuffer) throws {
        try transport.start(into: &out)
    }

    /// Feeds received bytes; replies go to `out`, events to `nextEvent()`.
    public mutating func receive(_ bytes: inout ByteBuffer, output out: inout ByteBuffer) throws {
        transport.receive(&bytes)
        while let event = try transport.nextEvent(output: &out) {
            try handle(event, output: &out)
        }
        try flushMultiplexer(output: &out)
    }

    /// Writes SSH_MSG_DISCONNECT before the socket is closed.
    public mutating func writeDisconnect(reason: DisconnectReason, description: String, into out: inout ByteBuffer) {
        transport.writeDisconnect(reason: reason, description: description, into: &out)
    }

    /// The owner trusts the server's host key; the handshake continues.
    public mutating func hostKeyAccepted(output out: inout ByteBuffer) throws {
        try transport.hostKeyAccepted(output: &out)
        while let event = try transport.nextEvent(output: &out) {
            try handle(event, output: &out)
        }
        try flushMultiplexer(output: &out)
    }

    public mutating func nextEvent() -> Event? {
        events.isEmpty ? nil : events.removeFirst()
    }

    /// Runs `body` on the multiplexer (open a channel, send data…) and sends
    /// whatever it queued.
    public mutating func withMultiplexer<R>(output out: inout ByteBuffer, _ body: (inout ChannelMultiplexer) throws -> R) throws -> R {
        let result = try body(&mux)
        try flushMultiplexer(output: &out)
        return result
    }

    private mutating func flushMultiplexer(output out: inout ByteBuffer) throws {
        while var payload = mux.nextOutboundPayload() {
            try transport.sendPayload(into: &out) { $0.writeBuffer(&payload) }
        }
        while let event = mux.nextEvent() {
            events.append(.channel(event))
        }
    }

    private mutating func handle(_ event: TransportEvent, output out: inout ByteBuffer) throws {
        switch event {
        case .hostKeyNeedsVerification(let key):
            events.append(.hostKeyNeedsVerification(key))
        case .keyExchangeCompleted(let algorithms, let initial):
            if initial {
                events.append(.keysEstablished(algorithms))
                let request = auth.start()
                try transport.sendPayload(into: &out) { $0.writeBytes(request) }
            }
        case .extensionInfo(let extensions):
            if let algorithms = extensions["server-sig-algs"] {
                auth.setServerSignatureAlgorithms(String(decoding: algorithms, as: UTF8.self).split(separator: ",").map(String.init))
            }
        case .debug(let message, let always):
            if always { events.append(.debug(message)) }
        case .payload(let payload):
            guard let number = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else { return }
            if number >= 80 && number <= 127 {
                guard isAuthenticated else {
                    throw SSHError(.protocolError, "connection-protocol message \(number) before authentication")
                }
                do {
                    try mux.receive(payload: payload)
                } catch let error as ConnectionError {
                    throw SSHError(.protocolError, error.message)
                }
            } else if number == MessageNumber.serviceAccept.rawValue || (number >= 50 && number <= 79) {
                guard !isAuthenticated, let sessionID = transport.sessionID else {
                    throw SSHError(.protocolError, "authentication message \(number) after authentication")
                }
                switch try auth.receive(Array(payload.readableBytesView), sessionID: sessionID) {
                case .send(let payloads):
                    for p in payloads { try transport.sendPayload(into: &out) { $0.writeBytes(p) } }
                case .banner(let text):
                    events.append(.banner(text))
                case .succeeded:
                    isAuthenticated = true
                    try transport.authenticationSucceeded()
                    events.append(.authenticated)
                }
            } else {
                throw SSHError(.protocolError, "unexpected message \(number) from the server")
            }
        }
    }
}
