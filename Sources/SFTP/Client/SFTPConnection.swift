import ByteStreams
import NIOCore
import Locking
import Synchronization

/// SFTPConnection matches requests and replies over one `ByteStream`: the
/// engine under `SFTPClient` and the pipelines.
///
/// Requests are written in the order `send` is called (ids are assigned and
/// the packet queued under one lock, and a single writer task drains the
/// queue), so a caller that issues reads in file order has them reach the
/// server in file order. Small requests are encoded straight into one run
/// buffer under that lock (`Batch`), reused once written, so a READ costs
/// no allocation of its own; a WRITE's data goes in a packet of its own.
/// The writer takes everything queued at once: with hundreds of small
/// files in flight, the OPENs, CLOSEs and RENAMEs that one event loop turn
/// produces go out as one channel write, one SSH packet and one system call
/// instead of one each. One reader task cuts replies from the stream and
/// completes each pending request by id, in whatever order they come.
///
/// Whoever waits for a reply is kept in the pending entry itself, with
/// nothing allocated per request: a task suspended in `request` (its
/// continuation), a pipeline's `SFTPReplyReceiver` with the range the
/// request covered, or, for the rare fire-and-forget request, a closure. A
/// reply for no pending request, an undecodable packet or the end of the
/// stream fails every pending request and every later one: after a protocol
/// error the two sides no longer agree about what is outstanding.
///
/// With a `requestTimeout`, a watchdog fails the session the same way when
/// the server sends nothing for that long while requests are outstanding
/// (a server whose SFTP side hangs while SSH keepalives still get answers).
/// Silence is measured over the whole session, not per request: in a
/// pipelined read most requests legitimately wait behind others, and any
/// bytes from the server show that it is working through them.
final class SFTPConnection: Sendable {
    /// Called once with the reply to a request, on the reader task: it must
    /// not block.
    typealias Completion = @Sendable (Result<SFTPReply, SFTPError>) -> Void

    /// Who gets a reply.
    private enum Waiter {
        /// A closure, called on the reader task.
        case completion(Completion)
        /// A task suspended in `request`.
        case continuation(UnsafeContinuation<SFTPReply, Error>)
        /// A pipeline, told which of its ranges the reply is for.
        case receiver(any SFTPReplyReceiver, PipelineRange)

        func resume(_ result: Result<SFTPReply, SFTPError>) {
            switch self {
            case .completion(let completion): completion(result)
            case .continuation(let continuation): continuation.resume(with: result)
            case .receiver(let receiver, let range): receiver.receive(range, result)
            }
        }
    }

    private struct Pending {
        let type: SFTPPacketType
        /// For READ: the most data the reply may carry.
        let maxData: Int
        let waiter: Waiter
    }

    /// One buffer for the writer: a run of small packets encoded into it
    /// back to back, or one big packet (a WRITE's data).
    private struct Outgoing {
        var buffer: ByteBuffer
        /// A run: more small packets may be appended, and once written it
        /// is given back as `State.spareRun`.
        let isRun: Bool
    }

    private struct State {
        var nextID: UInt32 = 0
        var pending: [UInt32: Pending] = [:]
        var failure: SFTPError?
        /// The watchdog's task, cancelled when the session fails.
        var watchdog: Task<Void, Never>?
        /// Packets sent and not yet taken by the writer, in order.
        var queued: [Outgoing] = []
        /// A run buffer the writer has written, kept for the next run (it
        /// is cleared when taken: if the stream still holds its bytes,
        /// clearing gives it fresh storage, as a new buffer would).
        var spareRun: ByteBuffer?
    }

    private let stream: any ByteStream
    private let state = Locked(State())
    /// Rung when `queued` stops being empty; ends when the session fails.
    private let outbound: AsyncStream<Void>.Continuation
    private let allocator = ByteBufferAllocator()
    /// How long the server may stay silent while requests are outstanding
    /// before the session fails; nil waits forever.
    let requestTimeout: Duration?
    /// When the server last showed progress (bytes arrived), or when the
    /// first of the requests now outstanding was sent if later, in
    /// `NIODeadline` uptime nanoseconds. One clock read and one atomic
    /// store per chunk read is all the watchdog costs on the data path
    /// (about 35 ns, measured; `ContinuousClock` with `Duration`
    /// arithmetic cost 90); no timer is scheduled per request. The clock
    /// stops while the machine sleeps, so a suspended laptop does not count
    /// as a silent server.
    private let lastProgress = Atomic<UInt64>(NIODeadline.now().uptimeNanoseconds)

