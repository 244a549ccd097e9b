#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// FileTransfer copies files between the local file system and one SFTP
/// session: `get` and `put` of files and trees, each file through the
/// read or write pipeline, several files in flight at once.
///
/// One file failing does not stop the others: each failure is reported
/// through `onEvent` as it happens and collected in the `TransferReport`,
/// which the caller turns into an exit status.
public struct FileTransfer: Sendable {
    public let client: SFTPClient
    public let options: TransferOptions
    /// Told of each file finished, failed or skipped, from any task.
    public let onEvent: @Sendable (TransferEvent) -> Void
    /// Shared by every file's pipeline: the transfer's buffers stay under
    /// `options.memoryBudget` however many files are in flight.
    let budget: PipelineBudget
    /// `options.bytesPerSecond` as one limit shared by every file's
    /// pipeline (nil: no limit).
    let limiter: RateLimiter?
    /// The sessions files and ranges are spread over (nil: `client` alone).
    public let pool: SFTPSessionPool?

    public init(client: SFTPClient, options: TransferOptions = TransferOptions(),
                onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) {
        self.init(client: client, options: options, onEvent: onEvent,
                  budget: PipelineBudget(bytes: options.memoryBudget),
                  limiter: options.bytesPerSecond.map { RateLimiter(bytesPerSecond: $0) }, pool: nil)
    }

    /// `budget` and `limiter` are shared with the transfers made from this
    /// one (`sharing`, `using`): one memory budget, one bandwidth limit.
    init(client: SFTPClient, options: TransferOptions, onEvent: @escaping @Sendable (TransferEvent) -> Void,
         budget: PipelineBudget, limiter: RateLimiter?, pool: SFTPSessionPool?) {
        self.client = client
        self.options = options
        self.onEvent = onEvent
        self.budget = budget
        self.limiter = limiter
        self.pool = pool
    }

    /// How many files may be open on the server at once: the option,
    /// capped by limits@openssh.com's max-open-handles (less two, left for
    /// directory listings and the caller) and by the local descriptor limit
    /// (`DescriptorBudget`).
    var concurrentFiles: Int {
        var width = min(max(1, options.concurrentFiles), DescriptorBudget.filesInFlight)
        if let handles = client.limits?.maxOpenHandles, handles > 0 {
            width = min(width, max(1, Int(min(handles, 1 << 20)) - 2))
        }
        if onNearbyLink { width = min(width, max(1, options.nearbyConcurrentFiles)) }
        return width
    }

    /// Requests kept outstanding per file: `options.maxOutstanding`, at
    /// most `options.nearbyMaxOutstanding` on a nearby link.
    var maxOutstanding: Int {
        onNearbyLink ? min(options.maxOutstanding, max(1, options.nearbyMaxOutstanding)) : options.maxOutstanding
    }

    /// READs a download of known size starts with: more than the
    /// pipeline's default on a long link (`options.longLinkInitialRequests`,
    /// within `maxOutstanding`), else the default (nil).
    var initialRequests: Int? {
        guard onLongLink else { return nil }
        return min(maxOutstanding, max(1, options.longLinkInitialRequests))
    }

    /// True once the session's round trip is known to be under
    /// `options.nearbyRoundTrip`.
    private var onNearbyLink: Bool {
        guard let rtt = client.limitsRoundTrip else { return false }
        return rtt < options.nearbyRoundTrip
    }

    /// True once the session's round trip is known to be at least
    /// `options.longRoundTrip`.
    private var onLongLink: Bool {
        guard let rtt = client.limitsRoundTrip else { return false }
        return rtt >= options.longRoundTrip
    }

    /// Gives a long link the larger memory budget
    /// (`TransferOptions.longLinkMemoryBudget`), once the first session's
    /// round trip is known (after `limitsResolved()`). The nearby rules
    /// need no call: `concurrentFiles` and `maxOutstanding` read it.
    func fitToLink() {
        guard onLongLink else { return }
        budget.raise(to: options.longLinkMemoryBudget)
    }
}

/// TransferEvent is what a transfer reports as it goes: the one source of
/// the progress meter, `-v` lines and `--json` output.
public enum TransferEvent: Sendable {
    /// Planning found `files` more files to copy, `bytes` their listed
    /// sizes summed (a tree is listed before its files start; several
    /// plans of one session add up).
    case planned(files: Int, bytes: UInt64)
    /// A file started: `path` as `.finished` or the failure will name it,
    /// `size` the bytes it is expected to hold, when known.
    case started(path: String, size: UInt64?)
    /// `bytes` more bytes were moved for a file that started. Sent once per
    /// block from the pipelines, so it carries no name: cheap to send and
    /// to count.
    case progress(bytes: UInt64)
    /// A file was copied completely (`bytes` moved, a resume counts only the rest).
    case finished(path: String, bytes: UInt64)
    /// `-a` continues `destination` at `offset` bytes (its partial file,
    /// or a shorter file under its final name) after its last block
    /// matched the same bytes of `source`: sftp's "Resuming …". `upload`
    /// tells a put from a get.
    case resumed(source: String, destination: String, offset: UInt64, upload: Bool)
    /// A failed or cancelled file left `bytes` in a partial file that `-a`
    /// continues; `path` is the destination the user named.
    case partialKept(path: String, bytes: UInt64)
    /// A file (or a source) failed; the others go on.
    case failed(TransferError)
    /// An entry was left out on purpose (a symbolic link in a tree, a device).
    case skipped(path: String, reason: String)
    /// Something the user should know that is not a failure: a file that
    /// grew past its listed size, a file written in place instead of
    /// replaced, two sources copied in turn to one destination.
    case notice(path: String, message: String)
}

/// TransferReport sums up one get or put.
public struct TransferReport: Sendable {
    /// Files copied completely.
    public var files = 0
    /// Bytes moved over the session.
    public var bytes: UInt64 = 0
    /// One entry per failed file or source, in the order they failed.
    public var failures: [TransferError] = []
    /// Entries left out on purpose.
    public var skipped = 0

    public init() {}

    /// True when nothing failed.
    public var succeeded: Bool { failures.isEmpty }

    /// Adds what another part of the same transfer did.
    mutating func merge(_ other: TransferReport) {
        files += other.files
        bytes += other.bytes
        failures += other.failures
        skipped += other.skipped
    }
}

/// One file to copy, planned before any is started.
enum TransferJob: Sendable {
    /// Remote source to local destination, with the source's attributes as
    /// listed or stated while planning (they spare an FSTAT per file).
    case download(SFTPPath, LocalPath, SFTPAttributes?)
    /// Local source to remote destination.
    case upload(LocalPath, SFTPPath)

    /// The destination's bytes, the key that keeps two jobs writing one
    /// destination from running at once.
    var destination: [UInt8] {
        switch self {
        case .download(_, let local, _): local.bytes
        case .upload(_, let remote): remote.bytes
        }
    }

    /// The destination as events name it.
    var destinationName: String {
        switch self {
        case .download(_, let local, _): "\(local)"
        case .upload(_, let remote): "\(remote)"
        }
    }

    /// The bytes the file is expected to hold: the listed size of a remote
    /// source, the current size of a local one (one stat, while planning).
    var expectedSize: UInt64? {
        switch self {
        case .download(_, _, let attributes): attributes?.size
        case .upload(let local, _): LocalFileSystem.status(local).map { UInt64(max(0, $0.st_size)) }
        }
    }

    /// The source, for messages.
    var sourceName: String {
        switch self {
        case .download(let remote, _, _): "\(remote)"
        case .upload(let local, _): "\(local)"
        }
    }
}
