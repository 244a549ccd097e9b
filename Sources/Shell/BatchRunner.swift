import SFTP

/// BatchRunner runs a batch of sftp command lines as `sftp -b` does, with
/// one difference that only changes how long it takes:
///
/// **Consecutive transfers run together.** A run of consecutive `get`/
/// `reget` lines, or of consecutive `put`/`reput` lines, is a group whose
/// commands run at once (up to `maxCommandsInFlight`, sharing the
/// session's files in flight and memory budget). Every other command —
/// `cd`, `lcd`, `ls`, `rm`, `rename`, `mkdir`, `chmod`, `!`, … — and every
/// switch between getting and putting is a barrier: it starts only when
/// everything before it has ended, and nothing after it starts before it
/// ends. Commands of a group that write one destination are copied in
/// order (the last wins, as in sftp).
///
/// **Errors keep sftp's meaning.** Lines start in order, and each is echoed
/// (`sftp> line`) when it starts. When a command fails and its line has no
/// `-` prefix, no later line starts and the batch ends with status 1. The
/// later transfers of its group that had already started run to their end
/// (each file lands whole under its final name or not at all: the
/// engine's temporary name and rename) and are then rolled back: the
/// files they created are removed, so the trees end as `sftp -b` leaves
/// them. A file such a transfer replaced cannot be restored, and a
/// recursive transfer is not rolled back; the runner says so, line by
/// line (`laterStarted`).
///
/// **A lost connection is not a failure when `reconnect` is set**
/// (`--retries`): a command or group that failed because the session
/// ended runs again on a new session, its transfers as reget/reput (what
/// landed is verified and skipped, partial files continue). The state
/// (directories, umask, progress) carries over; a command that changes
/// the server and was in flight when the connection went may have taken
/// effect, and its rerun then fails as it would (`mkdir` of a directory
/// that exists), which the runner says.
public struct BatchRunner: Sendable {
    /// The session commands run on; a reconnect replaces it.
    public private(set) var session: ShellSession
    /// Makes a new session when the current one's connection was lost
    /// (`lost` says how), or returns nil when it will not: the retries are
    /// spent, the user pressed Ctrl-C, connecting failed. It writes its own
    /// lines. Nil: a lost connection fails the command as any error does.
    public var reconnect: (@Sendable (_ lost: SFTPError) async -> ShellSession?)?
    /// The most commands of a group in flight at once.
    public var maxCommandsInFlight = 128
    /// The most files in flight over all running commands (capped by the
    /// server's open-handle limit).
    public var maxFilesInFlight = 128
    /// `sftp -b` ends at the first unignored failure; commands piped to a
    /// session without `-b` go on after one (and the status says so).
    public var stopOnError = true

    public init(session: ShellSession) {
        self.session = session
    }

    /// How a batch ended.
    public struct Result: Sendable {
        /// 0 when every command succeeded (or failed behind a `-`), 1 otherwise.
        public var exitStatus: Int32
        /// The 1-based line whose failure ended the batch.
        public var failedLine: Int?
        /// Lines after `failedLine` whose transfers had already started,
        /// and whether each succeeded.
        public var laterStarted: [LaterLine] = []
    }

    private enum Direction { case get, put }

    private struct Item: Sendable {
        var number: Int
        var text: [UInt8]
        var line: ShellLine
    }

    /// When the session ended under a failed command, a new one to rerun
    /// it on (nil: the failure stands).
    private mutating func recovered() async -> Bool {
        guard let reconnect, let lost = session.client.sessionFailure else { return false }
        guard let fresh = await reconnect(lost) else { return false }
        session = fresh
        return true
    }

    /// A transfer command as its rerun after a reconnect runs it: resumed
    /// (reget/reput), so what landed is skipped and partial files continue.
    static func resumed(_ command: ShellCommand) -> ShellCommand {
        switch command {
        case .get(var flags, let source, let destination):
            flags.resume = true
            return .get(flags, source: source, destination: destination)
        case .put(var flags, let source, let destination):
            flags.resume = true
            return .put(flags, source: source, destination: destination)
        default:
            return command
        }
    }

