import Locking
import NIOCore
import SCP
import SFTP
import SSHCore

/// SyncRemoteFind lists a whole remote tree with one `find -printf` run
/// over exec, so a sync need not list it over SFTP a level at a time (an
/// OPENDIR and one or more READDIR round trips per level, after the SFTP
/// session is up). Started as soon as the connection is authenticated
/// (`start`), beside the SFTP session's opening, its output is usually in
/// by the time the sync asks for its first listing.
///
/// It is an optimisation only, never trusted blindly: any doubt and it
/// answers nil, and the sync lists over SFTP as before. A server that
/// refuses exec or sessions, a shell that is not POSIX-like, no `find`
/// or one without GNU's `-printf` (busybox, BSD), any `find` error (an
/// unreadable directory: its listing would be missing, and that must not
/// read as empty), output that is not exactly what the command prints,
/// more than `maxOutput` bytes, or no answer within `timeout`: all give
/// nil. The root's record must also match the SFTP STAT of the root
/// (`SyncRemoteSnapshot.describes`), which `SyncPrelisting` checks.
///
/// The root goes to the shell single-quoted (`SCPShell.quote`), a relative
/// one behind `./` so that no name is taken for an option or an operator;
/// a root that is not UTF-8 cannot be put on a command line and is left
/// to SFTP.
public final class SyncRemoteFind: RemoteTreeListing {
    private let client: SSHClient
    private let timeout: Duration
    private let runs = Locked<[[UInt8]: Task<SyncRemoteSnapshot?, Never>]>([:])
    private let notes = Locked<[String]>([])

    /// The most bytes of output taken (about 25 million entries with
    /// names of 40 bytes); past it the tree is listed over SFTP.
    static let maxOutput = 1 << 30

    public init(client: SSHClient, timeout: Duration = .seconds(120)) {
        self.client = client
        self.timeout = timeout
    }

    /// Starts listing `root` in the background (once per root).
    public func start(_ root: SFTPPath) {
        _ = run(root)
    }

    public func snapshot(of root: SFTPPath) async -> SyncRemoteSnapshot? {
        await run(root).value
    }

    public func snapshotRefused(of root: SFTPPath) {
        note("\(root): find listed another directory than SFTP sees (its root differs); listed over SFTP")
    }

    /// What became of each listing, one line each, for `-v`: how many
    /// entries find gave, or why the tree was listed over SFTP instead.
    public var outcomes: [String] { notes.withLock { $0 } }

    private func note(_ line: String) {
        notes.withLock { $0.append(line) }
    }

    private func run(_ root: SFTPPath) -> Task<SyncRemoteSnapshot?, Never> {
        runs.withLock { runs in
            if let running = runs[root.bytes] { return running }
            let client = client, timeout = timeout
            let task = Task {
                let (snapshot, outcome) = await Self.list(root, client: client, timeout: timeout)
                self.note("\(root): " + outcome)
                return snapshot
            }
            runs[root.bytes] = task
            return task
        }
    }

    /// The command that lists `root`; nil when it cannot be written as one.
    static func command(_ root: SFTPPath) -> String? {
        var path = root.bytes
        guard !path.isEmpty else { return nil }
        if path.first != UInt8(ascii: "/") { path = Array("./".utf8) + path }
        guard let quoted = String(validating: SCPShell.quote(path), as: UTF8.self) else { return nil }
        // env: a plain assignment prefix is not every login shell's syntax.
        // LC_ALL=C: the decimal point of %T@ does not follow the locale.
        return "env LC_ALL=C find -H \(quoted) -printf '\(SyncRemoteSnapshot.recordFormat)'"
    }

    /// The snapshot of `root`, or nil; and a line that says which and why.
    private static func list(_ root: SFTPPath, client: SSHClient, timeout: Duration) async -> (SyncRemoteSnapshot?, String) {
        guard let command = command(root) else { return (nil, "not UTF-8, so not listed with find; listed over SFTP") }
        let output = OutputCollector(limit: maxOutput)
        // Past the limit the answer is nil at once; the command's channel
        // ends with the connection.
        return await withCheckedContinuation { continuation in
            let answer = Answer(continuation)
            output.onOverflow = { answer.give(nil, "find printed more than \(maxOutput) bytes; listed over SFTP") }
            Task {
                let exit: RemoteExit
                do {
                    exit = try await client.exec(command, timeout: timeout, stdout: { output.append($0) }, stderr: { _ in })
                } catch {
                    answer.give(nil, "find over exec failed (\(error)); listed over SFTP")
                    return
                }
                guard exit == .status(0) else {
                    answer.give(nil, "find over exec ended with \(exit) (no GNU find, or a directory it could not read); listed over SFTP")
                    return
                }
                guard let bytes = output.bytes else { return }
                guard let snapshot = SyncRemoteSnapshot.parse(bytes) else {
                    answer.give(nil, "find's output was not what was asked for; listed over SFTP")
                    return
                }
                answer.give(snapshot, "listed with find over exec (\(bytes.count) bytes)")
            }
        }
    }

    /// The command's standard output, up to a limit.
    private final class OutputCollector: Sendable {
        private let state = Locked<(bytes: [UInt8], overflowed: Bool, onOverflow: (@Sendable () -> Void)?)>(([], false, nil))
        private let limit: Int

        init(limit: Int) { self.limit = limit }

        var onOverflow: (@Sendable () -> Void)? {
            get { state.withLock { $0.onOverflow } }
            set { state.withLock { $0.onOverflow = newValue } }
        }

        /// What was collected, or nil past the limit.
        var bytes: [UInt8]? { state.withLock { $0.overflowed ? nil : $0.bytes } }

        func append(_ buffer: ByteBuffer) {
            let overflowed = state.withLock { state -> (@Sendable () -> Void)? in
                guard !state.overflowed else { return nil }
                guard state.bytes.count + buffer.readableBytes <= limit else {
                    state.overflowed = true
                    state.bytes = []
                    return state.onOverflow ?? {}
                }
                state.bytes.append(contentsOf: buffer.readableBytesView)
                return nil
            }
            overflowed?()
        }
    }

    /// Resumes a continuation once, whoever answers first.
    private final class Answer: Sendable {
        private let continuation: Locked<CheckedContinuation<(SyncRemoteSnapshot?, String), Never>?>

        init(_ continuation: CheckedContinuation<(SyncRemoteSnapshot?, String), Never>) {
            self.continuation = Locked(continuation)
        }

        func give(_ snapshot: SyncRemoteSnapshot?, _ outcome: String) {
            let waiting = continuation.withLock { continuation in
                defer { continuation = nil }
                return continuation
            }
            waiting?.resume(returning: (snapshot, outcome))
        }
    }
}
