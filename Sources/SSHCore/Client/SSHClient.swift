#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import Logging
import NIOPosix
import SSHCrypto

/// SSHClient is an authenticated SSH connection with an async/await API:
/// run commands, open subsystems, close. Every operation has a timeout.
///
/// Protocol work happens on the connection's event loop; output handlers are
/// called there too, once per data packet, so the data path has no thread or
/// actor hop per packet.
public final class SSHClient: Sendable {
    /// Everything needed to connect and authenticate.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var user: String
        public var credentials: [UserAuthClient.Credential]
        public var transport: TransportConfiguration
        public var connectTimeout: Duration
        /// ProxyCommand with its tokens already expanded: the connection runs
        /// over this command's stdin and stdout instead of TCP to host:port.
        public var proxyCommand: String?
        /// ServerAliveInterval: probe a silent server this often; nil for never.
        public var serverAliveInterval: Duration?
        /// ServerAliveCountMax: unanswered probes before giving up.
        public var serverAliveCountMax = 3
        /// AddressFamily: the IP versions TCP may connect over (not used
        /// with a proxy command, which makes its own connection).
        public var addressFamily = AddressFamily.any
        /// Decides whether the server's host key is trusted; throw to refuse.
        public var verifyHostKey: @Sendable (SSHPublicKey) async throws -> Void
        /// Called with server banners and debug messages meant for display.
        public var onMessage: @Sendable (String) -> Void
        /// Method order and switches (PreferredAuthentications, BatchMode…).
        /// `canPrompt` is set from `answerPrompt`; an empty `host` becomes `host`.
        public var authentication = AuthenticationPolicy()
        /// Answers password and keyboard-interactive prompts; nil: nobody to ask.
        public var answerPrompt: AuthenticationPromptHandler?
        /// A connected stream socket (or socketpair end) to run the
        /// connection over instead of TCP to host:port; the connection owns
        /// and closes it. An in-process jump host hands one end of a
        /// socketpair relayed through its direct-tcpip channel here.
        public var socketDescriptor: Int32?
        /// Called once when the connection has ended, however it ended
        /// (closed, failed, or never made): what the route holds open for
        /// it (a jump host's connection) is released here.
        public var onClosed: (@Sendable () async -> Void)?
        /// Where protocol events go: the algorithms agreed, authentication,
        /// keepalive failures, the reason a connection ended (swift-log;
        /// `debug` for what `ssh -v` prints). Silent by default.
        public var logger = Logger(label: "ferry.ssh", factory: { _ in SwiftLogNoOpLogHandler() })