    /// The server's VERSION: the protocol version and its extensions.
    let serverVersion: UInt32
    let extensions: [SFTPExtensionPair]

    /// Sends SSH_FXP_INIT, waits for SSH_FXP_VERSION, and starts the
    /// reader and writer tasks (and the watchdog, with a `requestTimeout`,
    /// which also bounds the wait for VERSION).
    ///
    /// `ahead`: requests sent right behind INIT, before VERSION arrives,
    /// with ids 0, 1, … in order (by the caller with INIT when `initSent`,
    /// else here); their completions get the replies. Only version 3 is
    /// accepted, so a request encoded before VERSION is never misread.
    static func start(over stream: any ByteStream, executor: (any TaskExecutor)? = nil,
                      initSent: Bool = false, ahead: [(SFTPRequest, Completion)] = [],
                      requestTimeout: Duration? = nil) async throws -> SFTPConnection {
        let aheadPackets = initSent ? nil : packets(ahead.map(\.0))
        let handshake: @Sendable () async throws -> Handshake = {
            try await exchangeVersions(over: stream, initSent: initSent, ahead: aheadPackets)
        }
        let (version, extensions, decoder): Handshake
        if let timeout = requestTimeout {
            (version, extensions, decoder) = try await withDeadline(timeout, executor: executor, expired: {
                SFTPError(.timedOut, "the SFTP server did not answer SSH_FXP_INIT within \(timeout.secondsText)")
            }, handshake)
        } else {
            (version, extensions, decoder) = try await handshake()
        }
        let connection = SFTPConnection(stream: stream, version: version, extensions: extensions,
                                        requestTimeout: requestTimeout)
        connection.state.withLock { state in
            for (id, (request, completion)) in ahead.enumerated() {
                state.pending[UInt32(id)] = Pending(type: request.type, maxData: 0, waiter: .completion(completion))
            }
            state.nextID = UInt32(ahead.count)
        }
        connection.startTasks(decoder: decoder, executor: executor)
        return connection
    }

    /// `requests` encoded with ids 0, 1, … (see `start`'s `ahead`).
    static func packets(_ requests: [SFTPRequest]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for (id, request) in requests.enumerated() {
            SFTPMessage.request(id: UInt32(id), request).encode(into: &buffer)
        }
        return buffer
    }

    /// The server's VERSION, and the decoder holding what followed it.
    private typealias Handshake = (UInt32, [SFTPExtensionPair], SFTPFrameDecoder)

    private static func exchangeVersions(over stream: any ByteStream, initSent: Bool, ahead: ByteBuffer?) async throws -> Handshake {
        if !initSent {
            var opening = SFTPClient.initPacket
            if var ahead { opening.writeBuffer(&ahead) }
            try await stream.write(opening)
        }
        var decoder = SFTPFrameDecoder()
        var first: ByteBuffer?
        while first == nil {
            guard let chunk = try await stream.read() else {
                throw SFTPError(.connectionClosed, "the SFTP server closed the stream before sending its version")
            }
            decoder.append(chunk)
            first = try decoder.next()
        }
        guard let body = first, case .version(let version, let extensions) = try SFTPMessage.decode(body) else {
            throw SFTPError(.unexpectedReply, "the SFTP server's first packet is not SSH_FXP_VERSION")
        }
        guard version == SFTPProtocol.version else {
            throw SFTPError(.unsupportedVersion, "the SFTP server speaks protocol version \(version); ferry speaks version 3")
        }
        return (version, extensions, decoder)
    }

    private init(stream: any ByteStream, version: UInt32, extensions: [SFTPExtensionPair], requestTimeout: Duration?) {
        self.stream = stream
        self.serverVersion = version
        self.extensions = extensions
        self.requestTimeout = requestTimeout
        (self.outboundStream, self.outbound) = AsyncStream.makeStream(of: Void.self)
    }

    private let outboundStream: AsyncStream<Void>

