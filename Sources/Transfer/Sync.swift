import SFTP
import Locking

/// `sync`: make a target directory identical to a source directory, one
/// side local and the other remote, over nothing but SFTP.
///
/// Both trees are listed level by level, every directory of a level at
/// once; each directory is compared as soon as both its listings are in,
/// and the files that differ go straight to the engine `get` and `put` use
/// (many files in flight, each landing by temporary name and rename, a
/// rerun continuing partial files with verified resume). Transfers thus
/// start while the trees are still being listed, and what is held is one
/// level's listings and the files waiting for a slot, not the whole tree.
///
/// Copies always get the source's modification time, so the next run sees
/// them as equal. Deletions (`--delete`) come after every transfer, and
/// only when every directory of the source was listed and every file
/// copied: rsync's "IO error encountered -- skipping file deletion". Every
/// path touched is the target root joined with names that were listed and
/// checked, so nothing outside the target is ever changed.
///
/// A transfer made with a pool (`FileTransfer(pool:)`) spreads the copies
/// over its sessions, `concurrentFiles` of them in flight per open
/// session: on a long link each small file costs round trips and an
/// upload is capped by each channel's window, so more sessions carry
/// more. `remoteListing` (`SyncRemoteFind`) may answer the remote side's
/// listings from one whole-tree snapshot instead of SFTP round trips
/// (see `SyncPrelisting` for when it is used).
extension FileTransfer {
    public func sync(_ direction: SyncDirection, options: SyncOptions, remoteHasher: (any RemoteHashing)? = nil,
                     remoteListing: (any RemoteTreeListing)? = nil,
                     onChange: @escaping @Sendable (SyncChange) -> Void = { _ in }) async -> SyncReport {
        var transferOptions = self.options
        transferOptions.keepTimes = true
        transferOptions.resume = true
        if options.modes { transferOptions.preserve = true }
        // The same budget, limit and pool: only the options differ.
        let transfer = FileTransfer(client: client, options: transferOptions, onEvent: onEvent,
                                    budget: budget, limiter: limiter, pool: pool)
        let run = SyncRun(transfer: transfer, direction: direction, options: options,
                          remoteHasher: remoteHasher, remoteListing: remoteListing, onChange: onChange)
        return await run.run()
    }
}

/// One unit of work the planner hands to the runner.
enum SyncWork: Sendable {
    /// Copy a file; `isNew` when the target had none.
    case copy([UInt8], SyncEntry, isNew: Bool)
    /// Set times (and mode) only: contents are equal.
    case attributes([UInt8], SyncEntry)
    /// Make or replace a symbolic link; `existing` is the target's kind.
    case link([UInt8], existing: SyncEntry.Kind?)
}

/// SyncRun is the state of one sync: both trees, the options, and the
/// report every task adds to.
struct SyncRun: Sendable {
    let transfer: FileTransfer
    let direction: SyncDirection
    let options: SyncOptions
    let source: any SyncTree
    let target: any SyncTree
    let checksums: SyncChecksums
    let onChange: @Sendable (SyncChange) -> Void
    let report = SyncReportBox(SyncReport())
    /// Work queued by the planner and not yet finished: the planner waits
    /// while it is above `maxQueued`, so what is held stays bounded by the
    /// width of the work, not the size of the tree.
    let queued = SyncLocked(0)
    static let maxQueued = 8192

    init(transfer: FileTransfer, direction: SyncDirection, options: SyncOptions,
         remoteHasher: (any RemoteHashing)?, remoteListing: (any RemoteTreeListing)? = nil,
         onChange: @escaping @Sendable (SyncChange) -> Void) {
        self.transfer = transfer
        self.direction = direction
        self.options = options
        self.onChange = onChange
        switch direction {
        case .download(let remote, let local):
            source = RemoteSyncTree(client: transfer.client, root: remote,
                                    prelisting: remoteListing.map { SyncPrelisting($0, root: remote) })
            target = LocalSyncTree(root: local)
        case .upload(let local, let remote):
            source = LocalSyncTree(root: local)
            target = RemoteSyncTree(client: transfer.client, root: remote,
                                    prelisting: remoteListing.map { SyncPrelisting($0, root: remote) })
        }
        checksums = SyncChecksums(transfer: transfer, direction: direction, remoteHasher: remoteHasher)
    }

    func run() async -> SyncReport {
        guard let targetExists = await prepareRoots() else { return report.value }
        let (work, queue) = AsyncStream.makeStream(of: SyncWork.self)
        let planner = SyncPlanner(run: self, queue: queue)
        let plan = await withTaskGroup(of: SyncPlan?.self) { group in
            group.addTask {
                let plan = await planner.plan(targetExists: targetExists)
                queue.finish()
                return plan
            }
            group.addTask {
                await self.perform(work)
                return nil
            }
            var plan = SyncPlan()
            for await part in group { if let part { plan = part } }
            return plan
        }
        if options.delete { await delete(plan.extras, sourceComplete: plan.sourceComplete) }
        if options.modes, !options.dryRun { await setDirectoryAttributes(plan.directories) }
        return report.value
    }