        public init(host: String, port: Int = 22, user: String, credentials: [UserAuthClient.Credential],
                    transport: TransportConfiguration, connectTimeout: Duration = .seconds(30),
                    verifyHostKey: @escaping @Sendable (SSHPublicKey) async throws -> Void,
                    onMessage: @escaping @Sendable (String) -> Void = { _ in }) {
            self.verifyHostKey = verifyHostKey
            self.host = host
            self.port = port
            self.user = user
            self.credentials = credentials
            self.transport = transport
            self.connectTimeout = connectTimeout
            self.onMessage = onMessage
        }
    }

    let channel: Channel
    let handler: NIOLoopBound<SSHClientHandler>
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let lifetime = ClientLifetime()
    /// Runs tasks on this connection's event loop (see `EventLoopTaskExecutor`).
    public let taskExecutor: EventLoopTaskExecutor

    private init(channel: Channel, handler: NIOLoopBound<SSHClientHandler>, ownedGroup: MultiThreadedEventLoopGroup?) {
        self.channel = channel
        self.handler = handler
        self.ownedGroup = ownedGroup
        self.taskExecutor = EventLoopTaskExecutor(channel.eventLoop)
    }

    /// Connects, verifies the server and authenticates; `timeout` covers all three.
    ///
    /// Cancelling the task ends the attempt at once, whatever stage it is
    /// in (TCP connect, a server that never speaks, key exchange,
    /// authentication): the socket is closed and `CancellationError` thrown.
    public static func connect(_ configuration: Configuration, eventLoopGroup: EventLoopGroup? = nil) async throws -> SSHClient {
        let attempt = ConnectAttempt()
        return try await withTaskCancellationHandler {
            try await connect(configuration, eventLoopGroup: eventLoopGroup, attempt: attempt)
        } onCancel: {
            attempt.cancel()
        }
    }

    private static func connect(_ configuration: Configuration, eventLoopGroup: EventLoopGroup?,
                                attempt: ConnectAttempt) async throws -> SSHClient {
        let owned = eventLoopGroup == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        guard let group = eventLoopGroup ?? owned else { throw SSHError(.io, "no event loop") }
        do {
            let eventLoop = group.next()
            let startedAt = NIODeadline.now()
            let connectTimeout = Self.timeAmount(configuration.connectTimeout)
            let onMessage = configuration.onMessage
            let verify = configuration.verifyHostKey
            // The handler is handed out by the initializer itself: looking it
            // up in the pipeline afterwards races with a server that closes at
            // once, and would hide the real error behind "handler not found".
            let handlerPromise = eventLoop.makePromise(of: NIOLoopBound<SSHClientHandler>.self)
            let install: @Sendable (Channel) -> EventLoopFuture<Void> = { channel in
                    // Cancelled already: the bootstrap closes the channel.
                    guard attempt.attach(channel) else { return channel.eventLoop.makeFailedFuture(CancellationError()) }
                    return channel.eventLoop.makeCompletedFuture {
                        var policy = configuration.authentication
                        policy.canPrompt = configuration.answerPrompt != nil
                        if policy.host.isEmpty { policy.host = configuration.host }
                        let machine = ClientConnectionStateMachine(
                            transport: configuration.transport, user: configuration.user,
                            credentials: configuration.credentials, authentication: policy, allocator: channel.allocator)
                        let handler = SSHClientHandler(machine: machine, eventLoop: channel.eventLoop, verifyHostKey: verify,
                                                       onMessage: onMessage, logger: configuration.logger)
                        handler.answerPrompt = configuration.answerPrompt
                        if let alive = configuration.serverAliveInterval {
                            handler.serverAliveInterval = max(.nanoseconds(1), Self.timeAmount(alive))
                        }
                        handler.serverAliveCountMax = configuration.serverAliveCountMax
                        try channel.pipeline.syncOperations.addHandler(handler)
                        handlerPromise.succeed(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    }
                }
            let connecting: EventLoopFuture<Channel>
            let proxy = try configuration.proxyCommand.map { try ProxyCommandProcess(command: $0) }
            if let process = proxy {
                connecting = NIOPipeBootstrap(group: eventLoop)
                    .channelInitializer(install)
                    .takingOwnershipOfDescriptors(input: process.readDescriptor, output: process.writeDescriptor)
            } else if let descriptor = configuration.socketDescriptor {
                // Two descriptors, reading and writing, as NIO's pipe channel
                // wants; the dup is ours so that running out of descriptors
                // is an error here, not a trap in NIO's own dup.
                let output = dup(descriptor)
                guard output >= 0 else {
                    let reason = String(cString: strerror(errno))
                    Glibc.close(descriptor)
                    throw SSHError(.io, "connection socket: dup failed: \(reason)")
                }
                connecting = NIOPipeBootstrap(group: eventLoop)
                    .channelInitializer(install)
                    .takingOwnershipOfDescriptors(input: descriptor, output: output)
            } else {
                let resolver = configuration.addressFamily == .any ? nil
                    : AddressFamilyResolver(family: configuration.addressFamily, eventLoop: eventLoop)
                connecting = ClientBootstrap(group: eventLoop)
                    .resolver(resolver)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelOption(.socketOption(.so_keepalive), value: 1)
                    .connectTimeout(connectTimeout)
                    .channelInitializer(install)
                    .connect(host: configuration.host, port: configuration.port)
            }
            connecting.whenFailure { _ in proxy?.terminate() }
            if let onClosed = configuration.onClosed {
                connecting.whenComplete { result in
                    switch result {
                    case .success(let channel): channel.closeFuture.whenComplete { _ in Task { await onClosed() } }
                    case .failure: Task { await onClosed() }
                    }
                }
            }
            connecting.whenFailure { handlerPromise.fail($0) }
            let channel = try await connecting.get()
            if let proxy { channel.closeFuture.whenComplete { _ in proxy.terminate() } }
            let handler = try await handlerPromise.futureResult.get()
            // One deadline for the whole connect, counted from its start, so TCP
            // connect plus handshake cannot take twice the timeout.
            // Time spent waiting for a person (host key question, password,
            // passphrase) is not counted: the handler suspends the deadline then.
            let timeoutMessage = "timed out connecting to \(configuration.host) port \(configuration.port)"
            try await channel.eventLoop.submit {
                handler.value.armConnectDeadline(startedAt + connectTimeout, message: timeoutMessage)
            }.get()
            do {
                try await channel.eventLoop.flatSubmit { handler.value.authenticated.futureResult }.get()
            } catch {
                try? await channel.close()
                throw error
            }
            return SSHClient(channel: channel, handler: handler, ownedGroup: owned)
        } catch {
            try? await owned?.shutdownGracefully()
            // The closed socket was the cancellation's doing, not the server's.
            if attempt.isCancelled { throw CancellationError() }
            throw Self.translate(error, host: configuration.host, port: configuration.port)
        }
    }

    /// The event loop this connection's protocol work runs on: a relay or
    /// handler that works with its channels belongs there too.
    public var eventLoop: EventLoop { channel.eventLoop }

    /// The algorithms in force.
    public var negotiatedAlgorithms: NegotiatedAlgorithms? {
        get async { try? await channel.eventLoop.submit { [handler] in handler.value.negotiated }.get() }
    }

    /// The algorithms the server offered in its latest KEXINIT.
    public var serverAlgorithmOffer: AlgorithmOffer? {
        get async { try? await channel.eventLoop.submit { [handler] in handler.value.serverOffer }.get() }
    }

    /// Opens a subsystem (e.g. "sftp") as a byte stream; `timeout` covers
    /// the channel open and the server's answer to the request.
    /// `initialData` is queued right behind the request, before its answer:
    /// the server handles them in order, so a protocol whose client speaks
    /// first (SFTP's INIT) saves a round trip where the server's window
    /// allows data at once. (OpenSSH opens session channels with a zero
    /// window and opens it when the request succeeds; the data then goes
    /// with that WINDOW_ADJUST.) If the request is refused, the data is
    /// discarded with the channel.
    /// `receiveWindow`: the window granted from the start (see
    /// `ChannelMultiplexer.openChannel`); nil is the configured 2 MiB.
    public func openSubsystem(_ name: String, initialData: ByteBuffer? = nil, receiveWindow: UInt32? = nil,
                              timeout: Duration = .seconds(30)) async throws -> SSHChannelStream {
        try await openStream(request: .subsystem(name: name), initialData: initialData, timeout: timeout,
                             what: "subsystem \(name)") { try $0.openSession(receiveWindow: receiveWindow) }
    }

    /// Opens a direct-tcpip channel: the server connects to host:port and
    /// relays the bytes (what ProxyJump and `ssh -W` use).
    public func openDirectTCPIP(host: String, port: Int, originatorAddress: String = "127.0.0.1", originatorPort: Int = 0,
                                timeout: Duration = .seconds(30)) async throws -> SSHChannelStream {
        guard (1...65535).contains(port), (0...65535).contains(originatorPort) else {
            throw SSHError(.invalidConfiguration, "bad port for direct-tcpip")
        }
        return try await openStream(request: nil, timeout: timeout, what: "direct-tcpip to \(host):\(port)") {
            try $0.openDirectTCPIP(host: host, port: UInt32(port), originatorAddress: originatorAddress, originatorPort: UInt32(originatorPort))
        }
    }

    /// Opens a channel with `open`, sends `request` (when given) and waits
    /// for its answer; the channel's data becomes the stream, its extended
    /// data (stderr) goes to `stderr`.
    func openStream(request: ChannelRequestType?, initialData: ByteBuffer? = nil, timeout: Duration, what: String,
                    stderr: @escaping @Sendable (ByteBuffer) -> Void = { _ in },
                    open: @escaping @Sendable (inout ChannelMultiplexer) throws -> ChannelID) async throws -> SSHChannelStream {
        let eventLoop = channel.eventLoop
        let handler = self.handler
        let sent = ContinuousClock.now
        let (session, buffer) = try await eventLoop.submit { () -> (NIOLoopBound<SessionChannel>, NIOLoopBound<StreamBuffer>) in
            let id = try handler.value.command(open)
            let buffer = NIOLoopBound(StreamBuffer(eventLoop: eventLoop), eventLoop: eventLoop)
            let session = SessionChannel(id: id, eventLoop: eventLoop, consumesOnRead: true,
                                         stdout: { buffer.value.append($0) }, stderr: stderr)
            session.onEOF = { buffer.value.finish() }
            session.finished.futureResult.whenFailure { buffer.value.finish($0) }
            handler.value.register(session)
            return (NIOLoopBound(session, eventLoop: eventLoop), buffer)
        }.get()
        let deadline = eventLoop.scheduleTask(in: Self.timeAmount(timeout)) {
            let error = SSHError(.timeout, "\(what): no answer from the server within \(timeout)")
            _ = try? handler.value.command { try $0.close(session.value.id) }
            session.value.fail(error)
        }
        defer { deadline.cancel() }
        try await eventLoop.flatSubmit { session.value.opened.futureResult }.get()
        let openRoundTrip = sent.duration(to: .now)
        if let request {
            try await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
                do {
                    try handler.value.command { mux in
                        try mux.sendRequest(request, wantReply: true, on: session.value.id)
                        if let initialData { _ = try mux.sendData(initialData, on: session.value.id) }
                    }
                } catch {
                    return eventLoop.makeFailedFuture(error)
                }
                return session.value.requestAnswered.futureResult
            }.get()
        }
        let lifetime = self.lifetime
        return try await eventLoop.submit { SSHChannelStream(id: session.value.id, eventLoop: eventLoop, handler: handler, buffer: buffer, lifetime: lifetime,
                                                openRoundTrip: openRoundTrip) }.get()
    }

    /// A client released without `close()` still ends its connection: the
    /// socket (and a jump host's connection behind it) and the event loop
    /// thread this client started would otherwise live on with nobody to
    /// use them, as a library user who drops a connection after an error
    /// would find out only by running out of threads.
    deinit {
        guard !lifetime.isClosed else { return }
        let handler = self.handler
        let channel = self.channel
        let group = ownedGroup
        let retiring = taskExecutor
        // DISCONNECT is written, then the channel closed.
        channel.eventLoop.execute { handler.value.disconnect(description: "disconnected by user") }
        channel.closeFuture.whenComplete { _ in
            retiring.retire()
            // Not from one of the group's own threads, which NIO forbids.
            guard let group else { return }
            DispatchQueue.global().async { group.shutdownGracefully { _ in } }
        }
    }

    /// Disconnects and releases the connection. Closing a closed client
    /// does nothing (its event loop is gone by then).
    public func close() async {
        guard !lifetime.isClosed else { return }
        let handler = self.handler
        try? await channel.eventLoop.submit { handler.value.disconnect(description: "disconnected by user") }.get()
        try? await channel.closeFuture.get()
        lifetime.markClosed()
        taskExecutor.retire()
        try? await ownedGroup?.shutdownGracefully()
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        // Clamped: a user may ask for ConnectTimeout=9999999999w, which
        // overflows nanoseconds; anything that long means "no limit".
        let (nanos, overflow) = duration.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, nanos < Int64.max - 1_000_000_000 else { return .nanoseconds(Int64.max / 2) }
        return .nanoseconds(max(0, nanos + duration.components.attoseconds / 1_000_000_000))
    }

    /// Words a connection failure as ssh does ("connect to host h port p:
    /// Connection refused"), from the system error number where there is one.
    static func translate(_ error: Error, host: String, port: Int) -> Error {
        if error is SSHError { return error }
        var underlying: Error = error
        if let connect = error as? NIOConnectionError {
            if let first = connect.connectionErrors.first {
                underlying = first.error
            } else if let lookup = connect.dnsAError ?? connect.dnsAAAAError {
                // Neither lookup gave an address: ssh's "Could not resolve
                // hostname" line, never the resolver's type name.
                if let lookup = lookup as? SSHError { return lookup }
                if let unknown = lookup as? SocketAddressError.UnknownHost {
                    return AddressFamilyResolver.unresolved(host, reason: unknown.errorDescription)
                }
                underlying = lookup
            } else {
                return AddressFamilyResolver.unresolved(host, reason: "no address associated with hostname")
            }
        } else if let unknown = error as? SocketAddressError.UnknownHost {
            return AddressFamilyResolver.unresolved(host, reason: unknown.errorDescription)
        }
        if case ChannelError.connectTimeout = underlying {
            return SSHError(.timeout, "connect to host \(host) port \(port): Connection timed out")
        }
        let reason: String
        if let io = underlying as? IOError {
            reason = String(cString: strerror(io.errnoCode))
        } else {
            reason = "\(underlying)"
        }
        return SSHError(.io, "connect to host \(host) port \(port): \(reason)")
    }
}
