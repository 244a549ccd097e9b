import SFTP

/// TransferOptions are the choices of one get or put, as sftp and scp
/// spell them (`-p`, `-a`, `-B`, `-R`).
public struct TransferOptions: Sendable {
    /// `-p`: give each copy the source's mode and access/modification times.
    public var preserve = false
    /// Give each copy the source's modification (and access) time, without
    /// its mode: what sync always does (as `rsync -t`), so that the next
    /// run sees the copy as equal. `preserve` implies it.
    public var keepTimes = false
    /// `-a`: continue from a partial file a failed transfer left, after
    /// checking that its last block matches the source.
    public var resume = false
    /// `-B`: bytes per READ/WRITE; nil takes the server's limits@openssh.com.
    public var blockLength: Int?
    /// `-R`: the most READ/WRITE requests outstanding per file. The default
    /// is high on purpose: the window grows toward it only as replies come,
    /// and `memoryBudget` caps the bytes.
    public var maxOutstanding = ReadPipeline.defaultMaxOutstanding
    /// The most bytes of WRITE data outstanding per file.
    public var writeMemoryBudget = 16 << 20
    /// The most bytes outstanding (requested and not yet written, or sent
    /// and not yet acknowledged) over all files in flight.
    public var memoryBudget = 32 << 20
    /// The receive window a download's channel is granted from the start:
    /// the default budget's reads must fit in it (plus a packet's worth),
    /// and growing it from OpenSSH's 2 MiB would take round trips.
    public static let receiveWindow = TransferOptions().memoryBudget + (1 << 20)
    /// The most files in flight at once (capped by the server's open-handle
    /// limit): small files cost round trips, not bandwidth, so many at once.
    public var concurrentFiles = 128
    /// Where the round trip is under `nearbyRoundTrip`, at most this many
    /// files in flight per session. Deep queues hide nothing where replies
    /// come back within a millisecond, and they cost the server: on
    /// loopback against OpenSSH 9.2, a sync upload of 2000 small files
    /// took 0.77 s (median of 4) with 128 in flight and 0.61–0.62 s with
    /// 16–32, with sshd copying and faulting in its grown buffers.
    public var nearbyConcurrentFiles = 32
    /// And at most this many requests outstanding per file (of
    /// `maxOutstanding`): 8 MiB of 255 KiB blocks, far more than a link
    /// under 2 ms holds. A deeper pipeline only filled memory when the disk
    /// fell behind the network: a 1 GiB get peaked at 37–43 MiB on an idle
    /// machine and at 70 MiB on a loaded one, at the same speed (by hand,
    /// `-R` 8 to 256: 1.92–2.12 s).
    public var nearbyMaxOutstanding = 32
    /// What counts as a nearby link (the first session's limits request
    /// measures it): a LAN or loopback.
    public var nearbyRoundTrip = Duration.milliseconds(2)
    /// `memoryBudget` is raised to this where the round trip is at least
    /// `longRoundTrip`: many small uploads over a 50 ms link hold their
    /// bytes a round trip and more each (the channels' windows queue them),
    /// and with 32 MiB the budget, not the link, set the pace (a sync
    /// upload of 2000 files: 1.40–1.47 s with 32 MiB, 1.22–1.25 s with 64).
    public var longLinkMemoryBudget = 64 << 20
    /// What counts as a long link for `longLinkMemoryBudget` and
    /// `longLinkInitialRequests`.
    public var longRoundTrip = Duration.milliseconds(20)
    /// READs a download of known size starts with on a long link (at most
    /// `maxOutstanding`), instead of 8: the window grows by one per reply,
    /// doubling each round trip, so starting at 8 blocks (2 MiB) a 50 ms
    /// link took four round trips to reach the 16 MiB it carries at
    /// 300 MB/s. Small files still start with what covers them.
    public var longLinkInitialRequests = 64
    /// `--inplace`: write into an existing destination file instead of
    /// replacing it (its inode and hard links stay; a failure leaves it
    /// partly rewritten).
    public var inPlace = false
    /// `--max-size`: a download that reaches this many bytes stops with
    /// an error (a server may send more than the size it listed).
    public var maxSize: UInt64?
    /// `-l` / `--bwlimit`: the most file bytes per second over all files
    /// of the transfer (nil: no limit).
    public var bytesPerSecond: UInt64?
    /// `-a` also continues a shorter file under the final name (what sftp
    /// or scp left) after verifying its last block, and skips one that is
    /// already complete. get, put and the sftp shell's reget/reput set it;
    /// sync does not: it copies a file because it differs, and a file that
    /// differs is not to be extended.
    public var resumesDestination = false

    /// The shortest range a big file is split into when several SFTP
    /// sessions copy it at once (see `RangePlan`): a file is split only
    /// when at least two such ranges remain.
    public var rangeLength: UInt64 = 32 << 20
    /// Destinations landed by an earlier run of the same transfer (a
    /// reconnect): their jobs are left out, and the files this run lands
    /// are added. Nil: every planned file is copied.
    public var completed: CompletedFiles?
    /// `--fsync`: flush each file to stable storage before it is renamed
    /// into place (fsync locally, fsync@openssh.com on an upload).
    public var fsync = false

    /// True when copies get the source's times (`preserve` or `keepTimes`).
    var setsTimes: Bool { preserve || keepTimes }

    public init(preserve: Bool = false, resume: Bool = false, blockLength: Int? = nil,
                maxOutstanding: Int = ReadPipeline.defaultMaxOutstanding) {
        self.preserve = preserve
        self.resume = resume
        self.blockLength = blockLength
        self.maxOutstanding = maxOutstanding
    }

    /// What `-R` asked for: `count` requests outstanding per file on every
    /// link, a nearby one too (its cap is for the default); nil keeps the
    /// defaults.
    public mutating func requests(_ count: Int?) {
        guard let count else { return }
        maxOutstanding = count
        nearbyMaxOutstanding = count
    }
}
