import ByteStreams
import NIOCore
import Locking

/// SFTPClient is an SFTP v3 session over a `ByteStream`: one async method
/// per request of draft-ietf-secsh-filexfer-02 and per OpenSSH extension.
///
/// Methods may be called concurrently: requests reach the server in call
/// order, replies are matched by id whatever their order, and an error
/// surfaces at the call whose request caused it. A protocol violation by
/// the server (bad packet, reply for no request) ends the session and fails
/// every call after it. So does silence: with a `requestTimeout`, a server
/// that sends nothing for that long while requests are outstanding (its
/// SFTP side hung, though SSH keepalives may still be answered) fails every
/// call in flight and after with `.timedOut`, and the session is closed.
///
/// The session ends when `close()` is called or the stream ends; until
/// then its reader and writer tasks keep it alive.
public final class SFTPClient: Sendable {
    let connection: SFTPConnection

    /// The protocol version the server speaks (always 3).
    public var serverVersion: UInt32 { connection.serverVersion }
    /// The extensions the server advertised in SSH_FXP_VERSION, in its order.
    public var extensions: [SFTPExtensionPair] { connection.extensions }
    /// How long the server may send nothing while requests are outstanding
    /// before the session fails; nil waits forever.
    public var requestTimeout: Duration? { connection.requestTimeout }

    /// The request timeout a transfer uses when none is chosen: two minutes
    /// of silence with requests outstanding. Long enough for a busy disk or
    /// a slow link (any bytes arriving count, and requests queued behind
    /// others do not wait alone); short enough that a hung server ends a
    /// transfer rather than holding it forever. A caller that sends single
    /// requests the server may legitimately chew on longer (a copy-data of
    /// a whole large file) should raise it.
    public static let defaultRequestTimeout: Duration = .seconds(120)
    /// The server's limits@openssh.com reply, or nil when not advertised
    /// (or not yet received: see `connect`'s `awaitLimits`).
    public var limits: SFTPLimits? {
        limitsState.withLock { state in
            if case .resolved(let limits) = state { return limits }
            return nil
        }
    }

    private enum LimitsState {
        case pending([CheckedContinuation<Void, Never>])
        case resolved(SFTPLimits?)
    }

    private let limitsState: Locked<LimitsState>
    /// How long the limits@openssh.com request took from send to reply.
    private let limitsTime = Locked<Duration?>(nil)

    /// The round trip of the limits@openssh.com request, sent once the
    /// server's version is in: a measure of the link's RTT that costs no
    /// extra request (nil before the reply, or when limits are not
    /// offered). Sessions-per-transfer policies use it; timing their own
    /// wait for the limits measured nothing when the reply was already in.
    public var limitsRoundTrip: Duration? { limitsTime.withLock { $0 } }
    /// Replies to the STATs sent with INIT, by path, each answering the
    /// first `stat` of its path (later ones ask the server again).
    private let aheadStats: Locked<[[UInt8]: AheadReply]>

    /// SSH_FXP_INIT as `connect` sends it, for a caller that sends it
    /// itself together with the subsystem request (`initSent`), saving the
    /// round trip between the two.
    public static var initPacket: ByteBuffer {
        SFTPMessage.initialize(version: SFTPProtocol.version, extensions: []).encoded()
    }

