import SFTP

/// SyncDirection names the two roots of a sync and which one is the source.
public enum SyncDirection: Sendable {
    /// The remote directory is the source, the local one the target.
    case download(SFTPPath, LocalPath)
    /// The local directory is the source, the remote one the target.
    case upload(LocalPath, SFTPPath)
}

/// SyncOptions are the choices of one `ferry sync`, spelled as rsync and
/// rclone spell them.
public struct SyncOptions: Sendable {
    /// What makes a file on the target differ from the one on the source.
    public enum Comparison: Sendable, Equatable {
        /// Size and modification time (to the second, within `modifyWindow`).
        case sizeAndTime
        /// `--size-only`: size alone.
        case sizeOnly
        /// `--checksum`: size, then a content hash of both sides.
        case checksum
    }

    public var comparison = Comparison.sizeAndTime
    /// `--modify-window`: times this many seconds apart count as equal
    /// (for file systems that store times coarsely).
    public var modifyWindow: Int64 = 0
    /// `--ignore-existing`: never touch a file the target already has.
    public var ignoreExisting = false
    /// `--update`: leave a target file that is newer than the source's.
    public var update = false
    /// `--delete`: remove what the target has and the source does not,
    /// after the transfers, and only if every part of the source was listed
    /// and every file copied.
    public var delete = false
    /// `--delete-excluded`: excluded names on the target are removed too.
    public var deleteExcluded = false
    /// `-n`: say what would change, change nothing.
    public var dryRun = false
    /// `--links`: recreate symbolic links as links (else each is skipped
    /// with a line).
    public var links = false
    /// `-p`: set modes too (times are always set).
    public var modes = false
    /// `--exclude` / `--include` rules.
    public var filter = SyncFilter()

    public init() {}
}

/// SyncChange is one line of a sync's itemized output: something that
/// changed on the target (or, with `-n`, would).
public struct SyncChange: Sendable, Equatable {
    /// What changed. The raw values are the words the CLI prints first on
    /// each line: stable, so that scripts may grep them.
    public enum Kind: String, Sendable {
        /// A file the target did not have was copied.
        case newFile = "new"
        /// A file that differed was copied over the target's.
        case updated = "updated"
        /// An entry was removed from the target (`--delete`, or a file or
        /// link that a directory of the source replaced).
        case deleted = "deleted"
        /// A directory was created on the target.
        case newDirectory = "mkdir"
        /// Only times (and with `-p` the mode) were set: content was equal.
        case attributes = "attrs"
        /// A symbolic link was created or replaced (`--links`).
        case link = "link"
    }

    public let kind: Kind
    /// The path relative to the roots, `/`-separated, escaped as
    /// `EscapedName` does; a directory's ends in `/`.
    public let path: String
    /// Bytes moved, for a copied file.
    public let bytes: UInt64

    public init(_ kind: Kind, _ path: String, bytes: UInt64 = 0) {
        self.kind = kind
        self.path = path
        self.bytes = bytes
    }
}

/// SyncReport sums up one sync.
public struct SyncReport: Sendable {
    /// Regular files (and links, with `--links`) of the source compared with the target.
    public var checked = 0
    /// Files copied (or, with `-n`, that would be).
    public var transferred = 0
    /// Bytes moved over the session (with `-n`, the sizes that would be).
    public var bytes: UInt64 = 0
    /// Entries removed from the target.
    public var deleted = 0
    /// Directories made on the target.
    public var directoriesCreated = 0
    /// Files whose times or mode alone were set.
    public var attributesSet = 0
    /// Entries left out on purpose (links without `--links`, devices).
    public var skipped = 0
    /// One entry per failure, in the order they happened.
    public var failures: [TransferError] = []
    /// True when `--delete` deleted nothing because something failed.
    public var deletionSkipped = false

    public init() {}

    /// True when nothing failed.
    public var succeeded: Bool { failures.isEmpty }
}

/// RemoteHashing hashes remote files for `--checksum` without reading
/// them over SFTP: `SyncRemoteHasher` runs `sha256sum` over exec.
public protocol RemoteHashing: Sendable {
    /// The digests of `paths` in order, all with one algorithm; nil for a
    /// file it could not hash. Returns nil when it cannot hash at all (no
    /// exec, no tool): the files are then read over SFTP.
    func digests(of paths: [SFTPPath]) async -> (algorithm: SyncHashAlgorithm, digests: [[UInt8]?])?
}

/// RemoteTreeListing lists a whole remote tree in one answer, so that a
/// sync need not list it over SFTP a level at a time (round trips at
/// every level): `SyncRemoteFind` runs `find` over exec. Nil when it
/// cannot; the tree is then listed over SFTP.
public protocol RemoteTreeListing: Sendable {
    /// The tree under `root` (a directory; links below it not followed).
    func snapshot(of root: SFTPPath) async -> SyncRemoteSnapshot?
    /// Told when the snapshot of `root` was not used: its root record did
    /// not match the SFTP STAT of the root.
    func snapshotRefused(of root: SFTPPath)
    /// Whether a listing asked for before the snapshot is in also goes
    /// over SFTP, the first answer taken (the default: on a short link
    /// SFTP is quicker than starting a remote command). Off, the sync
    /// waits for the snapshot (tests use this to know which answered).
    var racesSFTP: Bool { get }
}

extension RemoteTreeListing {
    public func snapshotRefused(of root: SFTPPath) {}
    public var racesSFTP: Bool { true }
}

/// The hashes `--checksum` can compare, best first.
public enum SyncHashAlgorithm: String, Sendable, CaseIterable {
    case sha256
    case sha1
}
