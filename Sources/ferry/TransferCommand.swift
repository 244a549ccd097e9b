import FerryKit
import ArgumentParser
import Foundation
import SFTP
import SSHCore
import Transfer

/// The options `ferry get` and `ferry put` share, spelled as sftp spells them.
struct TransferFlags: ParsableArguments {
    @Flag(name: [.customShort("r"), .customLong("recursive")], help: "Copy directories recursively (symbolic links inside are skipped, as sftp -r).")
    var recursive = false

    @Flag(name: [.customShort("p"), .customLong("preserve")], help: "Preserve modes and access/modification times.")
    var preserve = false

    @Flag(name: [.customShort("a"), .customLong("resume")], help: "Resume: continue partial files after checking their last block.")
    var resume = false

    @Option(name: [.customShort("B"), .customLong("buffer-size")], help: ArgumentHelp("Bytes per read/write request (default: the server's limit, else 32768).", valueName: "bytes"))
    var blockSize: Int?

    @Option(name: [.customShort("R"), .customLong("requests")], help: ArgumentHelp("Most requests outstanding per file (default \(ReadPipeline.defaultMaxOutstanding); \(TransferOptions().nearbyMaxOutstanding) on a link under 2 ms unless given); the window grows toward it as replies come, within the transfer's memory budget.", valueName: "count"))
    var requests: Int?

    @Flag(name: .customLong("inplace"), help: "Write into existing destination files instead of replacing them: their inode and hard links stay, but an interrupted transfer leaves them partly rewritten.")
    var inPlace = false

    @OptionGroup var protocolFlags: ProtocolFlags

    @OptionGroup var output: OutputFlags

    @OptionGroup var bandwidth: BandwidthFlags

    @OptionGroup var sessions: SessionFlags

    @OptionGroup var reliability: ReliabilityFlags

    @Option(help: ArgumentHelp("Fail the transfer when the server sends nothing for this many seconds while requests are outstanding (default \(Int(SFTPClient.defaultRequestTimeout.components.seconds)); 0: wait forever); also bounds connecting unless ConnectTimeout is set.", valueName: "seconds"))
    var timeout: Double?

    func validate() throws {
        if let blockSize, !(1...SFTPProtocol.maxReadLength).contains(blockSize) {
            throw ValidationError("-B must be between 1 and \(SFTPProtocol.maxReadLength)")
        }
        if let requests, !(1...4096).contains(requests) { throw ValidationError("-R must be between 1 and 4096") }
        if let timeout, !(timeout == 0 || (0.001...1e9).contains(timeout)) {
            throw ValidationError("--timeout must be a number of seconds (0 for no timeout)")
        }
    }

    /// The SFTP session's request timeout: `--timeout`, else the default;
    /// nil (never) for `--timeout 0`.
    var requestTimeout: Duration? {
        guard let timeout else { return SFTPClient.defaultRequestTimeout }
        return timeout > 0 ? .nanoseconds(Int64(timeout * 1e9)) : nil
    }

    /// The connect timeout `--timeout` asks for, used when ConnectTimeout
    /// is not set (`-o` or ssh_config).
    var connectTimeout: Duration? {
        guard let timeout, timeout > 0 else { return nil }
        return .nanoseconds(Int64(timeout * 1e9))
    }

    var options: TransferOptions {
        var options = TransferOptions(preserve: preserve, resume: resume, blockLength: blockSize)
        options.requests(requests)
        options.inPlace = inPlace
        options.resumesDestination = resume
        options.bytesPerSecond = bandwidth.bytesPerSecond
        return options
    }
}

/// `ferry get [options] [user@]host:path… local`: download files (and
/// trees with -r) from one host.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Download files over SFTP, or SCP with --scp or when the server has no SFTP (host:path or sftp://host/path sources, a local destination).",
        discussion: "Remote sources may use * ? [..] in their last component. Files land under their final name only when complete; -a continues what an interrupted run left.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transfer: TransferFlags

    @Option(name: .customLong("max-size"), help: ArgumentHelp("Stop a file with an error when the server sends more than this (bytes, or with a K, M, G or T suffix): a server can send past the size it listed.", valueName: "size"))
    var maxSize: String?

    @Argument(help: ArgumentHelp("Remote sources ([user@]host:path or sftp://[user@]host[:port]/path), then the local destination (- for standard output; default: the current directory).", valueName: "source… [destination]"))
    var paths: [String] = []

    func validate() throws {
        if let maxSize, ByteCount.parse(maxSize) == nil {
            throw ValidationError("--max-size: \"\(maxSize)\" is not a size (bytes, or a number with K, M, G or T)")
        }
    }

    func run() async throws {
        guard let last = paths.last else {
            throw ValidationError("no remote source given")
        }
        // As sftp: `get host:file` alone saves into the current directory.
        let sourceTexts = paths.count == 1 ? paths : Array(paths.dropLast())
        let destination = paths.count == 1 ? "." : last
        let sources = try sourceTexts.map { text -> (RemoteLocation, SFTPPath) in
            guard let location = try RemoteLocation.parse(text) else { throw ValidationError("\(text): not a remote path (host:path)") }
            return (location, SFTPPath(bytes: RawArguments.remotePath(location, in: text)))
        }
        if try RemoteLocation.parse(destination) != nil { throw ValidationError("\(destination): the destination of get is local") }
        let local = LocalPath(bytes: RawArguments.bytes(of: destination))
        var options = transfer.options
        options.maxSize = maxSize.flatMap(ByteCount.parse)
        // File data on standard output: the summary goes to stderr.
        let toStandardOutput = ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].contains(destination)
        if toStandardOutput && transfer.output.json {
            throw ValidationError("--json writes to standard output, where this get writes the file: drop one")
        }
        // Sources named outright (no glob to expand) are stated with INIT:
        // their attributes come with the server's VERSION, a round trip sooner.
        let statsAhead = sources.map(\.1).filter {
            !$0.bytes.isEmpty && $0.bytes.first != UInt8(ascii: "~") && !FileTransfer.isGlob($0)
        }
        try await TransferRun.run(connection: connection, flags: transfer, options: options, remotes: sources.map(\.0),
                                  summaryToStandardError: toStandardOutput, statsAhead: statsAhead, scp: { scp in
            await scp.get(sources.map { $0.1.bytes }, to: local, recursive: transfer.recursive)
        }) { files, expand in
            var remotes: [SFTPPath] = []
            var failures: [TransferError] = []
            for (_, source) in sources {
                do { remotes += try await expand(source) } catch {
                    let failure = TransferError.wrapping(error)
                    files.onEvent(.failed(failure))
                    failures.append(failure)
                }
            }
            var report = await files.get(remotes, to: local, recursive: transfer.recursive)
            report.failures.insert(contentsOf: failures, at: 0)
            return report
        }
    }
}