    /// Runs `lines` (without their newlines) from `state`.
    public mutating func run(_ lines: [[UInt8]], state initial: ShellState, echo: Bool = true) async -> Result {
        var state = initial
        var index = 0
        var failedAny = false
        let output = session.output
        func echoLine(_ item: Item) {
            if echo, !item.line.quiet { output.line("sftp> " + EscapedText.render(item.text)) }
        }
        while index < lines.count {
            let text = lines[index]
            let number = index + 1
            index += 1
            let line: ShellLine
            do { line = try CommandParser.parse(text) } catch {
                if echo { output.line("sftp> " + EscapedText.render(text)) }
                output.error(error.message)
                if error.ignoreErrors { continue }
                if stopOnError { return Result(exitStatus: 1, failedLine: number) }
                failedAny = true
                continue
            }
            guard let command = line.command else {
                if echo, !line.quiet { output.line("sftp> " + EscapedText.render(text)) }
                continue
            }
            let item = Item(number: number, text: text, line: line)
            guard let direction = Self.direction(of: command) else {
                echoLine(item)
                var outcome = await session.execute(command, &state)
                while outcome == .failed, Self.usesServer(command), await recovered() {
                    outcome = await session.execute(command, &state)
                    if outcome == .failed, Self.changesServer(command) {
                        output.error("the connection was lost while this command ran; it may have taken effect before")
                    }
                }
                switch outcome {
                case .quit: return Result(exitStatus: failedAny ? 1 : 0)
                case .failed where !line.ignoreErrors:
                    if stopOnError { return Result(exitStatus: 1, failedLine: number) }
                    failedAny = true
                default: break
                }
                continue
            }
            // Gather the group: this transfer and the ones of the same
            // direction right after it (blank and comment lines included).
            var group = [item]
            while index < lines.count, let next = try? CommandParser.parse(lines[index]) {
                if let command = next.command {
                    guard Self.direction(of: command) == direction else { break }
                }
                group.append(Item(number: index + 1, text: lines[index], line: next))
                index += 1
            }
            let transfers = group.filter { $0.line.command != nil }
            if transfers.count == 1 {
                for item in group { echoLine(item) }
                guard let command = item.line.command else { continue }
                var outcome = await session.transfer(command, state, width: filesPerCommand(1))
                while !outcome.succeeded, await recovered() {
                    outcome = await session.transfer(Self.resumed(command), state, width: filesPerCommand(1))
                }
                if !outcome.succeeded, !line.ignoreErrors {
                    if stopOnError { return Result(exitStatus: 1, failedLine: number) }
                    failedAny = true
                }
                continue
            }
            var end = await runGroup(group, state, echo: echoLine)
            while case .lost(let results) = end {
                guard await recovered() else {
                    end = await settled(results)
                    break
                }
                // Every line of the group again, resumed: what landed is
                // skipped, the rest continues; the lines are not echoed twice.
                let rerun = group.map { item in
                    var item = item
                    if let command = item.line.command { item.line.command = Self.resumed(command) }
                    return item
                }
                end = await runGroup(rerun, state, echo: { _ in })
            }
            if case .failed(let failure) = end {
                if stopOnError { return failure }
                failedAny = true
            }
        }
        return Result(exitStatus: failedAny ? 1 : 0)
    }

    /// The files in flight over a group (the server's open-handle limit
    /// caps it).
    private var totalFiles: Int {
        var total = maxFilesInFlight
        if let handles = session.client.limits?.maxOpenHandles, handles > 4 {
            total = min(total, Int(min(handles, 1 << 20)) - 2)
        }
        return max(1, total)
    }

    /// How many of a group's `count` commands run at once: never more than
    /// the files in flight allowed, so each has at least one.
    private func lanes(_ count: Int) -> Int { max(1, min(count, maxCommandsInFlight, totalFiles)) }

    /// The files in flight each command of a group of `count` gets.
    private func filesPerCommand(_ count: Int) -> Int { max(1, totalFiles / lanes(count)) }

    /// How a group ended.
    private enum GroupEnd {
        case succeeded
        /// A line failed: the result if it ends the batch.
        case failed(Result)
        /// A line failed because the session ended (nothing settled yet).
        case lost([LineResult])
    }

    private typealias LineResult = (line: Int, ignoreErrors: Bool, outcome: ShellSession.TransferOutcome)

