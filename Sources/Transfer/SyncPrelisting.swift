import Locking
import SFTP

/// SyncPrelisting is the remote side's listings taken from a whole-tree
/// snapshot (`RemoteTreeListing`, `find` over exec) instead of SFTP,
/// for `RemoteSyncTree`: one answer for every directory of the tree,
/// where SFTP listing costs round trips at every level.
///
/// The snapshot is used only once the SFTP STAT of the root agrees with
/// its root record (`rootStated`, then `SyncRemoteSnapshot.describes`):
/// that is what ties the shell's view of the path to the SFTP server's.
/// Any directory it cannot answer for (no snapshot, a root that does not
/// match, a directory it does not hold) is listed over SFTP as before.
///
/// Until the snapshot is in, each listing is raced (`list`): SFTP listing
/// and the snapshot both go, and the first answer is taken. On a short
/// link SFTP answers first (an exec session and `find` cost a server tens
/// of milliseconds to start); on a long one the snapshot does, and every
/// later directory comes from it at once.
///
/// The snapshot is taken before the sync changes anything on the remote
/// side (a directory is listed before anything in it is changed, and
/// `find` is started before any listing), so it says what an SFTP
/// listing at that moment would have said.
final class SyncPrelisting: Sendable {
    private let source: any RemoteTreeListing
    private let root: SFTPPath

    private struct State {
        /// The SFTP STAT of the root, once `rootKind` made it.
        var rootAttributes: SFTPAttributes?
        var snapshot: Task<SyncRemoteSnapshot?, Never>?
        /// The snapshot's outcome once it is in (`.some(nil)`: none).
        var resolved: SyncRemoteSnapshot??
        var refusalTold = false
        /// Directories answered from the snapshot.
        var used = 0
    }

    private let state = Locked(State())

    init(_ source: any RemoteTreeListing, root: SFTPPath) {
        self.source = source
        self.root = root
    }

    /// Records the SFTP STAT of the root, which the snapshot's root must match.
    func rootStated(_ attributes: SFTPAttributes) {
        state.withLock { $0.rootAttributes = attributes }
    }

    /// Directories answered from the snapshot so far.
    var directoriesListed: Int { state.withLock { $0.used } }

    /// The listing of `relative`: from the snapshot when it is in (or,
    /// with `source.racesSFTP` off, once it is), else from `overSFTP`,
    /// whichever answers first while the snapshot is still coming.
    func list(_ relative: [UInt8], overSFTP: @escaping @Sendable () async throws -> SyncListing) async throws -> SyncListing {
        let task = fetch()
        if let resolved = state.withLock({ $0.resolved }) {
            if let listing = use(resolved, relative) { return listing }
            return try await overSFTP()
        }
        guard source.racesSFTP else {
            if let listing = use(await task.value, relative) { return listing }
            return try await overSFTP()
        }
        let prelisting = self
        return try await withCheckedThrowingContinuation { continuation in
            let answer = FirstAnswer(continuation)
            Task {
                // Nil: SFTP's answer is the one to take.
                if let listing = prelisting.use(await task.value, relative) { answer.give(.success(listing)) }
            }
            Task {
                do { answer.give(.success(try await overSFTP())) } catch { answer.give(.failure(error)) }
            }
        }
    }

    /// The snapshot's task, started on first use.
    private func fetch() -> Task<SyncRemoteSnapshot?, Never> {
        state.withLock { state in
            if let task = state.snapshot { return task }
            let source = self.source, root = self.root
            let task = Task { [weak self] in
                let snapshot = await source.snapshot(of: root)
                self?.state.withLock { $0.resolved = .some(snapshot) }
                return snapshot
            }
            state.snapshot = task
            return task
        }
    }

    /// `relative`'s listing from `snapshot`, when it may be used.
    private func use(_ snapshot: SyncRemoteSnapshot?, _ relative: [UInt8]) -> SyncListing? {
        guard let snapshot, let stated = state.withLock({ $0.rootAttributes }) else { return nil }
        guard snapshot.describes(stated) else {
            let first = state.withLock { state in
                defer { state.refusalTold = true }
                return !state.refusalTold
            }
            if first { source.snapshotRefused(of: root) }
            return nil
        }
        guard let listing = snapshot.listing(relative) else { return nil }
        state.withLock { $0.used += 1 }
        return listing
    }

    /// Resumes a continuation with the first answer given.
    private final class FirstAnswer: Sendable {
        private let continuation: Locked<CheckedContinuation<SyncListing, any Error>?>

        init(_ continuation: CheckedContinuation<SyncListing, any Error>) {
            self.continuation = Locked(continuation)
        }

        func give(_ result: Result<SyncListing, any Error>) {
            let waiting = continuation.withLock { continuation in
                defer { continuation = nil }
                return continuation
            }
            waiting?.resume(with: result)
        }
    }
}
