import FerryKit
import ArgumentParser
import Foundation
import SFTP
import SSHCore
import Transfer

/// `ferry sync [options] SOURCE TARGET`: make TARGET identical to the
/// directory SOURCE, one side local and the other remote, over SFTP alone.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Make a directory identical to another, one local and one remote, over SFTP (nothing needed on the server but sftp).",
        discussion: """
            The contents of SOURCE are synced into TARGET whether or not SOURCE ends in / (as rclone sync; \
            unlike rsync). TARGET is created if missing. Files differ when size or modification time differ; \
            copies always get the source's time. One line per change on standard output: new, updated, \
            deleted, mkdir, attrs, link; then a summary. Exit status 0 when all is done, 1 when a file \
            failed, 255 when the connection failed.
            """)

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var output: OutputFlags

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Say what would change; change nothing.")
    var dryRun = false

    @Flag(help: "Remove files and directories of TARGET that SOURCE lacks, after the transfers (never when something failed).")
    var delete = false

    @Flag(name: .customLong("delete-excluded"), help: "With --delete, also remove excluded names from TARGET.")
    var deleteExcluded = false

    @Flag(help: "Compare contents by hash when sizes agree (the server hashes with sha256sum over exec when it allows; else files are read).")
    var checksum = false

    @Flag(name: .customLong("size-only"), help: "Files differ only when their sizes do.")
    var sizeOnly = false

    @Flag(name: .customLong("ignore-existing"), help: "Never touch a file TARGET already has.")
    var ignoreExisting = false

    @Flag(name: [.customShort("u"), .customLong("update")], help: "Leave files that are newer in TARGET.")
    var update = false

    @Option(name: .customLong("modify-window"), help: ArgumentHelp("Times this many seconds apart count as equal.", valueName: "seconds"))
    var modifyWindow: Int = 0

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Leave out what matches (rsync glob rules: * ** ? [..], a leading / anchors at the root, a trailing / matches directories); repeatable.", valueName: "pattern"))
    var excludes: [String] = []

    @Option(name: .customLong("include"), help: ArgumentHelp("Keep what matches even if a later --exclude matches; the first matching rule wins; repeatable.", valueName: "pattern"))
    var includes: [String] = []

    @Option(name: .customLong("exclude-from"), help: ArgumentHelp("Read exclude patterns from a file, one a line (# comments; \"+ pattern\" includes).", valueName: "file"))
    var excludeFrom: [String] = []

    @Flag(name: [.customShort("l"), .customLong("links")], help: "Recreate symbolic links as links (else each is skipped with a line).")
    var links = false

    @Flag(name: [.customShort("p"), .customLong("perms")], help: "Also set modes (times are always set).")
    var preserve = false

    @Option(name: [.customShort("B"), .customLong("buffer-size")], help: ArgumentHelp("Bytes per read/write request (default: the server's limit, else 32768).", valueName: "bytes"))
    var blockSize: Int?

    @Option(name: [.customShort("R"), .customLong("requests")], help: ArgumentHelp("Most requests outstanding per file (default \(ReadPipeline.defaultMaxOutstanding); \(TransferOptions().nearbyMaxOutstanding) on a link under 2 ms unless given).", valueName: "count"))
    var requests: Int?

    @OptionGroup var reliability: ReliabilityFlags

    @OptionGroup var sessions: SessionFlags

    @Option(help: ArgumentHelp("Fail when the server sends nothing for this many seconds while requests are outstanding (default \(Int(SFTPClient.defaultRequestTimeout.components.seconds)); 0: wait forever).", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customLong("bwlimit"), help: ArgumentHelp("Limit the bandwidth over all files as rsync --bwlimit: bytes per second with a suffix (10M, 500K; K M G are powers of 1024), a plain number in KiB/s, 0 for none.", valueName: "rate"))
    var bandwidthLimit: String?

    @Argument(help: ArgumentHelp("The source directory, then the target directory; one of them [user@]host:path or sftp://host/path.", valueName: "source target"))
    var paths: [String] = []

    func validate() throws {
        guard paths.count == 2 else { throw ValidationError("usage: ferry sync [options] SOURCE TARGET") }
        if [checksum, sizeOnly].filter({ $0 }).count > 1 { throw ValidationError("--checksum and --size-only exclude each other") }
        guard (0...1_000_000_000).contains(modifyWindow) else { throw ValidationError("--modify-window must be a number of seconds") }
        if let blockSize, !(1...SFTPProtocol.maxReadLength).contains(blockSize) {
            throw ValidationError("-B must be between 1 and \(SFTPProtocol.maxReadLength)")
        }
        if let requests, !(1...4096).contains(requests) { throw ValidationError("-R must be between 1 and 4096") }
        if let timeout, !(timeout == 0 || (0.001...1e9).contains(timeout)) {
            throw ValidationError("--timeout must be a number of seconds (0 for no timeout)")
        }
        if deleteExcluded, !delete { throw ValidationError("--delete-excluded needs --delete") }
        if let bandwidthLimit, BandwidthLimit.rsync(bandwidthLimit) == nil {
            throw ValidationError("--bwlimit: \"\(bandwidthLimit)\" is not a rate (bytes per second with K, M or G; a plain number is KiB/s)")
        }
    }

    /// The filter rules in command-line order: rsync keeps the order of
    /// --include and --exclude as given, and the first match wins.
    func filter() throws -> SyncFilter {
        var rules: [(Int, SyncFilter.Rule)] = []
        let arguments = CommandLine.arguments
        func positions(_ names: [String]) -> [Int] {
            arguments.indices.filter { index in names.contains { arguments[index] == $0 || arguments[index].hasPrefix($0 + "=") } }
        }
        let excludePositions = positions(["--exclude"]), includePositions = positions(["--include"])
        let fromPositions = positions(["--exclude-from"])
        for (index, pattern) in excludes.enumerated() {
            rules.append((excludePositions.indices.contains(index) ? excludePositions[index] : Int.max, SyncFilter.Rule(.exclude, pattern)))
        }
        for (index, pattern) in includes.enumerated() {
            rules.append((includePositions.indices.contains(index) ? includePositions[index] : Int.max, SyncFilter.Rule(.include, pattern)))
        }
        for (index, file) in excludeFrom.enumerated() {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ValidationError("--exclude-from \(file): cannot read it (\(error.localizedDescription))")
            }
            let position = fromPositions.indices.contains(index) ? fromPositions[index] : Int.max
            rules += SyncFilter.rules(fromFile: text).map { (position, $0) }
        }
        // A stable sort: rules of one file keep their order.
        return SyncFilter(rules.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1))
    }

    var syncOptions: SyncOptions {
        get throws {
            var options = SyncOptions()
            options.comparison = checksum ? .checksum : sizeOnly ? .sizeOnly : .sizeAndTime
            options.modifyWindow = Int64(modifyWindow)
            options.ignoreExisting = ignoreExisting
            options.update = update
            options.delete = delete
            options.deleteExcluded = deleteExcluded
            options.dryRun = dryRun
            options.links = links
            options.modes = preserve
            options.filter = try filter()
            return options
        }
    }

    func run() async throws {
        let (sourceText, targetText) = (paths[0], paths[1])
        let sourceRemote = try RemoteLocation.parse(sourceText)
        let targetRemote = try RemoteLocation.parse(targetText)
        let unexpanded: SyncDirection
        let remote: RemoteLocation
        switch (sourceRemote, targetRemote) {
        case (let source?, nil):
            remote = source
            unexpanded = .download(Self.remotePath(source, sourceText), LocalPath(bytes: RawArguments.bytes(of: targetText)))
        case (nil, let target?):
            remote = target
            unexpanded = .upload(LocalPath(bytes: RawArguments.bytes(of: sourceText)), Self.remotePath(target, targetText))
        case (.some, .some):
            throw ValidationError("one of SOURCE and TARGET must be local")
        case (nil, nil):
            throw ValidationError("one of SOURCE and TARGET must be remote ([user@]host:path or sftp://host/path)")
        }
        let options = try syncOptions
        var transferOptions = TransferOptions(preserve: preserve, blockLength: blockSize)
        transferOptions.requests(requests)
        transferOptions.keepTimes = true
        transferOptions.bytesPerSecond = bandwidthLimit.flatMap { BandwidthLimit.rsync($0) ?? nil }
        transferOptions.fsync = reliability.fsync
        // A sync's files are mostly small and each costs round trips, not
        // bandwidth: on a long link, what hides them is files in flight
        // (get and put's 128 per session left a 50 ms download of 2000
        // files waiting on round trips). Still capped per session by the
        // server's open-handle limit and overall by the descriptor limit.
        transferOptions.concurrentFiles = Self.filesInFlightPerSession(upload: sourceRemote == nil)
        let display = TransferDisplay(mode: TransferDisplay.mode(output, verbosity: connection.verbose, quiet: connection.quiet))
        // With --json only JSON goes to stdout: the itemized lines go to stderr.
        let itemized = output.json ? STDERR_FILENO : STDOUT_FILENO
        // The remote root, when no ~ needs the server to expand it first:
        // STATed with SFTP's INIT, and listed with find from the start.
        let knownRoot: SFTPPath? = switch unexpanded {
        case .download(let root, _), .upload(_, let root): root.bytes.first != UInt8(ascii: "~") ? root : nil
        }
        let direction: TransferDirection = sourceRemote == nil ? .upload : .download
        try await SyncSession.run(connection: connection, remote: remote, timeout: timeout, dryRun: dryRun, display: display,
                                  policy: reliability.policy, sessions: sessions, direction: direction,
                                  knownRoot: knownRoot) { client, pool, listing, held in
            let quiet = connection.quiet
            let files = FileTransfer(pool: pool, options: transferOptions) { held.handle($0) }
            let hasher = options.comparison == .checksum ? SyncRemoteHasher(client: client) : nil
            let direction: SyncDirection
            do { direction = try await files.expandTilde(in: unexpanded) } catch {
                let failure = TransferError.wrapping(error)
                files.onEvent(.failed(failure))
                var report = SyncReport()
                report.failures = [failure]
                return report
            }
            return await files.sync(direction, options: options, remoteHasher: hasher, remoteListing: listing) { change in
                guard !quiet else { return }
                display.writeLine(Self.line(change) + "\n", to: itemized)
            }
        }
    }

    /// Files a sync keeps in flight on each SFTP session. An upload's
    /// channel carries sshd's 2 MiB window per round trip, and a small
    /// file takes three or four: more files than that window holds over
    /// those round trips only queue in it, while the other sessions the
    /// pool opens could take them. A download's window is ours (tens of
    /// MiB), so its files wait only on round trips.
    static func filesInFlightPerSession(upload: Bool) -> Int { upload ? 256 : 512 }

    /// One itemized line: the change's word padded to a column, the path.
    static func line(_ change: SyncChange) -> String {
        let word = change.kind.rawValue
        return word + String(repeating: " ", count: max(1, 8 - word.count)) + printable(change.path)
    }

    static func write(_ handle: FileHandle, _ line: String) {
        handle.write(Data((line + "\n").utf8))
    }

    private static func remotePath(_ location: RemoteLocation, _ text: String) -> SFTPPath {
        let bytes = RawArguments.remotePath(location, in: text)
        return SFTPPath(bytes: bytes.isEmpty ? Array(".".utf8) : bytes)
    }
}

