import ByteStreams
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif
import SSHCrypto

/// SSHClientHandler is the NIO edge of a client connection: it feeds bytes to
/// the sans-I/O `ClientConnectionStateMachine`, writes what it produces, and
/// routes channel events to the `SessionChannel` they belong to. It runs on
/// one event loop and does no protocol work of its own.
final class SSHClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: ClientConnectionStateMachine
    private var context: ChannelHandlerContext?
    /// Every packet is sealed into this one buffer and written from it, so
    /// bytes reach the socket in sequence-number order even when a callback
    /// (a reader taking data, a writer woken by the window) sends from inside
    /// the processing of received packets.
    private var output = ByteBuffer()
    /// Written buffers, reused once the socket is done with them: an upload
    /// fills megabytes of them a second, and new ones were page-faulted in.
    /// One that grew past 4 MiB (a burst of queued data) is let go.
    private var written = BufferRecycler(limit: 4, maximumCapacity: 4 << 20)
    private var sessions: [ChannelID: SessionChannel] = [:]
    private(set) var failure: Error?
    /// True while `dispatchEvents` runs: a callback that re-enters through
    /// `command` leaves the remaining events to the loop already running.
    private var dispatching = false
    /// Set by `disconnect`: the end that follows is ours, not a failure
    /// (the debug log says so; `failure` still records how it ended).
    private var disconnecting = false
    let authenticated: EventLoopPromise<Void>
    /// Called with banners and displayed debug messages (stderr in the CLI).
    let onMessage: @Sendable (String) -> Void
    /// Decides whether the server's host key is trusted (known_hosts, prompts).
    let verifyHostKey: @Sendable (SSHPublicKey) async throws -> Void
    /// Answers password and keyboard-interactive prompts; nil: nobody to ask.
    var answerPrompt: AuthenticationPromptHandler?
    private(set) var negotiated: NegotiatedAlgorithms?
    /// What the server listed in its latest KEXINIT.
    var serverOffer: AlgorithmOffer? { machine.transport.peerOffer }
    /// ServerAliveInterval / ServerAliveCountMax, as ssh_config(5) defines them.
    var serverAliveInterval: TimeAmount?
    var serverAliveCountMax = 3
    private var unansweredKeepalives = 0
    private var receivedSinceLastCheck = false
    private var keepaliveTask: RepeatedTask?
    /// The connect deadline (TCP connect through authentication), stopped
    /// while a person is asked something (see `ConnectDeadline`).
    private var connectClock = ConnectDeadline()
    private var connectDeadlineMessage = ""
    private var connectDeadlineTask: Scheduled<Void>?

    /// Protocol events for the library user's logging backend.
    let logger: Logger

    init(machine: ClientConnectionStateMachine, eventLoop: EventLoop,
         verifyHostKey: @escaping @Sendable (SSHPublicKey) async throws -> Void,
         onMessage: @escaping @Sendable (String) -> Void,
         logger: Logger = Logger(label: "ferry.ssh", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.logger = logger
        self.machine = machine
        self.authenticated = eventLoop.makePromise()
        self.verifyHostKey = verifyHostKey
        self.onMessage = onMessage
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        output = written.buffer(capacity: 64 * 1024)
    }

    /// Lets go of the context when the closed channel's pipeline removes
    /// this handler. The context holds the handler, so keeping it made a
    /// cycle that outlived every connection: the channel, its buffers and
    /// its event loop (about half a MiB each under AddressSanitizer's
    /// count) stayed allocated after `close()`.
    ///
    /// Whatever still waits on this connection learns that it ended (a
    /// connect that failed before the channel was active never saw
    /// `channelInactive`): an unfulfilled promise may not outlive its
    /// handler, which is now freed.
    func handlerRemoved(context: ChannelHandlerContext) {
        endWaiters(failure ?? SSHError(.connectionClosed, "the connection to the server was closed"))
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        do {
            try machine.start(into: &output)
            flush()
        } catch {
            fail(error, context: context)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After a fatal error the connection is being closed: read no further.
        guard failure == nil else { return }
        var bytes = unwrapInboundIn(data)
        receivedSinceLastCheck = true
        machine.receive(&bytes)
        do {
            try dispatchEvents()
        } catch {
            fail(error, context: context)
            return
        }
        flush()
    }

    /// Writes everything sealed so far.
    private func flush() {
        guard let context, output.readableBytes > 0 else { return }
        let chunk = output
        written.keep(chunk)
        output = written.buffer(capacity: 64 * 1024)
        context.writeAndFlush(wrapOutboundOut(chunk), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(failure ?? SSHError(.connectionClosed, "the connection to the server was closed"), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
            fail(SSHError(.connectionClosed, "the connection was reset by the server"), context: context)
        } else {
            fail(SSHError(.io, "connection error: \(error)"), context: context)
        }
    }

    /// Runs a multiplexer command on the event loop and sends what it queued.
    func command<R>(_ body: (inout ChannelMultiplexer) throws -> R) throws -> R {
        guard context != nil else { throw SSHError(.connectionClosed, "the connection is not open") }
        if let failure { throw failure }
        let result = try machine.withMultiplexer(output: &output, body)
        try dispatchEvents()
        flush()
        return result
    }

    func register(_ session: SessionChannel) {
        sessions[session.id] = session
    }

    /// Closes the connection politely (DISCONNECT by application).
    func disconnect(description: String) {
        guard let context else { return }
        disconnecting = true
        machine.writeDisconnect(reason: .byApplication, description: description, into: &output)
        let chunk = output
        output = context.channel.allocator.buffer(capacity: 0)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(chunk)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Handles events until more input is needed. Callbacks run from here may
    /// re-enter `command`; each machine call is a short exclusive access, so
    /// that is safe, and output order is kept by the shared buffer. They do
    /// not dispatch events themselves: a nested loop would decrypt the next
    /// packet in place while the outer one still holds a slice of the
    /// previous one, and copy-on-write would then copy the whole input
    /// buffer (9% of a download's CPU before this guard).
    private func dispatchEvents() throws {
        guard !dispatching else { return }
        dispatching = true
        defer { dispatching = false }
        while let event = try machine.nextEvent(output: &output) {
            switch event {
            case .hostKeyNeedsVerification(let key):
                startHostKeyVerification(key)
            case .keysEstablished(let algorithms):
                if negotiated == nil {
                    logger.debug("keys established", metadata: ["kex": "\(algorithms.keyExchange.rawValue)",
                                                                 "hostkey": "\(algorithms.hostKey.rawValue)",
                                                                 "cipher": "\(algorithms.cipherServerToClient.rawValue)"])
                } else {
                    logger.debug("rekeyed", metadata: ["kex": "\(algorithms.keyExchange.rawValue)"])
                }
                negotiated = algorithms
            case .banner(let text), .debug(let text):
                onMessage(text)
            case .authenticationPrompt(let prompt):
                startAuthenticationPrompt(prompt)
            case .authenticated:
                logger.debug("authenticated")
                apply(connectClock.authenticationFinished())
                authenticated.succeed(())
                startKeepalives()
            case .channel(let channelEvent):
                try route(channelEvent)
            }
        }
    }

    /// Fails the connection at `deadline` unless authentication finished
    /// first (see `ConnectDeadline` for the orders this can come in).
    func armConnectDeadline(_ deadline: NIODeadline, message: String) {
        connectDeadlineMessage = message
        apply(connectClock.arm(deadline, now: .now()))
    }

    /// Does what the connect clock decided.
    private func apply(_ action: ConnectDeadline.Action) {
        switch action {
        case .none:
            return
        case .cancel:
            connectDeadlineTask?.cancel()
            connectDeadlineTask = nil
        case .schedule(let at):
            guard let context else { return }
            connectDeadlineTask?.cancel()
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let message = connectDeadlineMessage
            connectDeadlineTask = context.eventLoop.scheduleTask(deadline: at) {
                guard let context = bound.value.context else { return }
                bound.value.fail(SSHError(.timeout, message), context: context)
            }
        }
    }

    /// Stops the connect clock while a person is asked something.
    private func suspendConnectDeadline() {
        apply(connectClock.suspend(now: .now()))
    }

    /// Restarts the connect clock with the time that was left.
    private func resumeConnectDeadline() {
        apply(connectClock.resume(now: .now()))
    }

    /// Sends keepalive@openssh.com when the server has been silent for an
    /// interval, and gives up after `serverAliveCountMax` unanswered ones, so a
    /// dead peer is detected instead of waited on forever.
    private func startKeepalives() {
        guard let interval = serverAliveInterval, let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        keepaliveTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.keepaliveTick()
        }
    }

    private func keepaliveTick() {
        guard let context else { return }
        if receivedSinceLastCheck {
            receivedSinceLastCheck = false
            unansweredKeepalives = 0
            return
        }
        unansweredKeepalives += 1
        if unansweredKeepalives > serverAliveCountMax {
            fail(SSHError(.timeout, "Timeout, server not responding (\(serverAliveCountMax) keepalives unanswered)"), context: context)
            return
        }
        _ = try? command { try $0.sendKeepalive() }
    }

    /// Completes when `channel` may send more data (the peer opened its window).
    func waitForWindow(_ id: ChannelID, eventLoop: EventLoop) -> EventLoopFuture<Void> {
        guard let session = sessions[id] else {
            return eventLoop.makeFailedFuture(failure ?? SSHError(.channelFailure, "the channel is closed"))
        }
        let promise = eventLoop.makePromise(of: Void.self)
        session.writableWaiters.append(promise)
        return promise.futureResult
    }

    /// Completes once `channel` can take data without queueing it: at once
    /// when the peer's window has room, else when a WINDOW_ADJUST makes some.
    func waitForRoom(_ id: ChannelID, eventLoop: EventLoop) -> EventLoopFuture<Void> {
        do {
            if try command({ $0.writableBytes(on: id) }) > 0 { return eventLoop.makeSucceededVoidFuture() }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return waitForWindow(id, eventLoop: eventLoop)
    }

    /// Runs the (possibly interactive) verification off the event loop and
    /// resumes the handshake on it.
    private func startHostKeyVerification(_ key: SSHPublicKey) {
        guard let context else { return }
        suspendConnectDeadline()  // known_hosts may ask the user
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let verify = verifyHostKey
        Task {
            do {
                try await verify(key)
                loop.execute { bound.value.resumeAfterHostKey(nil) }
            } catch {
                loop.execute { bound.value.resumeAfterHostKey(error) }
            }
        }
    }

    private func resumeAfterHostKey(_ error: Error?) {
        guard let context else { return }
        resumeConnectDeadline()
        if let error {
            fail(error, context: context)
            return
        }
        do {
            try machine.hostKeyAccepted(output: &output)
            try dispatchEvents()
        } catch {
            fail(error, context: context)
            return
        }
        flush()
    }

    /// Asks for authentication answers off the event loop (a terminal read
    /// or askpass blocks) and resumes authentication on it with them.
    private func startAuthenticationPrompt(_ prompt: AuthenticationPrompt) {
        guard let context else { return }
        suspendConnectDeadline()
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let ask = answerPrompt
        Task {
            do {
                let answers = try await ask?(prompt)
                loop.execute { bound.value.resumeAfterPrompt(.success(answers)) }
            } catch {
                loop.execute { bound.value.resumeAfterPrompt(.failure(error)) }
            }
        }
    }

    private func resumeAfterPrompt(_ result: Result<[SecureBytes]?, Error>) {
        guard let context, failure == nil else { return }
        resumeConnectDeadline()
        do {
            try machine.answerAuthenticationPrompt(result.get(), output: &output)
            try dispatchEvents()
        } catch {
            fail(error, context: context)
            return
        }
        flush()
    }

    private func route(_ event: ChannelMultiplexer.Event) throws {
        switch event {
        case .opened(let id, _, _):
            sessions[id]?.opened.succeed(())
        case .openFailed(let id, let reason, let description):
            sessions.removeValue(forKey: id)?.fail(SSHError(.channelFailure, "channel open failed: \(reason) \(terminalSafeText(description))"))
        case .data(let id, let data):
            guard let session = sessions[id] else { return }
            let count = data.readableBytes
            session.stdout(data)
            if !session.consumesOnRead {
                try machine.withMultiplexer(output: &output) { $0.consumed(count, on: id) }
            }
        case .extendedData(let id, _, let data):
            guard let session = sessions[id] else { return }
            let count = data.readableBytes
            session.stderr(data)
            try machine.withMultiplexer(output: &output) { $0.consumed(count, on: id) }
        case .exitStatus(let id, let status):
            sessions[id]?.exit = .status(status)
        case .exitSignal(let id, let signal):
            sessions[id]?.exit = .signal(terminalSafeText(signal.signalName), coreDumped: signal.coreDumped,
                                         message: terminalSafeText(signal.errorMessage))
        case .requestSucceeded(let id, _):
            sessions[id]?.requestAnswered.succeed(())
        case .requestFailed(let id, let request):
            sessions[id]?.requestAnswered.fail(SSHError(.channelFailure, "the server refused the \(request) request"))
        case .eof(let id):
            sessions[id]?.onEOF?()
        case .closed(let id):
            if let session = sessions.removeValue(forKey: id) {
                session.timeout?.cancel()
                session.onEOF?()
                for waiter in session.writableWaiters { waiter.fail(SSHError(.channelFailure, "the channel closed")) }
                session.writableWaiters.removeAll()
                session.finished.succeed(session.exit)
                session.requestAnswered.fail(SSHError(.channelFailure, "the channel closed before the server answered"))
            }
        case .windowAvailable(let id, _):
            if let session = sessions[id] {
                let waiters = session.writableWaiters
                session.writableWaiters.removeAll()
                for waiter in waiters { waiter.succeed(()) }
            }
        case .globalRequestAnswered:
            unansweredKeepalives = 0
        case .openRequested, .requestReceived:
            break
        case .unrecognizedMessage:
            break
        }
    }

    /// Stops the timers and fails whatever still waits on the connection
    /// (authentication, every session); a promise completed already is
    /// left as it is.
    private func endWaiters(_ reported: Error) {
        connectDeadlineTask?.cancel()
        keepaliveTask?.cancel()
        keepaliveTask = nil
        authenticated.fail(reported)
        for session in sessions.values { session.fail(reported) }
        sessions.removeAll()
    }

    private func fail(_ error: Error, context: ChannelHandlerContext) {
        if failure == nil {
            failure = error
            if disconnecting {
                logger.debug("connection closed by this client")
            } else {
                logger.debug("connection failed", metadata: ["error": "\(error)"])
            }
        }
        let reported = failure ?? error
        endWaiters(reported)
        if let sshError = reported as? SSHError, sshError.code == .protocolError || sshError.code == .integrityFailure {
            machine.writeDisconnect(reason: sshError.code == .integrityFailure ? .macError : .protocolError,
                                    description: sshError.message, into: &output)
        }
        flush()
        context.close(promise: nil)
    }
}
