import ByteStreams
import NIOConcurrencyHelpers
import NIOCore

/// SSHChannelStream is a channel used as a byte stream: a subsystem such as
/// sftp, or a direct-tcpip connection. Reads hand out what the server sent, in
/// order; the window reopens only as the reader takes data, so what is
/// buffered stays bounded by the window. Writes wait while more than
/// `writeQueueLimit` bytes wait for the server's window.
public final class SSHChannelStream: Sendable {
    /// Bytes that may wait for the peer's window before `write` waits too.
    public static let writeQueueLimit = 1 << 20

    let id: ChannelID
    private let eventLoop: EventLoop
    private let handler: NIOLoopBound<SSHClientHandler>
    private let buffer: NIOLoopBound<StreamBuffer>
    private let lifetime: ClientLifetime
    /// From CHANNEL_OPEN sent to its confirmation: one round trip of the
    /// connection, with next to no server work in it (a server allocates a
    /// channel; it starts nothing until a request comes). A transfer can
    /// size itself from it before any protocol on the channel answers.
    public let openRoundTrip: Duration

    init(id: ChannelID, eventLoop: EventLoop, handler: NIOLoopBound<SSHClientHandler>, buffer: NIOLoopBound<StreamBuffer>,
         lifetime: ClientLifetime, openRoundTrip: Duration) {
        self.id = id
        self.eventLoop = eventLoop
        self.handler = handler
        self.buffer = buffer
        self.lifetime = lifetime
        self.openRoundTrip = openRoundTrip
    }

    /// The next bytes from the server, or nil once it sent EOF or closed
    /// (or the client was closed: its event loop is gone).
    ///
    /// Called on the channel's event loop (an SFTP session's reader runs
    /// there) with bytes already waiting, it takes them without a hop or a
    /// future: no allocation per read.
    public func read() async throws -> ByteBuffer? {
        guard !lifetime.isClosed else { return nil }
        let (id, handler, buffer, eventLoop) = (self.id, self.handler, self.buffer, self.eventLoop)
        if eventLoop.inEventLoop, let ready = try buffer.value.ready() {
            if let chunk = ready {
                _ = try? handler.value.command { $0.consumed(chunk.readableBytes, on: id) }
            }
            return ready
        }
        return try await eventLoop.flatSubmit { () -> EventLoopFuture<ByteBuffer?> in
            let future = buffer.value.next(eventLoop: eventLoop)
            return future.map { chunk in
                if let chunk {
                    _ = try? handler.value.command { $0.consumed(chunk.readableBytes, on: id) }
                }
                return chunk
            }
        }.get()
    }

    /// Sends `data`, waiting while the server's window holds back too much.
    /// On the channel's event loop (an SFTP session's writer runs there)
    /// the data is queued at once, without a hop or a future.
    public func write(_ data: ByteBuffer) async throws {
        guard !lifetime.isClosed else { throw SSHError(.connectionClosed, "the connection is closed") }
        let (id, handler, eventLoop) = (self.id, self.handler, self.eventLoop)
        if eventLoop.inEventLoop {
            let queued = try handler.value.command { mux -> Int in
                _ = try mux.sendData(data, on: id)
                return mux.queuedBytes(on: id)
            }
            if queued > Self.writeQueueLimit { try await handler.value.waitForWindow(id, eventLoop: eventLoop).get() }
            return
        }
        try await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            do {
                let queued = try handler.value.command { mux -> Int in
                    _ = try mux.sendData(data, on: id)
                    return mux.queuedBytes(on: id)
                }
                guard queued > Self.writeQueueLimit else { return eventLoop.makeSucceededVoidFuture() }
                return handler.value.waitForWindow(id, eventLoop: eventLoop)
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }.get()
    }

    /// Sends EOF: we will write no more (the server may still send).
    public func closeWrite() async throws {
        guard !lifetime.isClosed else { return }
        let (id, handler) = (self.id, self.handler)
        try await eventLoop.submit { try handler.value.command { try $0.sendEOF(on: id) } }.get()
    }

    /// Closes the channel in both directions. A read waiting for the
    /// server ends at once (as at the end of the stream, after what had
    /// already arrived): a server whose command still runs answers the
    /// close only when the command exits, which a stalled one may never do.
    public func close() async {
        guard !lifetime.isClosed else { return }
        let (id, handler, buffer) = (self.id, self.handler, self.buffer)
        try? await eventLoop.submit {
            defer { buffer.value.finish() }
            try handler.value.command { try $0.close(id) }
        }.get()
    }
}

