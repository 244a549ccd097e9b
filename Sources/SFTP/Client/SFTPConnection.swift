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
/// server in file order. The writer takes everything queued at once and
/// writes runs of small packets as one buffer (`Batch`): with hundreds of
/// small files in flight, the OPENs, CLOSEs and RENAMEs that one event
/// loop turn produces go out as one channel write, one SSH packet and one
/// system call instead of one each. One reader task cuts replies from the stream and
/// completes each pending request by id, in whatever order they come. A
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

    private struct Pending {
        let type: SFTPPacketType
        /// For READ: the most data the reply may carry.
        let maxData: Int
        let completion: Completion
    }

    private struct State {
        var nextID: UInt32 = 0
        var pending: [UInt32: Pending] = [:]
        var failure: SFTPError?
        /// The watchdog's task, cancelled when the session fails.
        var watchdog: Task<Void, Never>?
        /// Packets sent and not yet taken by the writer, in order.
        var queued: [ByteBuffer] = []
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
                state.pending[UInt32(id)] = Pending(type: request.type, maxData: 0, completion: completion)
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
        var packet = allocator.buffer(capacity: Self.capacity(for: request))
        SFTPMessage.request(id: 0, request).encode(into: &packet)
        let (failure, ring): (SFTPError?, Bool) = state.withLock { state in
            if let failure = state.failure { return (failure, false) }
            var id = state.nextID
            // Skip ids still outstanding after 2^32 requests.
            while state.pending[id] != nil { id &+= 1 }
            state.nextID = id &+ 1
            packet.setInteger(id, at: packet.readerIndex + 5)
            // The silence the watchdog measures starts no earlier than the
            // first request of a busy spell.
            if requestTimeout != nil, state.pending.isEmpty { noteProgress() }
            state.pending[id] = Pending(type: request.type, maxData: maxData, completion: completion)
            state.queued.append(packet)
            return (nil, state.queued.count == 1)
        }
        if let failure { completion(.failure(failure)) }
        // Only the first packet of a batch wakes the writer; the others
        // are taken with it. (A ring after the writer took the batch finds
        // it empty, which is harmless.)
        if ring { outbound.yield() }
    }

    /// Sends `request` and waits for its reply.
    func request(_ request: SFTPRequest, maxData: Int = 0) async throws -> SFTPReply {
        try await withCheckedThrowingContinuation { continuation in
            send(request, maxData: maxData) { continuation.resume(with: $0) }
        }
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

    private static func capacity(for request: SFTPRequest) -> Int {
        if case .write(_, _, let data) = request { return data.readableBytes + 300 }
        return 128
    }

    private func writeLoop() async {
        // Two arrays trade places, so that taking a batch allocates nothing.
        var batch: [ByteBuffer] = []
        for await _ in outboundStream {
            take(into: &batch)
            do {
                try await write(batch)
            } catch {
                fail(SFTPError(.connectionClosed, "writing to the SFTP server failed: \(error)"))
                try? await stream.closeWrite()
                return
            }
        }
        // Ended by `close` (or a failure): what was sent before still goes
        // out (a CLOSE sent in the background, say), then end of input.
        take(into: &batch)
        try? await write(batch)
        try? await stream.closeWrite()
    }

    /// Moves the queued packets into `batch` (emptied first, its storage
    /// left to the queue).
    private func take(into batch: inout [ByteBuffer]) {
        batch.removeAll(keepingCapacity: true)
        state.withLock { swap(&batch, &$0.queued) }
    }

    /// Writes `packets` in order: runs of small ones copied into one
    /// buffer (up to `Batch.maxBytes`), big ones (a WRITE's data) as they
    /// are, never copied.
    private func write(_ packets: [ByteBuffer]) async throws {
        guard packets.count > 1 else {
            if let packet = packets.first { try await stream.write(packet) }
            return
        }
        let total = packets.reduce(0) { $0 + min($1.readableBytes, Batch.smallPacket) }
        var run: ByteBuffer?
        for var packet in packets {
            if packet.readableBytes <= Batch.smallPacket {
                if run == nil { run = allocator.buffer(capacity: min(total, Batch.maxBytes)) }
                run?.writeBuffer(&packet)
                if let full = run, full.readableBytes >= Batch.maxBytes - Batch.smallPacket {
                    try await stream.write(full)
                    run = nil
                }
            } else {
                if let pending = run {
                    try await stream.write(pending)
                    run = nil
                }
                try await stream.write(packet)
            }
        }
        if let pending = run { try await stream.write(pending) }
    }

    /// How the writer joins small packets.
    private enum Batch {
        /// A packet up to this size is copied into the run (requests but
        /// WRITE, and WRITEs of small files).
        static let smallPacket = 16 << 10
        /// The most bytes one joined write holds.
        static let maxBytes = 128 << 10
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
            pending.completion(.failure(error))
            throw error
        }
        pending.completion(.success(reply))
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
        for request in pending { request.completion(.failure(error)) }
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
