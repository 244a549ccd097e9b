import NIOCore

/// How a remote command ended.
public enum RemoteExit: Sendable, Equatable {
    /// The command exited with this status.
    case status(UInt32)
    /// The command was killed by a signal (name without "SIG").
    case signal(String, coreDumped: Bool, message: String)
    /// The channel closed without an exit status or signal.
    case unknown
}

/// SessionChannel is one session channel's state on the event loop: where its
/// output goes, and the promises the async API waits on. Output handlers run
/// on the event loop, once per data packet, with a slice of the packet; what
/// they return (after writing the bytes away) is what reopens the window.
final class SessionChannel {
    let id: ChannelID
    let stdout: @Sendable (ByteBuffer) -> Void
    let stderr: @Sendable (ByteBuffer) -> Void
    /// True for byte streams: received data reopens the window only when the
    /// reader has taken it (`SSHChannelStream.read`), bounding what is buffered.
    let consumesOnRead: Bool
    /// Writers waiting for the peer's window to open.
    var writableWaiters: [EventLoopPromise<Void>] = []
    /// Called when the peer sends EOF (streams finish their reads).
    var onEOF: (@Sendable () -> Void)?
    let opened: EventLoopPromise<Void>
    let requestAnswered: EventLoopPromise<Void>
    let finished: EventLoopPromise<RemoteExit>
    var exit: RemoteExit = .unknown
    var requestName = ""
    var timeout: Scheduled<Void>?

    init(id: ChannelID, eventLoop: EventLoop, consumesOnRead: Bool = false,
         stdout: @escaping @Sendable (ByteBuffer) -> Void, stderr: @escaping @Sendable (ByteBuffer) -> Void) {
        self.id = id
        self.consumesOnRead = consumesOnRead
        self.stdout = stdout
        self.stderr = stderr
        opened = eventLoop.makePromise()
        requestAnswered = eventLoop.makePromise()
        finished = eventLoop.makePromise()
    }

    /// Fails every promise not yet fulfilled (connection lost, protocol error).
    func fail(_ error: Error) {
        timeout?.cancel()
        opened.fail(error)
        requestAnswered.fail(error)
        finished.fail(error)
        for waiter in writableWaiters { waiter.fail(error) }
        writableWaiters.removeAll()
    }
}
