import FerryKit
import ArgumentParser
import Foundation
import SFTP
import SSHCore
import Shell
import Locking
import Transfer

/// `ferry sftp [options] [user@]host[:path]`: OpenSSH's sftp command
/// language over ferry's engine. With `-b FILE` (or `-b -`) a batch, as
/// `sftp -b` runs it (consecutive transfers together; see `BatchRunner`);
/// with a terminal on stdin an interactive session with a `sftp>` prompt;
/// with commands piped to stdin, those commands.
struct SFTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sftp",
        abstract: "Run sftp commands: a batch file (-b) as sftp -b runs it, or an interactive session.",
        discussion: """
            Commands and their flags are OpenSSH sftp's (get/reget/put/reput -afpR, ls -1afhlnrSt, cd, lcd, \
            mkdir, rm, rename, ln, chmod, df, !cmd, …). In a batch, consecutive get lines (or consecutive put \
            lines) run together; every other command waits for the transfers before it. A failing line ends \
            the batch with status 1 unless it starts with '-'.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.customShort("b"), .customLong("batch")], help: ArgumentHelp("Read commands from this file (- for standard input), as sftp -b.", valueName: "batchfile"))
    var batchFile: String?

    @Option(name: [.customShort("B"), .customLong("buffer-size")], help: ArgumentHelp("Bytes per read/write request (default: the server's limit, else 32768).", valueName: "bytes"))
    var blockSize: Int?

    @Option(name: [.customShort("R"), .customLong("requests")], help: ArgumentHelp("Most requests outstanding per file (default \(ReadPipeline.defaultMaxOutstanding); \(TransferOptions().nearbyMaxOutstanding) on a link under 2 ms unless given).", valueName: "count"))
    var requests: Int?

    @Option(help: ArgumentHelp("Fail a transfer when the server sends nothing for this many seconds (default \(Int(SFTPClient.defaultRequestTimeout.components.seconds)); 0: wait forever).", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customShort("l"), help: ArgumentHelp("Limit the bandwidth of get and put to this many Kbit/s (as sftp -l).", valueName: "limit"))
    var limit: UInt64?

    @OptionGroup var reliability: ReliabilityFlags

    @Flag(name: .customShort("f"), help: "The same as --fsync (sftp -f).")
    var fsyncShort = false

    @Argument(help: ArgumentHelp("[user@]host[:path] or sftp://[user@]host[:port][/path]; the path is the starting remote directory.", valueName: "destination"))
    var destination: String

    func validate() throws {
        if let blockSize, !(1...SFTPProtocol.maxReadLength).contains(blockSize) {
            throw ValidationError("-B must be between 1 and \(SFTPProtocol.maxReadLength)")
        }
        if let requests, !(1...4096).contains(requests) { throw ValidationError("-R must be between 1 and 4096") }
        if let timeout, !(timeout == 0 || (0.001...1e9).contains(timeout)) {
            throw ValidationError("--timeout must be a number of seconds (0 for no timeout)")
        }
        if let limit, BandwidthLimit.kilobits(limit) == nil {
            throw ValidationError("-l: \(limit) is not a limit (Kbit/s, more than 0)")
        }
    }

    func run() async throws {
        let location = try RemoteLocation.parse(destination)
            ?? RemoteLocation(user: nil, host: destination, port: nil, path: "")
        var flags = connection
        if let port = location.port { flags.port = port }
        let start = location.path.isEmpty ? nil : RawArguments.remotePath(location, in: destination)
        // Commands before connecting: a batch file that cannot be read is
        // an error before any network traffic, as with sftp.
        var lines: [[UInt8]]?
        if let batchFile {
            lines = try BatchInput.read(batchFile)
        } else if isatty(STDIN_FILENO) == 0 {
            lines = try BatchInput.read("-")
        }
        let requestTimeout: Duration? = timeout.map { $0 > 0 ? .nanoseconds(Int64($0 * 1e9)) : nil } ?? SFTPClient.defaultRequestTimeout
        let target = try RemoteTarget(location.destination)
        let connectTimeout: Duration? = timeout.flatMap { $0 > 0 ? .nanoseconds(Int64($0 * 1e9)) : nil }
        let connections = ShellConnections()
        let plans = ConnectionPlanCache(target, flags, connectTimeout: connectTimeout)
        let connect: @Sendable () async throws -> (SSHClient, SFTPClient) = {
            let client = try await plans.connect()
            do {
                let (sftp, channel) = try await client.openSFTP(requestTimeout: requestTimeout)
                connections.add(client, channel)
                return (client, sftp)
            } catch {
                await client.close()
                throw error
            }
        }
        let client: SSHClient
        let sftp: SFTPClient
        do {
            (client, sftp) = try await connect()
        } catch let error as ValidationError {
            throw error
        } catch {
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        let interactive = lines == nil
        var options = TransferOptions(blockLength: blockSize)
        options.requests(requests)
        options.concurrentFiles = 128
        options.fsync = reliability.fsync || fsyncShort
        // The meter of `progress` (on by default in an interactive session,
        // as sftp's): drawn on standard error when it is a terminal; the
        // shell's own lines clear it first.
        let display = SFTPProgress.display()
        options.bytesPerSecond = limit.flatMap(BandwidthLimit.kilobits)
        let output = ShellOutput(
            standardOutput: { text in display.writeLine(printableLines(text), to: STDOUT_FILENO) },
            standardError: { text in display.writeLine(printableLines(text), to: STDERR_FILENO) })
        let files = FileTransfer(client: sftp, options: options, onEvent: display.handle)
        let verbose = interactive && !connection.quiet
        // Counts the partial files transfers keep, for the line Ctrl-C
        // leaves when it ends the wait before a reconnect.
        let interruption = TransferInterruption()
        let noteEvent: @Sendable (TransferEvent) -> Void = { interruption.note($0) }
        let session = ShellSession(client: sftp, files: files, output: output, verbose: verbose, terminalWidth: TerminalSize.columns(),
                                   eventObserver: noteEvent)
        let policy = reliability.policy
        let quiet = connection.quiet
        // --retries: a batch whose connection is lost goes on over a new
        // one. The retries are counted over the whole batch.
        let retriesUsed = Locked(0)
        let say: @Sendable (String) -> Void = { line in display.writeLine("ferry: " + printableLines(line) + "\n", to: STDERR_FILENO) }
        let reconnect: @Sendable (SFTPError) async -> ShellSession? = { [options] lost in
            guard RetryPolicy.isConnectionLoss(lost), !interruption.interrupted else { return nil }
            let left = RetryPolicy(retries: max(0, policy.retries - retriesUsed.withLock { $0 }), delay: policy.delay)
            do {
                return try await interruption.endingRetryWaits { waits in
                    try await left.run { attempt in
                        // Try 0 is the session just lost; each retry
                        // connects anew.
                        guard attempt.number > 0 else { throw lost }
                        waits.disarm()
                        let (_, sftp) = try await connect()
                        connections.closeLost()
                        interruption.forgetPartialFiles()
                        let files = FileTransfer(client: sftp, options: options, onEvent: display.handle)
                        return ShellSession(client: sftp, files: files, output: output, verbose: verbose,
                                            terminalWidth: TerminalSize.columns(), eventObserver: noteEvent)
                    } onRetry: { retry in
                        let used = retriesUsed.withLock { used in
                            used += 1
                            return used
                        }
                        if !quiet { say("connection lost: \(retry.error); reconnecting (\(used)/\(policy.retries)) in \(policy.delayText)") }
                        waits.arm()
                    }
                }
            } catch where interruption.interrupted {
                // Ctrl-C during the wait (or the reconnect after it).
                return nil
            } catch where RetryPolicy.isConnectionLoss(error) {
                say("connection lost: \(error); no retries left")
                return nil
            } catch {
                ErrorText.report(error)
                return nil
            }
        }
        let status: Int32 = await withTaskExecutorPreference(client.taskExecutor) {
            defer { sftp.close() }
            let state: ShellState
            do {
                // `host:~/dir` starts in that directory, `~` expanded first.
                let home = try await start.asyncMap { try await files.expandTilde(SFTPPath(bytes: $0)).bytes }
                state = try await session.initialState(start: home)
            } catch {
                ErrorText.report(error)
                return 1
            }
            if let lines {
                var runner = BatchRunner(session: session)
                runner.stopOnError = batchFile != nil
                if policy.retries > 0 { runner.reconnect = reconnect }
                return await runner.run(lines, state: state).exitStatus
            }
            if !connection.quiet { print("Connected to \(location.host).") }
            var prompt = InteractiveSession(session: session, state: state)
            prompt.commandEnded = display.commandEnded
            return await prompt.run()
        }
        display.commandEnded()
        await connections.closeAll()
        if interruption.interrupted {
            // As get and put end on Ctrl-C.
            throw interruption.ended(continuing: "reget or reput continues \(interruption.partialFiles == 1 ? "it" : "them")")
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// ShellConnections holds every connection a `ferry sftp` session made
/// (more than one after a reconnect), to close them all at the end.
final class ShellConnections: Sendable {
    private let open = Locked<[(SSHClient, SSHChannelStream)]>([])

    func add(_ client: SSHClient, _ channel: SSHChannelStream) {
        open.withLock { $0.append((client, channel)) }
    }

    /// Closes, in the background, every connection but the newest: they
    /// were lost.
    func closeLost() {
        let lost = open.withLock { open -> [(SSHClient, SSHChannelStream)] in
            defer { open = Array(open.suffix(1)) }
            return Array(open.dropLast())
        }
        for (client, channel) in lost {
            Task {
                await channel.close()
                await client.close()
            }
        }
    }

    func closeAll() async {
        let all = open.withLock { open -> [(SSHClient, SSHChannelStream)] in
            defer { open = [] }
            return open
        }
        for (client, channel) in all {
            await channel.close()
            await client.close()
        }
    }
}

/// Reads a batch: a file, or standard input for "-"; one command per line.
enum BatchInput {
    static func read(_ path: String) throws -> [[UInt8]] {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ValidationError("\(path): cannot read the batch file")
            }
            data = contents
        }
        var lines = Array(data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { $0.last == UInt8(ascii: "\r") ? Array($0.dropLast()) : $0 }
    }
}

/// Text with control characters made visible, line breaks kept.
func printableLines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { printable(String($0)) }.joined(separator: "\n")
}

/// The terminal's width, for laying out `ls` in columns (80 when stdout is
/// not a terminal, as sftp).
enum TerminalSize {
    static func columns() -> Int {
        var size = winsize()
        if ioctl(STDIN_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}

extension Optional {
    /// `map` for an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