    /// Starts a session: exchanges versions and, when the server offers
    /// limits@openssh.com, asks for its limits (they size the pipelines).
    /// `executor` is where the session's reader and writer tasks run (see
    /// `SFTPConnection`); nil is Swift's global executor. `initSent`: the
    /// caller already wrote `initPacket` to the stream. Without
    /// `awaitLimits`, connect returns as soon as the version is known and
    /// the limits arrive with the next replies; the pipelines and
    /// `limitsResolved()` wait for them, saving a round trip per session.
    /// `requestTimeout`: see `requestTimeout` (it also bounds the wait for
    /// the server's version); nil, the default here, waits forever.
    /// `statsAhead`: paths whose SSH_FXP_STAT goes right behind INIT (with
    /// it in `openingPackets(statsAhead:)` when `initSent`), so the first
    /// `stat` of each is answered a round trip sooner: a transfer of files
    /// named on the command line stats them first thing.
    public static func connect(over stream: some ByteStream, executor: (any TaskExecutor)? = nil,
                               initSent: Bool = false, statsAhead: [SFTPPath] = [], awaitLimits: Bool = true,
                               requestTimeout: Duration? = nil) async throws -> SFTPClient {
        let replies = statsAhead.map { _ in AheadReply() }
        let ahead = zip(statsAhead, replies).map { path, reply -> (SFTPRequest, SFTPConnection.Completion) in
            (.stat(path: path), { reply.resolve($0) })
        }
        let connection = try await SFTPConnection.start(over: stream, executor: executor, initSent: initSent,
                                                        ahead: ahead, requestTimeout: requestTimeout)
        var aheadStats: [[UInt8]: AheadReply] = [:]
        for (path, reply) in zip(statsAhead, replies) where aheadStats[path.bytes] == nil { aheadStats[path.bytes] = reply }
        guard Self.advertises(.limits, in: connection.extensions) else {
            return SFTPClient(connection: connection, limits: .resolved(nil), aheadStats: aheadStats)
        }
        let client = SFTPClient(connection: connection, limits: .pending([]), aheadStats: aheadStats)
        let sent = ContinuousClock.now
        if awaitLimits {
            let reply = try await connection.request(.extended(name: SFTPExtension.limits.name, data: ByteBuffer()))
            client.limitsTime.withLock { $0 = sent.duration(to: .now) }
            client.resolveLimits(try SFTPLimits.decode(try Self.extendedReply(reply, "limits@openssh.com")))
        } else {
            connection.send(.extended(name: SFTPExtension.limits.name, data: ByteBuffer())) { [weak client] result in
                client?.limitsTime.withLock { $0 = sent.duration(to: .now) }
                // A server that advertises limits and then fails to give them
                // gets the protocol's defaults.
                client?.resolveLimits(try? SFTPLimits.decode(try Self.extendedReply(result.get(), "limits@openssh.com")))
            }
        }
        return client
    }

    private init(connection: SFTPConnection, limits: LimitsState, aheadStats: [[UInt8]: AheadReply] = [:]) {
        self.connection = connection
        self.limitsState = Locked(limits)
        self.aheadStats = Locked(aheadStats)
    }

    /// SSH_FXP_INIT followed by SSH_FXP_STAT of each of `statsAhead`, for
    /// a caller that sends them itself with the subsystem request and then
    /// calls `connect(initSent: true, statsAhead:)` with the same paths.
    public static func openingPackets(statsAhead: [SFTPPath]) -> ByteBuffer {
        var packets = initPacket
        var stats = SFTPConnection.packets(statsAhead.map { .stat(path: $0) })
        packets.writeBuffer(&stats)
        return packets
    }