    /// `executor`: where the reader and writer run; the stream's own event
    /// loop (when it has one) saves a thread hop per chunk each way.
    private func startTasks(decoder: SFTPFrameDecoder, executor: (any TaskExecutor)?) {
        Task(executorPreference: executor) { await self.writeLoop() }
        Task(executorPreference: executor) { await self.readLoop(decoder: decoder) }
        guard let requestTimeout else { return }
        let watchdog = Task(executorPreference: executor) { await self.watch(requestTimeout) }
        // A session that failed already (its reader found the stream ended)
        // needs no watchdog; one failing later cancels it.
        let failed = state.withLock { state -> Bool in
            state.watchdog = watchdog
            return state.failure != nil
        }
        if failed { watchdog.cancel() }
    }

    /// Queues `request`; `completion` gets its reply or the error that
    /// ended the connection. `maxData` bounds a READ's DATA reply.
    func send(_ request: SFTPRequest, maxData: Int = 0, completion: @escaping Completion) {
        enqueue(request, maxData: maxData, waiter: .completion(completion))
    }

    /// Queues `request`; `receiver` gets its reply (or the error that ended
    /// the connection) together with `range`. Nothing is allocated for the
    /// request but, for a WRITE, its packet.
    func send(_ request: SFTPRequest, maxData: Int = 0, to receiver: some SFTPReplyReceiver, range: PipelineRange) {
        enqueue(request, maxData: maxData, waiter: .receiver(receiver, range))
    }

    /// Queues SSH_FXP_WRITE of `data` at `offset` for `receiver` (as
    /// `send(_:maxData:to:range:)`). When `data` has room for the header
    /// before its reader index (`WritePipeline.headroom`), the header is
    /// written there and the buffer is sent as it is: its bytes are not
    /// copied, and nothing is allocated (provided the caller handed over
    /// its only reference). Otherwise the data is copied into a packet.
    func sendWrite(handle: SFTPHandle, offset: UInt64, data: consuming ByteBuffer,
                   to receiver: some SFTPReplyReceiver, range: PipelineRange) {
        let count = data.readableBytes
        // uint32 length, byte type, uint32 id, string handle, uint64 offset, uint32 data length.
        let header = 4 + 1 + 4 + 4 + handle.bytes.count + 8 + 4
        // In place only in a buffer about the block's size: writing into
        // a shared buffer copies all of it (copy on write), which for a
        // view into a big buffer would cost far more than copying the block.
        guard count > Batch.ownPacket, data.readerIndex >= header, count <= Int(UInt32.max) - header,
              data.capacity - count <= Batch.inPlaceSlack else {
            enqueue(.write(handle: handle, offset: offset, data: data), maxData: 0, waiter: .receiver(receiver, range))
            return
        }
        data.moveReaderIndex(to: data.readerIndex - header)
        let start = data.readerIndex
        data.setInteger(UInt32(header - 4 + count), at: start)
        data.setInteger(SFTPPacketType.write.rawValue, at: start + 4)
        // The id (at start + 5) is set when it is assigned.
        data.setInteger(UInt32(handle.bytes.count), at: start + 9)
        data.setBytes(handle.bytes, at: start + 13)
        data.setInteger(offset, at: start + 13 + handle.bytes.count)
        data.setInteger(UInt32(count), at: start + 21 + handle.bytes.count)
        queue(packet: consume data, request: nil, type: .write, maxData: 0, waiter: .receiver(receiver, range))
    }

    /// Sends `request` and waits for its reply.
    func request(_ request: SFTPRequest, maxData: Int = 0) async throws -> SFTPReply {
        // Unsafe rather than checked: the checked one allocates a canary
        // per request. The continuation is resumed exactly once: by
        // `dispatch` with the reply, by `fail`, or at once by `enqueue`
        // when the session had already ended.
        try await withUnsafeThrowingContinuation { continuation in
            enqueue(request, maxData: maxData, waiter: .continuation(continuation))
        }
    }

    private func enqueue(_ request: SFTPRequest, maxData: Int, waiter: Waiter) {
        // A big WRITE's data is copied into a packet of its own, outside
        // the lock; every other request is encoded into the open run under it.
        if case .write(_, _, let data) = request, data.readableBytes > Batch.ownPacket {
            var packet = allocator.buffer(capacity: data.readableBytes + Batch.writeOverhead)
            SFTPMessage.request(id: 0, request).encode(into: &packet)
            queue(packet: consume packet, request: nil, type: .write, maxData: maxData, waiter: waiter)
        } else {
            queue(packet: nil, request: request, type: request.type, maxData: maxData, waiter: waiter)
        }
    }