    /// Runs one group's commands together. A failure while the session
    /// lives is settled (later lines rolled back); with `reconnect` set,
    /// one after the session ended is `.lost`, for a reconnect to rerun.
    private func runGroup(_ group: [Item], _ state: ShellState, echo: (Item) -> Void) async -> GroupEnd {
        let commands = group.filter { $0.line.command != nil }
        let width = filesPerCommand(commands.count)
        let lanes = self.lanes(commands.count)
        let session = self.session
        let stopOnError = self.stopOnError
        var results: [LineResult] = []
        var stopped = false
        await withTaskGroup(of: (Int, Bool, ShellSession.TransferOutcome).self) { tasks in
            var next = 0
            var running = 0
            func startReady() {
                while !stopped, running < lanes, next < group.count {
                    let item = group[next]
                    next += 1
                    echo(item)
                    guard let command = item.line.command else { continue }
                    running += 1
                    tasks.addTask {
                        let outcome = await session.transfer(command, state, width: width, tracking: stopOnError)
                        return (item.number, item.line.ignoreErrors, outcome)
                    }
                }
            }
            startReady()
            while let (number, ignoreErrors, outcome) = await tasks.next() {
                running -= 1
                results.append((number, ignoreErrors, outcome))
                // After a failure no later line starts.
                if !outcome.succeeded, !ignoreErrors, stopOnError { stopped = true }
                startReady()
            }
        }
        if results.contains(where: { !$0.outcome.succeeded }), reconnect != nil, session.client.sessionFailure != nil {
            return .lost(results)
        }
        return await settled(results)
    }

    /// The end of a group from its lines' results: the first unignored
    /// failure, with the later lines that had started rolled back.
    private func settled(_ results: [LineResult]) async -> GroupEnd {
        guard let failedLine = results.filter({ !$0.outcome.succeeded && !$0.ignoreErrors }).map(\.line).min() else { return .succeeded }
        var later: [LaterLine] = []
        for result in results.sorted(by: { $0.line < $1.line }) where result.line > failedLine {
            later.append(await settle(result.line, result.outcome, after: failedLine))
        }
        return .failed(Result(exitStatus: 1, failedLine: failedLine, laterStarted: later))
    }

    /// Undoes what a line that started before an earlier line failed
    /// created, and says what became of it.
    private func settle(_ line: Int, _ outcome: ShellSession.TransferOutcome, after failedLine: Int) async -> LaterLine {
        let output = session.output
        let prefix = "line \(line) had started before line \(failedLine) failed: "
        let left = await session.undo(outcome)
        let removed = outcome.created.filter { !left.contains($0) }
        let kept = outcome.replaced + left
        var state = LaterLine.State.rolledBack
        if outcome.untracked {
            state = .kept
            output.error(prefix + (outcome.succeeded ? "it completed (a recursive transfer is not rolled back)" : "it failed too"))
        } else if kept.isEmpty {
            output.error(prefix + (removed.isEmpty ? "it wrote nothing" : "rolled back (removed \(removed.map(EscapedName.render).joined(separator: ", ")))"))
        } else {
            state = .kept
            output.error(prefix + "kept \(kept.map(EscapedName.render).joined(separator: ", ")) (replaced files cannot be restored; each landed whole)"
                + (removed.isEmpty ? "" : "; removed \(removed.map(EscapedName.render).joined(separator: ", "))"))
        }
        return LaterLine(line: line, state: state, succeeded: outcome.succeeded)
    }

    /// What became of a line that started before an earlier line of its
    /// group failed.
    public struct LaterLine: Sendable, Equatable {
        public enum State: Sendable, Equatable {
            /// Everything it created was removed again (or it wrote nothing).
            case rolledBack
            /// Some of its files stay: they replaced files that existed
            /// (each whole, never partial), or could not be removed.
            case kept
        }
        public var line: Int
        public var state: State
        public var succeeded: Bool
    }

    /// Commands that talk to the server (a local one's failure is its own).
    private static func usesServer(_ command: ShellCommand) -> Bool {
        switch command {
        case .lls, .lcd, .lpwd, .lmkdir, .lumask, .progress, .version, .help, .shell, .quit: false
        default: true
        }
    }

    /// Commands whose rerun can find their own earlier effect.
    private static func changesServer(_ command: ShellCommand) -> Bool {
        switch command {
        case .mkdir, .rmdir, .rm, .rename, .link, .chmod, .chown, .chgrp: true
        default: false
        }
    }

    private static func direction(of command: ShellCommand) -> Direction? {
        switch command {
        case .get: .get
        case .put: .put
        default: nil
        }
    }
}

/// EscapedText renders a line for echoing: bytes that are not UTF-8 as
/// `\xNN` (the executable escapes control characters).
enum EscapedText {
    static func render(_ bytes: [UInt8]) -> String { EscapedName.render(bytes) }
}
