import NIOCore

/// SFTPSession is one SFTP session on a connection: the file operations of
/// paramiko's `SFTPClient` and OpenSSH's sftp, and the engine behind `ferry
/// get`, `put` and `sync` (pipelined reads and writes, many files in
/// flight, temporary names and rename, verified resume).
///
/// Paths are remote paths as the server takes them: relative ones start
/// in the login directory. `client` is the session's low-level SFTP
/// client, for what this type does not wrap.
public final class SFTPSession: Sendable {
    public let client: SFTPClient
    private let channel: SSHChannelStream
    private let connection: SSHClient
    private let plan: SSHConnectionPlan
    private let requestTimeout: Duration?

    init(client: SFTPClient, channel: SSHChannelStream, connection: SSHClient, plan: SSHConnectionPlan,
         requestTimeout: Duration?) {
        self.client = client
        self.channel = channel
        self.connection = connection
        self.plan = plan
        self.requestTimeout = requestTimeout
    }

    // MARK: Listing and attributes

    /// The names in directory `path`, without "." and "..", in the order
    /// the server sent them, each with its attributes.
    public func list(_ path: String = ".") async throws -> [SFTPName] {
        try await client.listDirectory(SFTPPath(path)).filter { $0.filename != [0x2E] && $0.filename != [0x2E, 0x2E] }
    }

    /// The names alone (paramiko's `listdir`).
    public func listNames(_ path: String = ".") async throws -> [String] {
        try await list(path).map { String(decoding: $0.filename, as: UTF8.self) }
    }

    /// The attributes of `path`, following a final symbolic link (STAT).
    public func attributes(_ path: String) async throws -> SFTPAttributes {
        try await client.stat(SFTPPath(path))
    }

    /// The attributes of `path` itself, a symbolic link not followed (LSTAT).
    public func linkAttributes(_ path: String) async throws -> SFTPAttributes {
        try await client.lstat(SFTPPath(path))
    }

    /// True when `path` exists (a dangling link counts).
    public func exists(_ path: String) async throws -> Bool {
        do {
            _ = try await client.lstat(SFTPPath(path))
            return true
        } catch let error as SFTPError where error.code == .noSuchFile {
            return false
        }
    }

    /// The absolute, canonical form of `path` (REALPATH).
    public func canonicalPath(_ path: String = ".") async throws -> String {
        String(decoding: try await client.realpath(SFTPPath(path)).bytes, as: UTF8.self)
    }

    // MARK: Changing the tree

    /// Creates directory `path` with `permissions` (the server applies its umask).
    public func createDirectory(_ path: String, permissions: UInt32? = nil) async throws {
        try await client.mkdir(SFTPPath(path), attributes: SFTPAttributes(permissions: permissions))
    }

    /// Removes directory `path`, which must be empty.
    public func removeDirectory(_ path: String) async throws {
        try await client.rmdir(SFTPPath(path))
    }

    /// Removes file (or link) `path`.
    public func remove(_ path: String) async throws {
        try await client.remove(SFTPPath(path))
    }

    /// Renames `path` to `newPath`, replacing what is there when the server
    /// supports posix-rename@openssh.com (as OpenSSH does); plain SFTP
    /// rename refuses an existing target.
    public func rename(_ path: String, to newPath: String) async throws {
        if client.supports(.posixRename) {
            try await client.posixRename(SFTPPath(path), to: SFTPPath(newPath))
        } else {
            try await client.rename(SFTPPath(path), to: SFTPPath(newPath))
        }
    }

    /// Creates a symbolic link at `path` that points to `target`.
    public func createSymbolicLink(at path: String, pointingTo target: String) async throws {
        try await client.symlink(at: SFTPPath(path), pointingTo: SFTPPath(target))
    }

    /// What the symbolic link at `path` points to.
    public func destinationOfSymbolicLink(_ path: String) async throws -> String {
        String(decoding: try await client.readlink(SFTPPath(path)).bytes, as: UTF8.self)
    }

    /// Sets permission bits of `path`.
    public func setPermissions(_ path: String, _ permissions: UInt32) async throws {
        try await client.setstat(SFTPPath(path), SFTPAttributes(permissions: permissions))
    }

    // MARK: Transfers