    /// Queues `packet` (encoded, its id still to set at offset 5) or else
    /// `request` (encoded into the open run), with a new id.
    private func queue(packet: consuming ByteBuffer?, request: SFTPRequest?, type: SFTPPacketType, maxData: Int, waiter: Waiter) {
        // Every reference handed over (`consume`): setting the id below
        // must find the packet's storage with one owner, or it copies it.
        var own = consume packet
        let (failure, ring): (SFTPError?, Bool) = state.withLock { state in
            if let failure = state.failure { return (failure, false) }
            var id = state.nextID
            // Skip ids still outstanding after 2^32 requests.
            while state.pending[id] != nil { id &+= 1 }
            state.nextID = id &+ 1
            let ring = state.queued.isEmpty
            // Taken out of `own`, so that the packet's storage has one
            // owner and setting the id does not copy it.
            if var packet = own.take() {
                packet.setInteger(id, at: packet.readerIndex + 5)
                state.queued.append(Outgoing(buffer: packet, isRun: false))
            } else if let request {
                if state.queued.last.map({ !$0.isRun || $0.buffer.readableBytes >= Batch.maxBytes }) ?? true {
                    var run = state.spareRun.take() ?? allocator.buffer(capacity: Batch.runCapacity)
                    run.clear()
                    state.queued.append(Outgoing(buffer: run, isRun: true))
                }
                SFTPMessage.request(id: id, request).encode(into: &state.queued[state.queued.count - 1].buffer)
            }
            // The silence the watchdog measures starts no earlier than the
            // first request of a busy spell.
            if requestTimeout != nil, state.pending.isEmpty { noteProgress() }
            state.pending[id] = Pending(type: type, maxData: maxData, waiter: waiter)
            return (nil, ring)
        }
        if let failure { waiter.resume(.failure(failure)) }
        // Only the first packet of a batch wakes the writer; the others
        // are taken with it. (A ring after the writer took the batch finds
        // it empty, which is harmless.)
        if ring { outbound.yield() }
    }

    /// Stops writing: no request is sent after this one returns; the server
    /// sees the end of its input and closes, which ends the reader.
    func close() {
        fail(SFTPError(.connectionClosed, "the SFTP session was closed"))
    }

    /// False once the session ended (closed, the server went away, a
    /// protocol error): every request from then on fails at once.
    var isOpen: Bool { failure == nil }

    /// Why the session ended, or nil while it lives.
    var failure: SFTPError? { state.withLock { $0.failure } }

    /// Number of requests waiting for replies (for tests and the pipelines).
    var outstanding: Int { state.withLock { $0.pending.count } }

    private func writeLoop() async {
        // Two arrays trade places, so that taking a batch allocates nothing.
        var batch: [Outgoing] = []
        for await _ in outboundStream {
            take(into: &batch)
            do {
                try await write(&batch)
            } catch {
                fail(SFTPError(.connectionClosed, "writing to the SFTP server failed: \(error)"))
                try? await stream.closeWrite()
                return
            }
        }
        // Ended by `close` (or a failure): what was sent before still goes
        // out (a CLOSE sent in the background, say), then end of input.
        take(into: &batch)
        try? await write(&batch)
        try? await stream.closeWrite()
    }

    /// Moves the queued packets into `batch` (emptied first, its storage
    /// left to the queue).
    private func take(into batch: inout [Outgoing]) {
        batch.removeAll(keepingCapacity: true)
        state.withLock { swap(&batch, &$0.queued) }
    }

    /// Writes `batch` in order, each buffer as it is (runs were joined
    /// when queued, big packets are never copied again), empties it, and
    /// keeps the last run for reuse: with no other reference left to it,
    /// the next run clears it in place instead of allocating.
    private func write(_ batch: inout [Outgoing]) async throws {
        var lastRun: Int?
        for index in batch.indices {
            try await stream.write(batch[index].buffer)
            if batch[index].isRun { lastRun = index }
        }
        var spare = lastRun.map { batch[$0].buffer }
        batch.removeAll(keepingCapacity: true)
        guard spare != nil else { return }
        state.withLock { state in
            if state.spareRun == nil { state.spareRun = spare.take() }
        }
    }

