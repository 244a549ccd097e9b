import NIOConcurrencyHelpers
import NIOCore

extension SSHClient {
    /// Runs `command` with no input: EOF goes out right behind the request,
    /// as with `ssh -n`. Its output streams to the handlers (called on the
    /// event loop, with a slice of each data packet), and it returns how the
    /// command ended.
    /// With a timeout the remote command is sent SIGTERM and its channel closed
    /// when time runs out, and `SSHError.timeout` is thrown.
    public func exec(_ command: String, timeout: Duration? = nil,
                     stdout: @escaping @Sendable (ByteBuffer) -> Void,
                     stderr: @escaping @Sendable (ByteBuffer) -> Void) async throws -> RemoteExit {
        try await execute(command, timeout: timeout, stdout: stdout, stderr: stderr, input: nil)
    }

    /// Runs `command` with `stdin` as its standard input, as `ssh host
    /// command` forwards its own: the chunks are sent in order, and EOF
    /// when the sequence ends.
    ///
    /// Flow control: a chunk is asked of `stdin` only while the server's
    /// window has room, so a command that reads slowly (or not at all) holds
    /// the producer back and at most one chunk waits here; with
    /// `FileDescriptorInput` nothing is read from the descriptor ahead of
    /// the window.
    ///
    /// The command's end is not tied to its input's: when the command exits
    /// first (`yes | … head -1`, or a command that never reads a terminal),
    /// `exec` returns its status at once, the task reading `stdin` is
    /// cancelled and nothing more is sent. If `stdin` throws, the command is
    /// sent SIGTERM, its channel closed, and `exec` throws that failure
    /// (rather than send EOF and let a truncated input pass for a whole one).
    /// Output and `timeout` work as in `exec(_:timeout:stdout:stderr:)`.
    public func exec<Input: AsyncSequence & Sendable>(
        _ command: String, stdin: Input, timeout: Duration? = nil,
        stdout: @escaping @Sendable (ByteBuffer) -> Void,
        stderr: @escaping @Sendable (ByteBuffer) -> Void
    ) async throws -> RemoteExit where Input.Element == ByteBuffer {
        try await execute(command, timeout: timeout, stdout: stdout, stderr: stderr) { forwarder in
            await forwarder.forward(stdin)
        }
    }

    /// Runs `command` with no input and collects its output.
    public func exec(_ command: String, timeout: Duration? = nil) async throws -> (stdout: [UInt8], stderr: [UInt8], exit: RemoteExit) {
        let out = NIOLockedValueBox<[UInt8]>([])
        let err = NIOLockedValueBox<[UInt8]>([])
        let exit = try await exec(command, timeout: timeout,
                                  stdout: { b in out.withLockedValue { $0.append(contentsOf: b.readableBytesView) } },
                                  stderr: { b in err.withLockedValue { $0.append(contentsOf: b.readableBytesView) } })
        return (out.withLockedValue { $0 }, err.withLockedValue { $0 }, exit)
    }

    /// Opens a session, sends the exec request and waits for the channel to
    /// close. Without `input`, EOF is queued behind the request; with it,
    /// `input` runs in a task of its own once the server accepted the
    /// request, and is cut off (`ExecInputForwarder.stop`) before returning.
    private func execute(_ command: String, timeout: Duration?,
                         stdout: @escaping @Sendable (ByteBuffer) -> Void,
                         stderr: @escaping @Sendable (ByteBuffer) -> Void,
                         input: (@Sendable (ExecInputForwarder) async -> Void)?) async throws -> RemoteExit {
        let eventLoop = channel.eventLoop
        let handler = self.handler
        let session = try await eventLoop.submit { () -> NIOLoopBound<SessionChannel> in
            let id = try handler.value.command { try $0.openSession() }
            let session = SessionChannel(id: id, eventLoop: eventLoop, stdout: stdout, stderr: stderr)
            handler.value.register(session)
            return NIOLoopBound(session, eventLoop: eventLoop)
        }.get()
        try await eventLoop.flatSubmit { session.value.opened.futureResult }.get()
        let sendsInput = input != nil
        try await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            do {
                try handler.value.command { mux in
                    try mux.sendRequest(.exec(command: command), wantReply: true, on: session.value.id)
                    if !sendsInput { try mux.sendEOF(on: session.value.id) }
                }
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
            if let timeout {
                session.value.timeout = eventLoop.scheduleTask(in: Self.timeAmount(timeout)) {
                    let error = SSHError(.timeout, "command timed out after \(timeout); sent SIGTERM and closed its channel")
                    _ = try? handler.value.command { mux in
                        try? mux.sendRequest(.signal(name: "TERM"), wantReply: false, on: session.value.id)
                        try mux.close(session.value.id)
                    }
                    session.value.fail(error)
                }
            }
            return session.value.requestAnswered.futureResult
        }.get()
        var forwarder: ExecInputForwarder?
        var pump: Task<Void, Never>?
        if let input {
            let started = ExecInputForwarder(session: session, handler: handler, eventLoop: eventLoop)
            forwarder = started
            pump = Task { await input(started) }
        }
        defer {
            forwarder?.stop()
            pump?.cancel()
        }
        // Cancelling the task ends the command as a timeout does: SIGTERM,
        // the channel closed, and CancellationError thrown.
        return try await withTaskCancellationHandler {
            try await eventLoop.flatSubmit { session.value.finished.futureResult }.get()
        } onCancel: {
            eventLoop.execute {
                _ = try? handler.value.command { mux in
                    try? mux.sendRequest(.signal(name: "TERM"), wantReply: false, on: session.value.id)
                    try mux.close(session.value.id)
                }
                session.value.fail(CancellationError())
            }
        }
    }
}