    private func resolveLimits(_ limits: SFTPLimits?) {
        let waiters = limitsState.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard case .pending(let waiters) = state else { return [] }
            state = .resolved(limits)
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the server's limits are known (at once when they were
    /// awaited at connect or not advertised); returns them. If the session
    /// ends first, returns nil.
    @discardableResult
    public func limitsResolved() async -> SFTPLimits? {
        // Every pipeline asks, once per file: once the answer is in, no
        // continuation is made (nor the task suspended) to hand it over.
        if case .resolved(let limits) = limitsState.withLock({ $0 }) { return limits }
        await withCheckedContinuation { continuation in
            let ready = limitsState.withLock { state -> Bool in
                if case .pending(var waiters) = state {
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return false
                }
                return true
            }
            if ready { continuation.resume() }
        }
        return limits
    }

    /// Ends the session: later calls fail, calls in flight fail, and the
    /// server sees the end of its input.
    public func close() { connection.close() }

    /// False once the session ended (closed, or the server or the channel
    /// under it went away): a transfer over several sessions moves the
    /// work of a session that ended to the others.
    public var isOpen: Bool { connection.isOpen }

    /// Block length for READ (from limits@openssh.com, else 32 KiB).
    public var readBlockLength: Int { limits?.readBlockLength ?? SFTPProtocol.defaultBlockLength }
    /// Block length for WRITE (from limits@openssh.com, else 32 KiB).
    public var writeBlockLength: Int { limits?.writeBlockLength ?? SFTPProtocol.defaultBlockLength }

    /// True when the server advertised `ext` with the version ferry implements.
    public func supports(_ ext: SFTPExtension) -> Bool { Self.advertises(ext, in: extensions) }

    static func advertises(_ ext: SFTPExtension, in extensions: [SFTPExtensionPair]) -> Bool {
        // The first advertisement of a name counts, as in OpenSSH's client.
        extensions.first { $0.name == ext.name }?.version == ext.version
    }

    // MARK: Files

    /// SSH_FXP_OPEN. `attributes` apply when the file is created (mode).
    public func open(_ path: SFTPPath, flags: SFTPOpenFlags, attributes: SFTPAttributes = .none) async throws -> SFTPHandle {
        try Self.handle(try await connection.request(.open(path: path, flags: flags, attributes: attributes)), "open \(path)")
    }

    /// SSH_FXP_CLOSE of a file or directory handle.
    public func close(_ handle: SFTPHandle) async throws {
        try Self.ok(try await connection.request(.close(handle: handle)), "close")
    }

    /// SSH_FXP_CLOSE without waiting for the reply, for a handle that was
    /// only read: nothing of ours depends on its outcome, and a download
    /// need not spend a round trip on it. Requests sent later reach the
    /// server after it, so the server's open handles never pile up.
    public func closeInBackground(_ handle: SFTPHandle) {
        connection.send(.close(handle: handle)) { _ in }
    }

    /// FSETSTAT (when `attributes` is given) and CLOSE of `handle`, sent back
    /// to back so that finishing a file costs one round trip, not two. The
    /// server handles them in order. The handle is closed afterwards even
    /// when this throws (unless the CLOSE itself failed): do not close it
    /// again. A failed FSETSTAT is reported before a failed CLOSE.
    public func close(_ handle: SFTPHandle, setting attributes: SFTPAttributes?) async throws {
        _ = try await close(handle, trying: nil, setting: attributes)
    }

    /// As `close(_:setting:)`, with one more FSETSTAT sent first whose
    /// failure is not an error (`trying`: an owner change that only root
    /// may make, say). Returns whether that one succeeded (true when none
    /// was given).
    public func close(_ handle: SFTPHandle, trying optional: SFTPAttributes?, setting attributes: SFTPAttributes?) async throws -> Bool {
        let (replies, continuation) = AsyncStream.makeStream(of: (Int, Result<SFTPReply, SFTPError>).self)
        let ok = Result<SFTPReply, SFTPError>.success(.status(SFTPStatus(code: .ok, message: "")))
        var results: [Result<SFTPReply, SFTPError>?] = [optional == nil ? ok : nil, attributes == nil ? ok : nil, nil]
        if let optional {
            connection.send(.fsetstat(handle: handle, attributes: optional)) { continuation.yield((0, $0)) }
        }
        if let attributes {
            connection.send(.fsetstat(handle: handle, attributes: attributes)) { continuation.yield((1, $0)) }
        }
        connection.send(.close(handle: handle)) { continuation.yield((2, $0)) }
        for await (index, result) in replies {
            results[index] = result
            if results.allSatisfy({ $0 != nil }) { break }
        }
        continuation.finish()
        guard let tried = results[0], let set = results[1], let close = results[2] else {
            throw SFTPError(.connectionClosed, "the SFTP session ended before closing the file")
        }
        try Self.ok(try set.get(), "fsetstat")
        try Self.ok(try close.get(), "close")
        return (try? Self.ok(try tried.get(), "fsetstat")) != nil
    }

    /// WRITE of `data` at `offset` (none when it is empty), then the
    /// FSETSTATs and CLOSE of `close(_:trying:setting:)`, all sent back to
    /// back: a file that fits in one write is finished in one round trip,
    /// not two. The server handles them in order, so the CLOSE follows the
    /// write; a failed WRITE is reported first, and the caller must not
    /// rename the file then. The handle is closed afterwards as with
    /// `close(_:trying:setting:)`. Returns whether `trying` succeeded.
    ///
    /// `data` is consumed: once its packet is queued, the caller no longer
    /// holds it while the replies are awaited (with many small files in
    /// flight on a long link, that was a second copy of every file).
    public func writeAndClose(_ handle: SFTPHandle, offset: UInt64, data: consuming ByteBuffer,
                              trying optional: SFTPAttributes?, setting attributes: SFTPAttributes?) async throws -> Bool {
        guard data.readableBytes > 0 else { return try await close(handle, trying: optional, setting: attributes) }
        let (replies, continuation) = AsyncStream.makeStream(of: Result<SFTPReply, SFTPError>.self)
        connection.send(.write(handle: handle, offset: offset, data: consume data)) { continuation.yield($0) }
        async let closing = close(handle, trying: optional, setting: attributes)
        var written: Result<SFTPReply, SFTPError>?
        for await result in replies {
            written = result
            break
        }
        continuation.finish()
        let tried: Result<Bool, Error>
        do { tried = .success(try await closing) } catch { tried = .failure(error) }
        guard let written else { throw SFTPError(.connectionClosed, "the SFTP session ended before the write was answered") }
        try Self.ok(try written.get(), "write")
        return try tried.get()
    }

    /// SSH_FXP_READ: up to `length` bytes at `offset`, nil at end of file.
    /// Fewer bytes than asked is not the end of the file (servers may
    /// return short reads anywhere); more than asked is a protocol error.
    public func read(_ handle: SFTPHandle, offset: UInt64, length: UInt32) async throws -> ByteBuffer? {
        let reply = try await connection.request(.read(handle: handle, offset: offset, length: length), maxData: Int(length))
        return try Self.data(reply, "read")
    }

    /// SSH_FXP_WRITE of `data` at `offset` (ignored by OpenSSH for files
    /// opened with `.append`).
    public func write(_ handle: SFTPHandle, offset: UInt64, data: ByteBuffer) async throws {
        try Self.ok(try await connection.request(.write(handle: handle, offset: offset, data: data)), "write")
    }

    // MARK: Attributes

    /// SSH_FXP_STAT: follows symbolic links.
    public func stat(_ path: SFTPPath) async throws -> SFTPAttributes {
        if let ahead = aheadStats.withLock({ $0.removeValue(forKey: path.bytes) }) {
            return try Self.attributes(try await ahead.value.get(), "stat \(path)")
        }
        return try Self.attributes(try await connection.request(.stat(path: path)), "stat \(path)")
    }

    /// SSH_FXP_LSTAT: a final symbolic link is described, not followed.
    public func lstat(_ path: SFTPPath) async throws -> SFTPAttributes {
        try Self.attributes(try await connection.request(.lstat(path: path)), "lstat \(path)")
    }

    /// SSH_FXP_FSTAT of an open handle.
    public func fstat(_ handle: SFTPHandle) async throws -> SFTPAttributes {
        try Self.attributes(try await connection.request(.fstat(handle: handle)), "fstat")
    }

    /// SSH_FXP_SETSTAT: size (truncate), owner, mode, times.
    public func setstat(_ path: SFTPPath, _ attributes: SFTPAttributes) async throws {
        try Self.ok(try await connection.request(.setstat(path: path, attributes: attributes)), "setstat \(path)")
    }

    /// SSH_FXP_FSETSTAT on an open handle.
    public func fsetstat(_ handle: SFTPHandle, _ attributes: SFTPAttributes) async throws {
        try Self.ok(try await connection.request(.fsetstat(handle: handle, attributes: attributes)), "fsetstat")
    }

    // MARK: Directories

    /// SSH_FXP_OPENDIR.
    public func opendir(_ path: SFTPPath) async throws -> SFTPHandle {
        try Self.handle(try await connection.request(.opendir(path: path)), "opendir \(path)")
    }

    /// SSH_FXP_READDIR: the next batch of entries, nil at the end. Names are
    /// the server's: check `componentProblem` before joining one to a path.
    public func readdir(_ handle: SFTPHandle) async throws -> [SFTPName]? {
        let reply = try await connection.request(.readdir(handle: handle))
        if case .status(let status) = reply, status.code == .eof { return nil }
        return try Self.names(reply, "readdir")
    }

    /// Every entry of a directory (opendir, readdir to the end, close),
    /// `.` and `..` included as the server sends them.
    ///
    /// Two READDIRs are kept outstanding, so a directory of up to one batch
    /// (OpenSSH sends 100 names per reply) costs one round trip after the
    /// OPENDIR instead of two, and the handle is closed without waiting.
    /// Replies may come in any order: the listing is complete once one
    /// says EOF and the others have been answered. A server that never says
    /// EOF is stopped at `maxDirectoryEntries`.
    public func listDirectory(_ path: SFTPPath) async throws -> [SFTPName] {
        let handle = try await opendir(path)
        defer { closeInBackground(handle) }
        let (replies, continuation) = AsyncStream.makeStream(of: Result<SFTPReply, SFTPError>.self)
        defer { continuation.finish() }
        var outstanding = 0
        var ended = false
        var entries: [SFTPName] = []
        var failure: Error?
        func send() {
            outstanding += 1
            connection.send(.readdir(handle: handle)) { continuation.yield($0) }
        }
        send()
        send()
        var iterator = replies.makeAsyncIterator()
        while outstanding > 0, let result = await iterator.next() {
            outstanding -= 1
            do {
                let reply = try result.get()
                if case .status(let status) = reply, status.code == .eof {
                    ended = true
                } else {
                    entries += try Self.names(reply, "readdir \(path)")
                    if entries.count > Self.maxDirectoryEntries {
                        throw SFTPError(.unexpectedReply, "\(path): the server listed more than \(Self.maxDirectoryEntries) entries")
                    }
                }
            } catch {
                failure = failure ?? error
                ended = true
            }
            if !ended { send() }
        }
        if let failure { throw failure }
        return entries
    }

    /// The most entries `listDirectory` accepts from one directory.
    public static let maxDirectoryEntries = 10_000_000

    /// SSH_FXP_MKDIR.
    public func mkdir(_ path: SFTPPath, attributes: SFTPAttributes = .none) async throws {
        try Self.ok(try await connection.request(.mkdir(path: path, attributes: attributes)), "mkdir \(path)")
    }

    /// SSH_FXP_RMDIR.
    public func rmdir(_ path: SFTPPath) async throws {
        try Self.ok(try await connection.request(.rmdir(path: path)), "rmdir \(path)")
    }

    // MARK: Names

    /// SSH_FXP_REMOVE of a file.
    public func remove(_ path: SFTPPath) async throws {
        try Self.ok(try await connection.request(.remove(path: path)), "remove \(path)")
    }

    /// SSH_FXP_RENAME: OpenSSH refuses when `newPath` exists; see `posixRename`.
    public func rename(_ oldPath: SFTPPath, to newPath: SFTPPath) async throws {
        try Self.ok(try await connection.request(.rename(oldPath: oldPath, newPath: newPath)), "rename \(oldPath)")
    }

    /// SSH_FXP_REALPATH: the canonical absolute path.
    public func realpath(_ path: SFTPPath) async throws -> SFTPPath {
        try Self.singleName(try await connection.request(.realpath(path: path)), "realpath \(path)").path
    }

    /// SSH_FXP_READLINK: the target of a symbolic link.
    public func readlink(_ path: SFTPPath) async throws -> SFTPPath {
        try Self.singleName(try await connection.request(.readlink(path: path)), "readlink \(path)").path
    }

    /// SSH_FXP_SYMLINK: creates `linkPath` pointing at `target` (sent in
    /// OpenSSH's order; see `SFTPRequest.symlink`).
    public func symlink(at linkPath: SFTPPath, pointingTo target: SFTPPath) async throws {
        try Self.ok(try await connection.request(.symlink(linkPath: linkPath, targetPath: target)), "symlink \(linkPath)")
    }

    /// SSH_FXP_EXTENDED with any name: the raw reply, for extensions this
    /// client has no method for.
    public func extended(_ name: String, data: ByteBuffer = ByteBuffer()) async throws -> SFTPReply {
        try await connection.request(.extended(name: name, data: data))
    }

    // MARK: Reply checks

    static func unexpected(_ reply: SFTPReply, _ operation: String) -> SFTPError {
        SFTPError(.unexpectedReply, "\(operation): the SFTP server answered with \(reply.type)")
    }

    static func ok(_ reply: SFTPReply, _ operation: @autoclosure () -> String) throws {
        guard case .status(let status) = reply else { throw unexpected(reply, operation()) }
        guard status.code == .ok else { throw SFTPError(status: status, operation: operation()) }
    }

    static func handle(_ reply: SFTPReply, _ operation: @autoclosure () -> String) throws -> SFTPHandle {
        switch reply {
        case .handle(let handle): return handle
        case .status(let status): throw SFTPError(status: status, operation: operation())
        default: throw unexpected(reply, operation())
        }
    }

    static func data(_ reply: SFTPReply, _ operation: @autoclosure () -> String) throws -> ByteBuffer? {
        switch reply {
        case .data(let data): return data
        case .status(let status) where status.code == .eof: return nil
        case .status(let status): throw SFTPError(status: status, operation: operation())
        default: throw unexpected(reply, operation())
        }
    }

    static func attributes(_ reply: SFTPReply, _ operation: @autoclosure () -> String) throws -> SFTPAttributes {
        switch reply {
        case .attributes(let attributes): return attributes
        case .status(let status): throw SFTPError(status: status, operation: operation())
        default: throw unexpected(reply, operation())
        }
    }

    static func names(_ reply: SFTPReply, _ operation: @autoclosure () -> String) throws -> [SFTPName] {
        switch reply {
        case .name(let names): return names
        case .status(let status): throw SFTPError(status: status, operation: operation())
        default: throw unexpected(reply, operation())
        }
    }

    static func singleName(_ reply: SFTPReply, _ operation: @autoclosure () -> String) throws -> SFTPName {
        let names = try names(reply, operation())
        guard names.count == 1, let name = names.first else {
            throw SFTPError(.unexpectedReply, "\(operation()): the SFTP server returned \(names.count) names where one belongs")
        }
        return name
    }

    static func extendedReply(_ reply: SFTPReply, _ operation: @autoclosure () -> String) throws -> ByteBuffer {
        switch reply {
        case .extendedReply(let data): return data
        case .status(let status): throw SFTPError(status: status, operation: operation())
        default: throw unexpected(reply, operation())
        }
    }
}