/// Whether an `SSHClient` was closed, shared with its streams: after close
/// its event loop is shut down, so late calls (an SFTP session's reader
/// finishing) must not schedule work on it.
final class ClientLifetime: Sendable {
    private let closed = NIOLockedValueBox(false)
    var isClosed: Bool { closed.withLockedValue { $0 } }
    func markClosed() { closed.withLockedValue { $0 = true } }
}

/// What a stream channel received and nobody read yet, on the event loop.
///
/// Arriving data is copied into one pending buffer and a read takes all of it:
/// a slice of the decrypted packet must not be kept by a reader that runs
/// later (it would pin the transport's input buffer and force a copy of it at
/// the next in-place decryption). A waiting reader is not woken per packet:
/// the wake-up is scheduled once, after the packets of the current socket
/// read have all been appended, so one buffer carries them all (one
/// allocation and one hop per read from the socket, not per packet, and
/// fewer SFTP replies split across buffers). The buffers come from a
/// `BufferRecycler`: one whose reader has let go of every slice is used
/// again, so its pages stay mapped (a new one per read page-faulted its
/// way through most of a download's system time).
final class StreamBuffer {
    /// Buffers kept for reuse: a reader holds one or two (the one it
    /// decodes, a reply being written from the one before). One that grew
    /// past 1 MiB while the reader lagged is let go.
    static let recycledBuffers = 4
    private let eventLoop: EventLoop
    private var recycler = BufferRecycler(limit: StreamBuffer.recycledBuffers, maximumCapacity: 1 << 20)
    private var pending: ByteBuffer?
    private var finished = false
    private var error: Error?
    private var waiter: EventLoopPromise<ByteBuffer?>?
    private var deliveryScheduled = false

    init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    /// Buffers kept for reuse, free or still read (for tests).
    var keptBuffers: Int { recycler.keptCount }

    func append(_ chunk: ByteBuffer) {
        // After the end (ours, by close, or the server's) nothing more is read.
        guard chunk.readableBytes > 0, !finished else { return }
        if pending == nil {
            pending = recycler.buffer(capacity: max(chunk.readableBytes, 256 * 1024))
        }
        pending?.writeImmutableBuffer(chunk)
        if waiter != nil && !deliveryScheduled {
            deliveryScheduled = true
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            eventLoop.execute { bound.value.deliver() }
        }
    }

    private func deliver() {
        deliveryScheduled = false
        guard let waiter, let chunk = takePending() else { return }
        self.waiter = nil
        waiter.succeed(chunk)
    }

    /// The bytes waiting, handed to the reader: the recycler keeps a
    /// reference, to reuse the buffer once the reader is done with it.
    private func takePending() -> ByteBuffer? {
        guard let chunk = pending else { return nil }
        pending = nil
        recycler.keep(chunk)
        return chunk
    }

    func finish(_ error: Error? = nil) {
        guard !finished else { return }
        finished = true
        self.error = error
        if let waiter {
            self.waiter = nil
            if let chunk = takePending() {
                // What arrived before the end is still delivered first.
                waiter.succeed(chunk)
            } else if let error {
                waiter.fail(error)
            } else {
                waiter.succeed(nil)
            }
        }
    }

    /// What `next` would give at once, without a future: `.some(chunk)`
    /// when bytes are waiting, `.some(nil)` at the end, nil when a reader
    /// would have to wait. Throws the error that ended the channel.
    func ready() throws -> ByteBuffer?? {
        if let chunk = takePending() {
            return .some(chunk)
        }
        if finished {
            if let error { throw error }
            return .some(nil)
        }
        return nil
    }

    func next(eventLoop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        if let chunk = takePending() {
            return eventLoop.makeSucceededFuture(chunk)
        }
        if finished {
            if let error { return eventLoop.makeFailedFuture(error) }
            return eventLoop.makeSucceededFuture(nil)
        }
        if waiter != nil {
            return eventLoop.makeFailedFuture(SSHError(.channelFailure, "concurrent reads on one channel stream"))
        }
        let promise = eventLoop.makePromise(of: ByteBuffer?.self)
        waiter = promise
        return promise.futureResult
    }
}
