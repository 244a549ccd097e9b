import NIOCore
import SSHCrypto

/// ClientConnectionStateMachine joins the three client layers, transport,
/// user authentication and the channel multiplexer, into one sans-I/O
/// machine: bytes in, bytes out, and events for the API above. The NIO
/// handler that drives it only moves bytes and timers.
@_spi(Internals) public struct ClientConnectionStateMachine {
    /// What the API layer learns from the connection.
    public enum Event {
        /// The server proved it holds this host key; call `hostKeyAccepted` once it is trusted.
        case hostKeyNeedsVerification(SSHPublicKey)
        /// The first key exchange finished (algorithms in force).
        case keysEstablished(NegotiatedAlgorithms)
        /// The server's authentication banner, to show on stderr.
        case banner(String)
        /// Authentication needs answers (a password, keyboard-interactive
        /// prompts); call `answerAuthenticationPrompt` with them.
        case authenticationPrompt(AuthenticationPrompt)
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
    /// SERVICE_REQUEST is out and the first authentication request waits
    /// for the server's EXT_INFO. Should SERVICE_ACCEPT come first (a
    /// server that offered EXT_INFO and did not send it), the request goes
    /// after the accept instead, as without pipelining.
    private var awaitingExtensionInfo = false

    public init(transport: TransportConfiguration, user: String, credentials: [UserAuthClient.Credential],
                authentication: AuthenticationPolicy = AuthenticationPolicy(),
                multiplexer: ChannelMultiplexer.Configuration = .init(role: .client),
                allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.transport = SSHTransport(configuration: transport, allocator: allocator)
        self.auth = UserAuthClient(user: user, credentials: credentials, policy: authentication)
        self.mux = ChannelMultiplexer(configuration: multiplexer, allocator: allocator)
    }

    public mutating func start(into out: inout ByteBuffer) throws {
        try transport.start(into: &out)
    }

    /// Buffers received bytes; `nextEvent(output:)` processes them.
    public mutating func receive(_ bytes: inout ByteBuffer) {
        transport.receive(&bytes)
    }

    /// The next event, processing at most one packet at a time, with replies
    /// written to `out`; nil when more input is needed.
    ///
    /// Pull one event at a time and finish with it (write the data away) before
    /// asking for the next: channel data is a slice of the decrypted packet, and
    /// a slice still alive when the next packet is decrypted in place would force
    /// a copy of the input buffer.
    public mutating func nextEvent(output out: inout ByteBuffer) throws -> Event? {
        while true {
            if !events.isEmpty { return events.removeFirst() }
            if let event = mux.nextEvent() { return .channel(event) }
            guard let event = try transport.nextEvent(output: &out) else {
                try flushMultiplexer(output: &out)
                return nil
            }
            try handle(event, output: &out)
            try flushMultiplexer(output: &out)
        }
    }

    /// The owner trusts the server's host key; the handshake continues with
    /// the next `nextEvent(output:)`.
    public mutating func hostKeyAccepted(output out: inout ByteBuffer) throws {
        try transport.hostKeyAccepted(output: &out)
    }

    /// Resumes authentication after `.authenticationPrompt` with one answer
    /// per question, or nil when nobody could answer (the method is given up).
    public mutating func answerAuthenticationPrompt(_ answers: [SecureBytes]?, output out: inout ByteBuffer) throws {
        guard !isAuthenticated, let sessionID = transport.sessionID else {
            throw SSHError(.protocolError, "an authentication answer with no authentication under way")
        }
        try perform(auth.answer(answers, sessionID: sessionID), output: &out)
    }

    /// Writes SSH_MSG_DISCONNECT before the socket is closed.
    public mutating func writeDisconnect(reason: DisconnectReason, description: String, into out: inout ByteBuffer) {
        transport.writeDisconnect(reason: reason, description: description, into: &out)
    }

    /// Runs `body` on the multiplexer (open a channel, send data…) and sends
    /// whatever it queued.
    public mutating func withMultiplexer<R>(output out: inout ByteBuffer, _ body: (inout ChannelMultiplexer) throws -> R) throws -> R {
        let result = try body(&mux)
        try flushMultiplexer(output: &out)
        return result
    }

    /// Sends what the multiplexer queued (its events stay queued for `nextEvent`).
    private mutating func flushMultiplexer(output out: inout ByteBuffer) throws {
        while let payload = mux.nextOutbound() {
            try transport.sendPayload(into: &out, trailing: payload.trailingData) { payload.writeHead(into: &$0) }
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
                // The first attempt follows at once, unless the server's
                // EXT_INFO (right behind its NEWKEYS) is still to be read:
                // its server-sig-algs decides how an RSA key signs.
                if transport.peerOffersExtensionInfo {
                    awaitingExtensionInfo = true
                } else {
                    try sendPipelinedAuthentication(output: &out)
                }
            }
        case .extensionInfo(let extensions):
            if let algorithms = extensions["server-sig-algs"] {
                auth.setServerSignatureAlgorithms(String(decoding: algorithms, as: UTF8.self).split(separator: ",").map(String.init))
            }
            if awaitingExtensionInfo {
                awaitingExtensionInfo = false
                try sendPipelinedAuthentication(output: &out)
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
                if number == MessageNumber.serviceAccept.rawValue { awaitingExtensionInfo = false }
                guard !isAuthenticated, let sessionID = transport.sessionID else {
                    throw SSHError(.protocolError, "authentication message \(number) after authentication")
                }
                try perform(auth.receive(Array(payload.readableBytesView), sessionID: sessionID), output: &out)
            } else {
                throw SSHError(.protocolError, "unexpected message \(number) from the server")
            }
        }
    }

    /// Sends the first authentication request ahead of SERVICE_ACCEPT (see
    /// `UserAuthClient.pipelinedFirstRequest`).
    private mutating func sendPipelinedAuthentication(output out: inout ByteBuffer) throws {
        guard let sessionID = transport.sessionID,
              let step = try auth.pipelinedFirstRequest(sessionID: sessionID) else { return }
        try perform(step, output: &out)
    }

    /// Carries out what the authentication layer asked for.
    private mutating func perform(_ step: UserAuthClient.Step, output out: inout ByteBuffer) throws {
        switch step {
        case .send(let payloads):
            for p in payloads { try transport.sendPayload(into: &out) { $0.writeBytes(p) } }
        case .sendSecret(let secret):
            try secret.withUnsafeBytes { bytes in try transport.sendPayload(into: &out) { $0.writeBytes(bytes) } }
        case .banner(let text):
            events.append(.banner(text))
        case .prompt(let prompt):
            events.append(.authenticationPrompt(prompt))
        case .succeeded:
            isAuthenticated = true
            try transport.authenticationSucceeded()
            events.append(.authenticated)
        }
    }
}