/// `ferry put [options] local… [user@]host:path`: upload files (and trees
/// with -r) to one host.
struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Upload files over SFTP, or SCP with --scp or when the server has no SFTP (local sources, a host:path or sftp://host/path destination).",
        discussion: "Files land under their final name only when complete; -a continues what an interrupted run left.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transfer: TransferFlags

    @Argument(help: ArgumentHelp("Local sources, then the remote destination ([user@]host:path or sftp://[user@]host[:port]/path).", valueName: "source… destination"))
    var paths: [String] = []

    func run() async throws {
        guard paths.count >= 2, let last = paths.last else {
            throw ValidationError("usage: ferry put [options] local… [user@]host:path")
        }
        guard let destination = try RemoteLocation.parse(last) else { throw ValidationError("\(last): not a remote path (host:path)") }
        let sources = Array(paths.dropLast())
        for source in sources where try RemoteLocation.parse(source) != nil {
            throw ValidationError("\(source): the sources of put are local")
        }
        let locals = sources.map { LocalPath(bytes: RawArguments.bytes(of: $0)) }
        let remote = RawArguments.remotePath(destination, in: last)
        // Put stats its destination first (a directory to copy into?): sent with INIT.
        let target = SFTPPath(bytes: remote.isEmpty ? Array(".".utf8) : remote)
        try await TransferRun.run(connection: connection, flags: transfer, options: transfer.options, remotes: [destination],
                                  statsAhead: target.bytes.first == UInt8(ascii: "~") ? [] : [target], direction: .upload,
                                  scp: { scp in await scp.put(locals, to: remote, recursive: transfer.recursive) }) { files, _ in
            await files.putExpandingTilde(locals, to: remote, recursive: transfer.recursive)
        }
    }
}

extension TransferError {
    static func wrapping(_ error: Error) -> TransferError {
        (error as? TransferError) ?? TransferError(.remote, ErrorText.message(error))
    }
}

/// What get and put share: one connection for every remote path, errors
/// printed one line per file as they happen, a summary, the exit status
/// (0 all copied, 1 some file failed, 255 the connection failed).
enum TransferRun {
    typealias Expand = @Sendable (SFTPPath) async throws -> [SFTPPath]

    static func run(connection flags: ConnectionOptions, flags transfer: TransferFlags, options: TransferOptions,
                    remotes: [RemoteLocation], summaryToStandardError: Bool = false,
                    protocol selected: TransferProtocol? = nil, statsAhead: [SFTPPath] = [],
                    direction: TransferDirection = .download,
                    scp scpBody: (SCPTransfer) async -> TransferReport,
                    _ body: (FileTransfer, Expand) async -> TransferReport) async throws {
        let selected = selected ?? transfer.protocolFlags.selected
        try check(selected, transfer)
        guard let first = remotes.first else { return }
        for other in remotes.dropFirst() where other.destination != first.destination || other.port != first.port {
            throw ValidationError("all remote paths must be on one host (\(first.destination) and \(other.destination))")
        }
        var flags = flags
        if let port = first.port { flags.port = port }
        let quiet = flags.quiet
        let started = ContinuousClock.now
        var options = options
        options.fsync = transfer.reliability.fsync
        let display = TransferDisplay(mode: TransferDisplay.mode(transfer.output, verbosity: flags.verbose, quiet: quiet))
        let interruption = TransferInterruption()
        let attempts = TransferAttempts(target: try RemoteTarget(first.destination), flags: flags, transfer: transfer,
                                        selected: selected, policy: transfer.reliability.policy, statsAhead: statsAhead,
                                        direction: direction, display: display, interruption: interruption,
                                        summaryToStandardError: summaryToStandardError)
        let report = try await attempts.run(options: options, scp: scpBody, body)
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        display.finish(report, seconds: seconds)
        if interruption.interrupted {
            throw interruption.ended()
        }
        if !quiet && !transfer.output.json {
            let rate = seconds > 0 ? Double(report.bytes) / seconds / 1e6 : 0
            let summary = String(format: "%d file%@, %llu bytes in %.2f s (%.1f MB/s)%@", report.files, report.files == 1 ? "" : "s",
                                 report.bytes, seconds, rate, report.failures.isEmpty ? "" : ", \(report.failures.count) failed")
            if summaryToStandardError {
                FileHandle.standardError.write(Data((summary + "\n").utf8))
            } else {
                print(summary)
            }
        }
        if !report.succeeded, !quiet, let hint = TransferInterruption.hint(partialFiles: interruption.partialFiles) {
            FileHandle.standardError.write(Data((hint + "\n").utf8))
        }
        if !report.succeeded { throw ExitCode(1) }
    }
}