    /// How requests are packed for the writer.
    private enum Batch {
        /// A WRITE with more data than this gets a packet of its own (its
        /// data copied once, outside the lock); smaller ones (small files)
        /// join the run.
        static let ownPacket = 16 << 10
        /// Room for a WRITE's header: length, type, id, handle (at most
        /// 256 bytes in OpenSSH), offset and data length.
        static let writeOverhead = 300
        /// A run takes no more packets once it holds this many bytes.
        static let maxBytes = 128 << 10
        /// A new run's capacity: a few hundred READs (it grows when needed).
        static let runCapacity = 16 << 10
        /// The most bytes besides a WRITE's data its buffer may hold for
        /// the header to be written in place (see `sendWrite`).
        static let inPlaceSlack = 64 << 10
    }

    private func readLoop(decoder: SFTPFrameDecoder) async {
        var decoder = decoder
        do {
            while true {
                while let body = try decoder.next() {
                    try dispatch(try SFTPMessage.decode(body))
                }
                guard let chunk = try await stream.read() else { break }
                if requestTimeout != nil { noteProgress() }
                decoder.append(chunk)
            }
            let partial = decoder.bufferedBytes > 0 ? " in the middle of a packet" : ""
            fail(SFTPError(.connectionClosed, "the SFTP server closed the connection\(partial)"))
        } catch let error as SFTPError {
            fail(error)
        } catch {
            fail(SFTPError(.connectionClosed, "reading from the SFTP server failed: \(error)"))
        }
    }

    private func dispatch(_ message: SFTPMessage) throws {
        guard case .reply(let id, let reply) = message else {
            throw SFTPError(.unexpectedReply, "the SFTP server sent \(message.type) where only replies may come")
        }
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else {
            throw SFTPError(.unexpectedReply, "the SFTP server sent a \(reply.type) reply for request \(id), which is not outstanding")
        }
        if case .data(let data) = reply, pending.type == .read, data.readableBytes > pending.maxData {
            // More than asked for: a server trying to make us write past the
            // block. Fatal for the session, like any protocol violation.
            let error = SFTPError(.tooMuchData, "the SFTP server returned \(data.readableBytes) bytes for a read of \(pending.maxData)")
            pending.waiter.resume(.failure(error))
            throw error
        }
        pending.waiter.resume(.success(reply))
    }

    private func fail(_ error: SFTPError) {
        let (pending, watchdog) = state.withLock { state -> ([Pending], Task<Void, Never>?) in
            if state.failure == nil { state.failure = error }
            let pending = Array(state.pending.values)
            state.pending.removeAll()
            defer { state.watchdog = nil }
            return (pending, state.watchdog)
        }
        watchdog?.cancel()
        outbound.finish()
        for request in pending { request.waiter.resume(.failure(error)) }
    }

    // MARK: Watchdog

    private func noteProgress() {
        lastProgress.store(NIODeadline.now().uptimeNanoseconds, ordering: .releasing)
    }

    /// `duration` in nanoseconds, at least 1; clamped to about 146 years.
    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 1 }
        guard seconds < Int64.max / 2_000_000_000 else { return UInt64(Int64.max / 2) }
        return UInt64(max(1, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }

    /// The one timer of the session: sleeps until the earliest moment the
    /// server could have been silent for `timeout` with requests
    /// outstanding, looks, and either sleeps again (progress came, or
    /// nothing is outstanding) or fails the session. While replies flow it
    /// wakes about once per `timeout`; it ends when the session fails.
    private func watch(_ timeout: Duration) async {
        let limit = Self.nanoseconds(timeout)
        var delay = limit
        while true {
            do { try await Task.sleep(nanoseconds: delay) } catch { return }
            let now = NIODeadline.now().uptimeNanoseconds
            let due = state.withLock { state -> UInt64? in
                if state.failure != nil { return nil }
                if state.pending.isEmpty { return now &+ limit }
                return lastProgress.load(ordering: .acquiring) &+ limit
            }
            guard let due else { return }
            if due > now {
                delay = due - now
                continue
            }
            fail(SFTPError(.timedOut, "the SFTP server sent no reply for \(timeout.secondsText)"))
            return
        }
    }
}