/// The connection, summary and exit status of one sync.
enum SyncSession {
    /// Runs the sync over one connection, or with `--retries` over a new
    /// one each time a connection is lost: the whole sync is planned again
    /// (what was copied now compares equal; partial files resume, as sync
    /// always resumes), and deletion waits for a run without failures.
    ///
    /// Each connection's files are spread over an `SFTPSessionPool`
    /// (`--channels`, `--connections`, else as many channels as the
    /// measured round trip calls for), and `find` is started over exec
    /// as soon as the connection is up, beside the SFTP session's opening
    /// (`SyncRemoteFind`; `knownRoot` is the remote root when it is known
    /// before SFTP, which is also STATed with SFTP's INIT).
    static func run(connection flags: ConnectionOptions, remote: RemoteLocation, timeout: Double?, dryRun: Bool,
                    display: TransferDisplay, policy: RetryPolicy = .none, sessions: SessionFlags,
                    direction: TransferDirection, knownRoot: SFTPPath?,
                    _ body: (SSHClient, SFTPSessionPool, SyncRemoteFind, HeldEvents) async -> SyncReport) async throws {
        var flags = flags
        if let port = remote.port { flags.port = port }
        let requestTimeout: Duration? = timeout.map { $0 > 0 ? .nanoseconds(Int64($0 * 1e9)) : nil } ?? SFTPClient.defaultRequestTimeout
        let connectTimeout: Duration? = timeout.flatMap { $0 > 0 ? .nanoseconds(Int64($0 * 1e9)) : nil }
        let started = ContinuousClock.now
        let target = try RemoteTarget(remote.destination)
        var total = SyncReport()
        func say(_ line: String) { display.writeLine("ferry: \(printable(line))\n", to: STDERR_FILENO) }
        // Resolved and its keys loaded once: a reconnect asks nobody for a
        // passphrase again.
        let plan: SSHConnectionPlan
        do {
            plan = try await SSHSession.plan(target, flags, connectTimeout: connectTimeout)
        } catch let error as ValidationError {
            throw error
        } catch {
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        let interruption = TransferInterruption()
        /// Ends an interrupted sync as get and put end: the display's
        /// last word, "interrupted", the hint; exit 130.
        func endInterrupted() -> ExitCode {
            let elapsed = started.duration(to: .now).components
            display.finish(files: total.transferred, bytes: total.bytes, failed: total.failures.count, skipped: total.skipped,
                           seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
            return interruption.ended(continuing: "run the same command to continue")
        }
        // Whether the try under way got as far as the sync: its loss then
        // says how far the sync got.
        var ran = false
        var held: HeldEvents?
        do {
            try await interruption.endingRetryWaits { waits in
                try await policy.run(connectingWith: plan) { connection, attempt in
                    waits.disarm()
                    let client = connection.client
                    let listing = SyncRemoteFind(client: client, timeout: requestTimeout ?? .seconds(600))
                    if let knownRoot { listing.start(knownRoot) }
                    let (sftp, channel) = try await client.openSFTP(requestTimeout: requestTimeout, statsAhead: knownRoot.map { [$0] } ?? [])
                    if attempt.number == 0 { await SFTPSessionLog.log(sftp, flags) }
                    display.start()
                    // While a retry remains, the lines about single files
                    // wait until the connection's fate is known.
                    let events = HeldEvents(holding: !attempt.isLast, display: display, interruption: interruption)
                    held = events
                    interruption.forgetPartialFiles()
                    let pool = SFTPSessionPool.spreading(sessions.spread, client: client, sftp: sftp, plan: plan,
                                                         direction: direction, requestTimeout: requestTimeout,
                                                         logger: plan.configuration.logger, whenNeeded: true,
                                                         roundTrip: channel.openRoundTrip)
                    // Beside a task that waits for Ctrl-C, as get and put
                    // run: the first SIGINT cancels the sync (no rename of a
                    // file not complete, no deletion after it).
                    let signal = interruption.start()
                    defer { signal.cancel() }
                    let (report, lost) = await interruption.cancellingOnSignal(on: client.taskExecutor, orElse: (SyncReport(), nil)) {
                        () async -> (SyncReport, Error?) in
                        let report = await body(client, pool, listing, events)
                        var lost: Error? = await client.connectionFailure
                        if lost == nil, let failure = sftp.sessionFailure { lost = failure }
                        await pool.close()
                        for failure in pool.openFailures { flags.log(1, "could not open another SFTP session: \(failure)") }
                        for outcome in listing.outcomes { flags.log(1, outcome) }
                        sftp.close()
                        await channel.close()
                        return (report, lost)
                    }
                    await client.close()
                    ran = true
                    total.transferred += report.transferred
                    total.bytes += report.bytes
                    total.deleted += report.deleted
                    total.directoriesCreated += report.directoriesCreated
                    total.attributesSet += report.attributesSet
                    total.checked = report.checked
                    total.skipped = report.skipped
                    total.failures = report.failures
                    total.deletionSkipped = report.deletionSkipped
                    // A loss is for `run` to retry, unless Ctrl-C caused it.
                    if let lost, !interruption.interrupted { throw lost }
                    events.release()
                } onRetry: { retry in
                    if ran {
                        ran = false
                        say("connection lost after \(String(format: "%.1f", TransferAttempts.seconds(started.duration(to: .now)))) s "
                            + "(\(total.transferred) transferred): \(retry.error); reconnecting (\(retry.number)/\(retry.limit)) in \(policy.delayText)")
                        display.reconnected()
                    } else {
                        say("\(retry.error); reconnecting (\(retry.number)/\(retry.limit)) in \(policy.delayText)")
                    }
                    waits.arm()
                }
            }
        } catch where interruption.interrupted {
            // Ctrl-C during the wait before a reconnect (or the reconnect):
            // the sync ends with what the connections before did, as get
            // and put end.
            throw endInterrupted()
        } catch where ran {
            // The connection was lost under the sync, for good.
            held?.release()
            say("connection lost: \(error)")
        } catch let error as ValidationError {
            throw error
        } catch {
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        // Ctrl-C under the sync: what it did, then how to continue.
        if interruption.interrupted { throw endInterrupted() }
        let elapsed = started.duration(to: .now).components
        display.finish(files: total.transferred, bytes: total.bytes, failed: total.failures.count, skipped: total.skipped,
                       seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
        if !flags.quiet && !display.mode.json { print(summary(total, since: started, dryRun: dryRun)) }
        if !total.succeeded { throw ExitCode(1) }
    }

    /// The summary line: files checked, transferred, deleted, bytes, seconds, rate.
    static func summary(_ report: SyncReport, since started: ContinuousClock.Instant, dryRun: Bool) -> String {
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(report.bytes) / seconds / 1e6 : 0
        var line = String(format: "%d checked, %d transferred, %d deleted, %llu bytes in %.2f s (%.1f MB/s)",
                          report.checked, report.transferred, report.deleted, report.bytes, seconds, rate)
        if report.attributesSet > 0 { line += ", \(report.attributesSet) attributes set" }
        if !report.failures.isEmpty { line += ", \(report.failures.count) failed" }
        if report.deletionSkipped { line += ", deletion skipped" }
        if dryRun { line += " (dry run: nothing changed)" }
        return line
    }
}