    /// Checks the source root and makes the target root. Returns whether
    /// the target existed, or nil (reported) when the sync cannot start.
    private func prepareRoots() async -> Bool? {
        do {
            guard let kind = try await source.rootKind() else {
                fail(TransferError(.noMatch, "\(source.rootDescription): no such directory"))
                return nil
            }
            guard kind == .directory else {
                fail(TransferError(.usage, "\(source.rootDescription): not a directory (sync copies the contents of a directory)"))
                return nil
            }
            // The other sessions open while the trees are listed: by the
            // time the first changed file is found (a few round trips on
            // a long link) they are ready, and a sync that finds nothing
            // to copy does not wait for them (`SFTPSessionPool.close`).
            if !options.dryRun { transfer.pool?.startPreparing() }
            let targetKind = try await target.rootKind()
            if let targetKind {
                guard targetKind == .directory else {
                    fail(TransferError(.usage, "\(target.rootDescription): exists and is not a directory"))
                    return nil
                }
                return true
            }
            if !options.dryRun { try await target.makeRoot() }
            onChange(SyncChange(.newDirectory, "./"))
            report.update { $0.directoriesCreated += 1 }
            return false
        } catch {
            fail(TransferError.wrap(error, target.rootDescription))
            return nil
        }
    }

    /// Runs the planner's work, as many tasks at once as the transfer
    /// keeps files in flight; asked again for each item, as that grows
    /// with the sessions the pool opens while the sync runs.
    private func perform(_ work: AsyncStream<SyncWork>) async {
        // While the width is reached, a tick also ends the wait now and
        // then: sessions that open meanwhile raise the width, and their
        // share of files must not wait for the first file to finish.
        let ticks = transfer.pool != nil
        await withTaskGroup(of: Bool.self) { group in
            var running = 0
            var ticking = false
            var limitsKnown = false
            for await item in work {
                // The width depends on the server's open-handle limit, known
                // a round trip after the session opened: waited for only by
                // the first item, so neither the planner nor a sync with
                // nothing to do waits for it.
                if !limitsKnown {
                    await transfer.client.limitsResolved()
                    transfer.fitToLink()
                    limitsKnown = true
                }
                while running >= transfer.filesInFlight {
                    if ticks, !ticking {
                        ticking = true
                        group.addTask {
                            try? await Task.sleep(for: Self.widthTick)
                            return false
                        }
                    }
                    guard let finishedFile = await group.next() else { break }
                    if finishedFile { running -= 1 } else { ticking = false }
                }
                group.addTask {
                    await self.perform(item)
                    self.queued.update { $0 -= 1 }
                    return true
                }
                running += 1
            }
        }
    }

    /// How often a saturated sync looks whether more sessions opened.
    static let widthTick = Duration.milliseconds(10)

    private func perform(_ work: SyncWork) async {
        switch work {
        case .copy(let relative, let entry, let isNew):
            let job: TransferJob = switch direction {
            case .download(let remote, let local):
                .download(remote.appending(relative), local.appending(relative), entry.attributes)
            case .upload(let local, let remote):
                .upload(local.appending(relative), remote.appending(relative))
            }
            // Sync compares and copies at once: its totals grow as it goes.
            transfer.onEvent(.planned(files: 1, bytes: job.expectedSize ?? 0))
            switch await transfer.performOnSession(job) {
            case .success(let (path, bytes)):
                transfer.onEvent(.finished(path: path, bytes: bytes))
                report.update {
                    $0.transferred += 1
                    $0.bytes += bytes
                }
                onChange(SyncChange(isNew ? .newFile : .updated, EscapedName.render(relative), bytes: bytes))
            case .failure(let error):
                fail(error)
            }
        case .attributes(let relative, let entry):
            do {
                try await target.setAttributes(relative, of: entry, mode: options.modes)
                report.update { $0.attributesSet += 1 }
                onChange(SyncChange(.attributes, EscapedName.render(relative)))
            } catch { fail(TransferError.wrap(error, target.describe(relative))) }
        case .link(let relative, let existing):
            do {
                let wanted = try await source.readLink(relative)
                if existing == .symbolicLink, (try? await target.readLink(relative)) == wanted { return }
                if existing != nil { try await target.removeFile(relative) }
                try await target.makeLink(relative, target: wanted)
                report.update { $0.transferred += 1 }
                onChange(SyncChange(.link, EscapedName.render(relative) + " -> " + EscapedName.render(wanted)))
            } catch { fail(TransferError.wrap(error, source.describe(relative))) }
        }
    }

