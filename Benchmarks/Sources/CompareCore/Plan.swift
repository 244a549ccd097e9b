/// PlanOptions are the knobs of a harness run; `default` is the full set of
/// issue 6 sized to finish in under 20 minutes on a 2-core machine, `quick`
/// the smoke test the test suite runs.
public struct PlanOptions: Sendable, Codable, Equatable {
    /// Added round-trip times, milliseconds.
    public var rtts: [Int] = [0, 50]
    /// The big file at 0 ms.
    public var fileBytes: Int64 = 1 << 30
    /// The big file when the RTT is above 0 (OpenSSH sftp is slow there).
    public var rttFileBytes: Int64 = 128 << 20
    /// The small-file tree at 0 ms.
    public var tree = DataSet.TreeShape(files: 2000, directories: 20, minBytes: 1024, maxBytes: 64 * 1024)
    /// Files in the tree when the RTT is above 0 (sftp needs ~5 round trips per file).
    public var rttTreeFiles = 50
    /// Cipher suites; the first is used by every scenario, the others only by
    /// the 0 ms big-file get (where the cipher is what limits speed).
    public var ciphers: [CipherSuite] = CipherSuite.standard
    /// Add the sync scenarios: the small-file tree (the 0 ms tree, at every
    /// RTT) synced up and down, first / no-change / 10% changed, by ferry
    /// sync, rsync -a --delete and rclone sync; and a no-change resync of a
    /// large tree of tiny files (ferry and rsync, for time and peak RSS).
    public var withSync = false
    /// Files of the large no-change tree (0–4 KiB each).
    public var syncFiles = 100_000
    /// Add the sftp batch rows at each RTT above 0: a batch of one get (and
    /// one put) line per file, `ferry sftp -b` against `sftp -b`.
    public var withBatch = false
    /// Files (lines) of the batch rows.
    public var batchFiles = 200
    /// The big-file batch row (0 ms, with `withBatch`): this many files of
    /// `bigBatchFileBytes`, one get line each in a `ferry sftp -b` batch,
    /// against one `ferry get` run per file (0: no such row).
    public var bigBatchFiles = 4
    public var bigBatchFileBytes = 256 << 20
    /// The rate-limited rows (0 ms): a file of `rateLimitFileBytes` got and
    /// put with this limit, bytes per second, by ferry (`--bwlimit`) and
    /// sftp (`-l`). Nil (the default, and `--quick`) leaves them out: they
    /// take about a minute and a half, which the 20-minute default set has
    /// no room for; `Compare --rate-limit-mib 20` adds them.
    public var rateLimit: Int64? = nil
    /// The file of the rate-limited rows (nil: 64 MiB).
    public var rateLimitFileBytes: Int64? = 64 << 20
    /// Add paramiko and asyncssh to the 0 ms scenarios.
    public var withPythonPeers = false
    /// Add `ferry-lib` (Examples' `fetch`, FerryKit) to the 0 ms big-file
    /// get, next to `ferry get`.
    public var withLibrary = false
    /// The delay proxy's rate cap at RTTs above 0, megabits per second
    /// (nil: none).
    public var rateMegabits: Double? = nil
    /// Add `sftp -B 261120 -R 256` and rclone (copyto with
    /// --multi-thread-streams 8) to the big-file rows at RTTs above 0.
    public var withLongLinkPeers = false
    /// Restrict to these tools (nil = all that apply).
    public var onlyTools: [Tool]? = nil
    /// Uncounted rounds before the counted ones.
    public var warmupRounds = 1
    /// Counted rounds.
    public var countedRounds = 5
    /// Seed of the data sets.
    public var seed: UInt64 = 1

    public init() {}

    /// The smoke-test set: tiny data, one counted run, 0 ms and a 10 ms RTT, one cipher.
    public static var quick: PlanOptions {
        var options = PlanOptions()
        options.rtts = [0, 10]
        options.fileBytes = 4 << 20
        options.rttFileBytes = 4 << 20
        options.tree = DataSet.TreeShape(files: 40, directories: 4, minBytes: 1024, maxBytes: 64 * 1024)
        options.rttTreeFiles = 20
        options.ciphers = [CipherSuite.standard[0]]
        options.warmupRounds = 0
        options.countedRounds = 1
        options.rateLimit = nil
        return options
    }
}

