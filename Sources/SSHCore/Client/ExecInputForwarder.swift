import NIOConcurrencyHelpers
import NIOCore

/// ExecInputForwarder copies an exec's standard input into its channel:
/// wait until the peer's window has room, take one chunk from the input,
/// send it, and again; EOF when the input ends.
///
/// It runs in a task of its own, which `SSHClient.exec` abandons when the
/// command ends: `stop` closes the gate every event-loop submission goes
/// through, so nothing reaches the loop after `exec` returned (the client
/// may then be closed and its loop shut down), even when the input is still
/// busy producing a chunk and ignores cancellation.
final class ExecInputForwarder: Sendable {
    private let session: NIOLoopBound<SessionChannel>
    private let handler: NIOLoopBound<SSHClientHandler>
    private let eventLoop: EventLoop
    private let stopped = NIOLockedValueBox(false)

    init(session: NIOLoopBound<SessionChannel>, handler: NIOLoopBound<SSHClientHandler>, eventLoop: EventLoop) {
        self.session = session
        self.handler = handler
        self.eventLoop = eventLoop
    }

    /// Nothing more goes to the channel.
    func stop() {
        stopped.withLockedValue { $0 = true }
    }

    /// Sends `input` to the channel, then EOF. Ends quietly when the channel
    /// closes or the connection fails (`exec` reports those); a failing
    /// input stops the command (see `abort`).
    func forward<Input: AsyncSequence>(_ input: Input) async where Input.Element == ByteBuffer {
        let (session, handler, eventLoop) = (self.session, self.handler, self.eventLoop)
        var iterator = input.makeAsyncIterator()
        do {
            // OpenSSH opens a session's window only once the command runs;
            // the first read waits for that.
            guard let room = submit({ handler.value.waitForRoom(session.value.id, eventLoop: eventLoop) }) else { return }
            try await room.get()
            while true {
                let chunk: ByteBuffer?
                do {
                    chunk = try await iterator.next()
                } catch {
                    await abort(error)
                    return
                }
                guard let chunk else {
                    _ = submit {
                        eventLoop.makeCompletedFuture { try handler.value.command { try $0.sendEOF(on: session.value.id) } }
                    }
                    return
                }
                guard let sent = submit({ () -> EventLoopFuture<Void> in
                    do {
                        try handler.value.command { _ = try $0.sendData(chunk, on: session.value.id) }
                    } catch {
                        return eventLoop.makeFailedFuture(error)
                    }
                    return handler.value.waitForRoom(session.value.id, eventLoop: eventLoop)
                }) else { return }
                try await sent.get()
            }
        } catch {
            return  // the channel closed or the connection failed: exec says how
        }
    }

    /// The input failed: SIGTERM to the command, close its channel, and fail
    /// `exec` with the input's error.
    private func abort(_ error: Error) async {
        let failure = error as? SSHError ?? SSHError(.io, "the command's input failed: \(error)")
        let (session, handler, eventLoop) = (self.session, self.handler, self.eventLoop)
        let done = submit {
            eventLoop.makeCompletedFuture {
                _ = try? handler.value.command { mux in
                    try? mux.sendRequest(.signal(name: "TERM"), wantReply: false, on: session.value.id)
                    try mux.close(session.value.id)
                }
                session.value.fail(failure)
            }
        }
        _ = try? await done?.get()
    }

    /// Runs `body` on the event loop unless stopped; nil when stopped. The
    /// check and the hand-over to the loop happen under one lock, so `stop`
    /// cannot slip between them.
    private func submit<T: Sendable>(_ body: @escaping @Sendable () -> EventLoopFuture<T>) -> EventLoopFuture<T>? {
        stopped.withLockedValue { stopped in
            stopped ? nil : eventLoop.flatSubmit(body)
        }
    }
}
