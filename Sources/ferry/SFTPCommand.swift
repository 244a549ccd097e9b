import ArgumentParser
import Foundation
import SFTP
import SSHCore
import Shell
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

    @Option(name: [.customShort("R"), .customLong("requests")], help: ArgumentHelp("Most requests outstanding per file.", valueName: "count"))
    var requests: Int = ReadPipeline.defaultMaxOutstanding

    @Option(help: ArgumentHelp("Fail a transfer when the server sends nothing for this many seconds (default \(Int(SFTPClient.defaultRequestTimeout.components.seconds)); 0: wait forever).", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customShort("l"), help: ArgumentHelp("Limit the bandwidth of get and put to this many Kbit/s (as sftp -l).", valueName: "limit"))
    var limit: UInt64?

    @Argument(help: ArgumentHelp("[user@]host[:path] or sftp://[user@]host[:port][/path]; the path is the starting remote directory.", valueName: "destination"))
    var destination: String

    func validate() throws {
        if let blockSize, !(1...SFTPProtocol.maxReadLength).contains(blockSize) {
            throw ValidationError("-B must be between 1 and \(SFTPProtocol.maxReadLength)")
        }
        guard (1...4096).contains(requests) else { throw ValidationError("-R must be between 1 and 4096") }
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
        let client: SSHClient
        let sftp: SFTPClient
        let channel: SSHChannelStream
        do {
            client = try await SSHSession.connect(try RemoteTarget(location.destination), flags,
                                                  connectTimeout: timeout.flatMap { $0 > 0 ? .nanoseconds(Int64($0 * 1e9)) : nil })
            do {
                (sftp, channel) = try await client.openSFTP(requestTimeout: requestTimeout)
            } catch {
                await client.close()
                throw error
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        let interactive = lines == nil
        var options = TransferOptions(blockLength: blockSize, maxOutstanding: requests)
        options.concurrentFiles = 128
        // The meter of `progress` (on by default in an interactive session,
        // as sftp's): drawn on standard error when it is a terminal; the
        // shell's own lines clear it first.
        let display = SFTPProgress.display()
        options.bytesPerSecond = limit.flatMap(BandwidthLimit.kilobits)
        let output = ShellOutput(
            standardOutput: { text in display.writeLine(printableLines(text), to: STDOUT_FILENO) },
            standardError: { text in display.writeLine(printableLines(text), to: STDERR_FILENO) })
        let files = FileTransfer(client: sftp, options: options, onEvent: display.handle)
        let session = ShellSession(client: sftp, files: files, output: output,
                                   verbose: interactive && !connection.quiet, terminalWidth: TerminalSize.columns())
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
                return await runner.run(lines, state: state).exitStatus
            }
            if !connection.quiet { print("Connected to \(location.host).") }
            var prompt = InteractiveSession(session: session, state: state)
            prompt.commandEnded = display.commandEnded
            return await prompt.run()
        }
        display.commandEnded()
        await channel.close()
        await client.close()
        if status != 0 { throw ExitCode(status) }
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