/// Plan turns options into the list of scenarios, choosing per scenario which
/// tools take part, so that the default set fits in 20 minutes on a 2-core
/// machine:
/// - 0 ms: every tool on the big file and the tree, except `scp` (SFTP mode)
///   on the big-file put, where it runs OpenSSH's sftp client code as `sftp`
///   does; the other cipher suites only on the big-file get, ferry vs sftp.
/// - ferry over SCP (`ferry-scp`) next to `scp -O` wherever that runs at
///   0 ms, and on the big-file get at an RTT, where ferry's large channel
///   window is what tells it from `scp -O`.
/// - RTT > 0: ferry and sftp on the big file (tuning sftp does not help there:
///   the 2 MiB channel window is the limit), plus rsync on the tree (a smaller
///   one: sftp spends about five round trips per file).
public enum Plan {
    public static func scenarios(_ options: PlanOptions) -> [Scenario] {
        guard let base = options.ciphers.first else { return [] }
        var result: [Scenario] = []
        let python: [Tool] = options.withPythonPeers ? [.paramiko, .asyncssh] : []
        func add(_ workload: Workload, _ direction: Direction, rtt: Int, cipher: CipherSuite, tools: [Tool],
                 notImplemented: [Tool] = [], sync: SyncCase? = nil, rateLimit: Int64? = nil) {
            var chosen = tools.filter { $0.handles(workload, direction) }
            if let only = options.onlyTools { chosen = chosen.filter(only.contains) }
            guard !chosen.isEmpty else { return }
            var scenario = Scenario(workload: workload, direction: direction, rttMilliseconds: rtt, cipher: cipher,
                                    tools: chosen, notImplemented: notImplemented, sync: sync, rateLimit: rateLimit)
            if rtt > 0 { scenario.rateMegabits = options.rateMegabits }
            result.append(scenario)
        }
        let openSSH: [Tool] = [.sftp, .sftpTuned, .scp, .scpLegacy]
        for rtt in options.rtts {
            let file = Workload.file(bytes: rtt == 0 ? options.fileBytes : options.rttFileBytes)
            var treeShape = options.tree
            if rtt > 0 { treeShape.files = options.rttTreeFiles }
            let tree = Workload.tree(treeShape)
            if rtt == 0 {
                let library: [Tool] = options.withLibrary ? [.ferryLib] : []
                add(file, .get, rtt: 0, cipher: base, tools: [.ferry] + library + openSSH + [.ferrySCP] + python)
                add(file, .put, rtt: 0, cipher: base, tools: [.ferry, .sftp, .sftpTuned, .scpLegacy, .ferrySCP] + python)
                for cipher in options.ciphers.dropFirst() {
                    add(file, .get, rtt: 0, cipher: cipher, tools: [.ferry, .sftp] + python)
                }
                for direction in [Direction.get, .put] {
                    add(tree, direction, rtt: 0, cipher: base, tools: [.ferry] + openSSH + [.rsync, .ferrySCP] + python)
                }
                if options.withBatch, options.bigBatchFiles > 0 {
                    let shape = DataSet.TreeShape(files: options.bigBatchFiles, directories: 1,
                                                  minBytes: options.bigBatchFileBytes, maxBytes: options.bigBatchFileBytes)
                    add(.tree(shape), .get, rtt: 0, cipher: base, tools: [.ferrySFTPBatch, .ferryEach])
                }
            } else {
                let longLink: [Tool] = options.withLongLinkPeers ? [.sftpTuned, .rclone] : []
                add(file, .get, rtt: rtt, cipher: base, tools: [.ferry, .sftp, .scpLegacy, .ferrySCP] + longLink)
                add(file, .put, rtt: rtt, cipher: base, tools: [.ferry, .sftp] + longLink)
                for direction in [Direction.get, .put] {
                    add(tree, direction, rtt: rtt, cipher: base, tools: [.ferry, .sftp, .rsync])
                }
                if options.withBatch {
                    var shape = options.tree
                    shape.files = options.batchFiles
                    shape.directories = max(1, min(shape.directories, options.batchFiles / 10))
                    for direction in [Direction.get, .put] {
                        add(.tree(shape), direction, rtt: rtt, cipher: base, tools: [.ferrySFTPBatch, .sftpBatch])
                    }
                }
            }
        }
        if let limit = options.rateLimit, limit > 0 {
            let file = Workload.file(bytes: options.rateLimitFileBytes ?? 64 << 20)
            for direction in [Direction.get, .put] {
                add(file, direction, rtt: 0, cipher: base, tools: [.ferry, .sftp], rateLimit: limit)
            }
        }
        if options.withSync {
            for rtt in options.rtts {
                for state in [SyncCase.State.first, .unchanged, .changed] {
                    for upload in [true, false] {
                        add(.tree(options.tree), .sync, rtt: rtt, cipher: base, tools: [.ferry, .rsync, .rclone],
                            sync: SyncCase(upload: upload, state: state))
                    }
                }
            }
            let shape = DataSet.TreeShape(files: options.syncFiles, directories: max(options.tree.directories, options.syncFiles / 100),
                                          minBytes: 0, maxBytes: 4096)
            add(.tree(shape), .sync, rtt: 0, cipher: base, tools: [.ferry, .rsync], sync: SyncCase(upload: true, state: .unchanged))
        }
        return result
    }
}
