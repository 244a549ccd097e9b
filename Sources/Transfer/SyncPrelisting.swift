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
/// The snapshot is taken before the sync changes anything on the remote
/// side (a listing is asked for before anything in its directory is
/// changed, and the snapshot is complete before any listing is given),
/// so it says what an SFTP listing at that moment would have said.
final class SyncPrelisting: Sendable {
    private let source: any RemoteTreeListing
    private let root: SFTPPath

    private struct State {
        /// The SFTP STAT of the root, once `rootKind` made it.
        var rootAttributes: SFTPAttributes?
        var snapshot: Task<SyncRemoteSnapshot?, Never>?
        var refusalTold = false
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

    /// The listing of directory `relative` from the snapshot; nil when
    /// it is to be listed over SFTP.
    func listing(_ relative: [UInt8]) async -> SyncListing? {
        let (task, stated) = state.withLock { state -> (Task<SyncRemoteSnapshot?, Never>, SFTPAttributes?) in
            if let task = state.snapshot { return (task, state.rootAttributes) }
            let source = self.source, root = self.root
            let task = Task { await source.snapshot(of: root) }
            state.snapshot = task
            return (task, state.rootAttributes)
        }
        guard let stated, let snapshot = await task.value else { return nil }
        guard snapshot.describes(stated) else {
            let first = state.withLock { state in
                defer { state.refusalTold = true }
                return !state.refusalTold
            }
            if first { source.snapshotRefused(of: root) }
            return nil
        }
        return snapshot.listing(relative)
    }
}