    /// Removes what the target has and the source lacks, unless some of
    /// the source could not be listed or some file failed.
    private func delete(_ extras: [SyncExtra], sourceComplete: Bool) async {
        guard !extras.isEmpty else { return }
        let cancelled = Task.isCancelled
        if !sourceComplete || !report.value.failures.isEmpty || cancelled {
            report.update { $0.deletionSkipped = true }
            // A cancelled sync (Ctrl-C) is said to be interrupted by its
            // caller: its failures are the cancellation's, not errors.
            guard !cancelled else { return }
            transfer.onEvent(.notice(path: target.rootDescription,
                                     message: "errors occurred (a source directory not listed, or a file not copied): skipping deletion"))
            return
        }
        let run = self
        _ = await concurrentMap(extras, width: planningWidth) { extra in
            await run.remove(extra.path, kind: extra.kind)
        }
    }

    /// Removes one entry of the target, a directory with what is in it
    /// (children first). Links are removed, never followed. Names the
    /// filter excludes stay unless `--delete-excluded`.
    private func remove(_ relative: [UInt8], kind: SyncEntry.Kind) async {
        let shown = EscapedName.render(relative)
        guard kind == .directory else {
            do {
                if !options.dryRun { try await target.removeFile(relative) }
                report.update { $0.deleted += 1 }
                onChange(SyncChange(.deleted, shown))
            } catch { fail(TransferError.wrap(error, target.describe(relative))) }
            return
        }
        let listing: SyncListing
        do { listing = try await target.list(relative) } catch {
            fail(TransferError.wrap(error, target.describe(relative)))
            return
        }
        var kept = !listing.refused.isEmpty
        for problem in listing.refused { fail(problem) }
        for entry in listing.entries {
            let child = SyncRelativePath.join(relative, entry.name)
            if !options.deleteExcluded, options.filter.excludes(child, isDirectory: entry.kind == .directory) {
                kept = true
                continue
            }
            await remove(child, kind: entry.kind)
        }
        if kept {
            transfer.onEvent(.notice(path: target.describe(relative), message: "kept: it holds excluded or unusable names"))
            return
        }
        do {
            if !options.dryRun { try await target.removeDirectory(relative) }
            report.update { $0.deleted += 1 }
            onChange(SyncChange(.deleted, shown + "/"))
        } catch { fail(TransferError.wrap(error, target.describe(relative))) }
    }

    /// With `-p`: directory modes and times, deepest first, after the files
    /// (writing a file changes its directory's mtime).
    private func setDirectoryAttributes(_ directories: [([UInt8], SyncEntry)]) async {
        // Deepest first, a level at a time: a read-only mode set on a
        // parent must not stop its children's being set.
        let target = self.target
        var byDepth: [Int: [([UInt8], SyncEntry)]] = [:]
        for directory in directories { byDepth[directory.0.count { $0 == UInt8(ascii: "/") }, default: []].append(directory) }
        for depth in byDepth.keys.sorted(by: >) {
            let failures = await concurrentMap(byDepth[depth] ?? [], width: planningWidth) { relative, entry -> TransferError? in
                do { try await target.setAttributes(relative, of: entry, mode: true) } catch {
                    return TransferError.wrap(error, target.describe(relative))
                }
                return nil
            }
            for failure in failures { if let failure = failure ?? nil { fail(failure) } }
        }
    }

    func fail(_ error: TransferError) {
        report.update { $0.failures.append(error) }
        transfer.onEvent(.failed(error))
    }

    func skip(_ relative: [UInt8], _ reason: String) {
        report.update { $0.skipped += 1 }
        transfer.onEvent(.skipped(path: source.describe(relative), reason: reason))
    }
}

/// What planning found besides the work it queued.
struct SyncPlan: Sendable {
    /// Entries of the target the source lacks, for `--delete`.
    var extras: [SyncExtra] = []
    /// False when some directory of the source could not be listed, or
    /// listed names that had to be refused.
    var sourceComplete = true
    /// The source's directories (relative path, attributes), parents first.
    var directories: [([UInt8], SyncEntry)] = []
}

/// An entry of the target that the source lacks: removed by `--delete`.
struct SyncExtra: Sendable {
    let path: [UInt8]
    let kind: SyncEntry.Kind
}

/// A value that tasks share, behind a lock.
final class SyncLocked<Value: Sendable>: Sendable {
    private let state: Locked<Value>

    init(_ value: Value) { state = Locked(value) }

    var value: Value { state.withLock { $0 } }

    func update<R>(_ body: (inout Value) -> R) -> R { state.withLock { body(&$0) } }
}

/// The report of a sync, added to from every task.
typealias SyncReportBox = SyncLocked<SyncReport>