    /// Downloads `remote` to `local` with the engine of `ferry get`: a
    /// directory needs `recursive`; `local` may name a directory to copy
    /// into. `spread` opens more SFTP channels (and connections) for the
    /// transfer, as `ferry get` does by default: on a long link one
    /// channel's window caps the rate; `.single` keeps to this session. The file lands by temporary name and rename, so an interrupted
    /// or cancelled download leaves nothing under the final name
    /// (`options.resume` continues it later after checking what is there).
    ///
    /// `onEvent` hears of each file planned, started, moved, finished or
    /// failed, from any task. Throws `TransferFailure` when any file
    /// failed (the others are copied), `CancellationError` when the task
    /// was cancelled.
    @discardableResult
    public func download(_ remote: String, to local: String, recursive: Bool = false,
                         options: TransferOptions = TransferOptions(), spread: SessionSpread = SessionSpread(),
                         onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> TransferReport {
        try await download([remote], to: local, recursive: recursive, options: options, spread: spread, onEvent: onEvent)
    }

    /// Downloads several sources into directory `local`.
    @discardableResult
    public func download(_ sources: [String], to local: String, recursive: Bool = false,
                         options: TransferOptions = TransferOptions(), spread: SessionSpread = SessionSpread(),
                         onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> TransferReport {
        let report = await withTransfer(.download, options: options, spread: spread, onEvent: onEvent) { transfer in
            await transfer.get(sources.map { SFTPPath($0) }, to: LocalPath(local), recursive: recursive)
        }
        return try Self.checked(report)
    }

    /// Uploads `local` to `remote` with the engine of `ferry put`; as
    /// `download`, the other way.
    @discardableResult
    public func upload(_ local: String, to remote: String, recursive: Bool = false,
                       options: TransferOptions = TransferOptions(), spread: SessionSpread = SessionSpread(),
                       onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> TransferReport {
        try await upload([local], to: remote, recursive: recursive, options: options, spread: spread, onEvent: onEvent)
    }

    /// Uploads several sources into directory `remote`.
    @discardableResult
    public func upload(_ sources: [String], to remote: String, recursive: Bool = false,
                       options: TransferOptions = TransferOptions(), spread: SessionSpread = SessionSpread(),
                       onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> TransferReport {
        let report = await withTransfer(.upload, options: options, spread: spread, onEvent: onEvent) { transfer in
            await transfer.put(sources.map { LocalPath($0) }, to: SFTPPath(remote), recursive: recursive)
        }
        return try Self.checked(report)
    }

    /// Runs `body` with a transfer over this session and the sessions
    /// `spread` adds, on the connection's event loop (as `ferry get` runs
    /// it: the pipelines then hop no thread per packet); the added
    /// sessions are closed after.
    private func withTransfer(_ direction: TransferDirection, options: TransferOptions, spread: SessionSpread,
                              onEvent: @escaping @Sendable (TransferEvent) -> Void,
                              _ body: @escaping @Sendable (FileTransfer) async -> TransferReport) async -> TransferReport {
        let pool = SFTPSessionPool.spreading(spread, client: connection, sftp: client, plan: plan, direction: direction,
                                             requestTimeout: requestTimeout, logger: plan.configuration.logger,
                                             roundTrip: channel.openRoundTrip)
        let transfer = FileTransfer(pool: pool, options: options, onEvent: onEvent)
        let report = await withTaskExecutorPreference(connection.taskExecutor) { await body(transfer) }
        await pool.close()
        return report
    }

    /// Makes the target directory identical to the source directory, as
    /// `ferry sync` does (see `SyncOptions`: comparison, `delete`, filters,
    /// `dryRun`). `onChange` hears each itemized change. Throws
    /// `SyncFailure` when anything could not be listed or copied.
    @discardableResult
    /// As `ferry sync`, copies spread over several sessions (`spread`,
    /// opened only once there is something to copy), and the remote tree
    /// listed by one `find` over exec when the server allows it (checked,
    /// raced against SFTP listing; see `SyncRemoteFind`).
    public func sync(_ direction: SyncDirection, options: SyncOptions = SyncOptions(),
                     transferOptions: TransferOptions = TransferOptions(), spread: SessionSpread = SessionSpread(),
                     onChange: @escaping @Sendable (SyncChange) -> Void = { _ in },
                     onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> SyncReport {
        let remoteRoot: SFTPPath
        let way: TransferDirection
        switch direction {
        case .download(let remote, _): (remoteRoot, way) = (remote, .download)
        case .upload(_, let remote): (remoteRoot, way) = (remote, .upload)
        }
        let listing = SyncRemoteFind(client: connection, timeout: requestTimeout ?? .seconds(600))
        listing.start(remoteRoot)
        let pool = SFTPSessionPool.spreading(spread, client: connection, sftp: client, plan: plan, direction: way,
                                             requestTimeout: requestTimeout, logger: plan.configuration.logger,
                                             whenNeeded: true, roundTrip: channel.openRoundTrip)
        let transfer = FileTransfer(pool: pool, options: transferOptions, onEvent: onEvent)
        let report = await withTaskExecutorPreference(connection.taskExecutor) {
            await transfer.sync(direction, options: options, remoteListing: listing, onChange: onChange)
        }
        await pool.close()
        try Task.checkCancellation()
        guard report.failures.isEmpty else { throw SyncFailure(report: report) }
        return report
    }

    /// Ends the session and closes its channel; the connection stays open.
    public func close() async {
        client.close()
        await channel.close()
    }

    static func checked(_ report: TransferReport) throws -> TransferReport {
        try Task.checkCancellation()
        guard report.succeeded else { throw TransferFailure(report: report) }
        return report
    }
}

/// TransferFailure: a download or upload in which some files failed. The
/// report lists each failure (`TransferError`: the path, what went wrong)
/// and counts the files that did arrive.
public struct TransferFailure: Error, CustomStringConvertible {
    public let report: TransferReport

    public var description: String {
        let first = report.failures.first.map { "\($0)" } ?? "failed"
        let more = report.failures.count > 1 ? " (and \(report.failures.count - 1) more failures)" : ""
        return first + more
    }
}

/// SyncFailure: a sync that could not list, read or write everything; as
/// `ferry sync`, it deleted nothing in that case.
public struct SyncFailure: Error, CustomStringConvertible {
    public let report: SyncReport

    public var description: String {
        let first = report.failures.first.map { "\($0)" } ?? "sync failed"
        let more = report.failures.count > 1 ? " (and \(report.failures.count - 1) more failures)" : ""
        return first + more
    }
}
