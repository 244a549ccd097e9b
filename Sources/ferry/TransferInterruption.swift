import ArgumentParser
import Foundation
import Locking
import Transfer

/// TransferInterruption is what get, put and cp need to end well on
/// Ctrl-C and to say what a failed run left behind.
///
/// The first SIGINT cancels the transfer: every pipeline stops asking,
/// no file is renamed into place unless complete, and partial files stay
/// under their temporary names (a second SIGINT ends the process as
/// usual). The exit status is then 130, as a shell reports a process
/// ended by SIGINT and ssh tools exit. Whatever ended the run, when it
/// kept partial files, one line says that `-a` continues them.
final class TransferInterruption: Sendable {
    private struct State {
        var interrupted = false
        var partialFiles = 0
        /// The SIGINTs of the latest `start()`: a stream of its own each
        /// time, as a stream ends for good when a task waiting on it is
        /// cancelled (each connection's transfer waits on one).
        var signals: AsyncStream<Void>?
    }

    private let state = Locked(State())

    /// How get and put continue what a run kept.
    static let continueWithA = "run the same command with -a to continue"

    /// As bash and ssh: 128 + SIGINT.
    static let exitStatus: Int32 = 130

    init() {}

    /// Watches for SIGINT until the returned signal's `cancel()`; each
    /// one yields to the stream `waitForSignal()` waits on.
    func start() -> InterruptSignal {
        let (signals, continuation) = AsyncStream.makeStream(of: Void.self)
        state.withLock { $0.signals = signals }
        return watch { continuation.yield() }
    }

    /// Watches for SIGINT until the returned signal's `cancel()`: notes
    /// the interruption, then calls `handler`.
    func watch(_ handler: @escaping @Sendable () -> Void) -> InterruptSignal {
        InterruptSignal { [self] in
            state.withLock { $0.interrupted = true }
            handler()
        }
    }

    var interrupted: Bool { state.withLock { $0.interrupted } }
    var partialFiles: Int { state.withLock { $0.partialFiles } }

    /// Counts the partial files the transfer reports keeping.
    func note(_ event: TransferEvent) {
        if case .partialKept = event { state.withLock { $0.partialFiles += 1 } }
    }

    /// Starts the count anew: a reconnect resumes the files an earlier
    /// connection kept, and only what the last one keeps is left over.
    func forgetPartialFiles() {
        state.withLock { $0.partialFiles = 0 }
    }

    /// Waits for a SIGINT of the latest `start()`; returns early when the
    /// task is cancelled (at once without a `start()`).
    func waitForSignal() async {
        guard let signals = state.withLock({ $0.signals }) else { return }
        for await _ in signals { return }
    }

    /// Runs `body` as a child task on `executor` beside one that waits
    /// for a SIGINT of the latest `start()`: the first one cancels `body`
    /// (every pipeline stops asking; partial files stay). Returns what
    /// `body` returned, cancelled or not; `fallback` only if it never
    /// returned, which a task group does not allow.
    ///
    /// The transfer runs on the connection's event loop (`executor`): no
    /// thread hop between a reply arriving and the task that waits for it.
    func cancellingOnSignal<Result>(on executor: any TaskExecutor, orElse fallback: Result,
                                    _ body: () async -> Result) async -> Result {
        await withoutActuallyEscaping(body) { body in
            // Only the child task calls `body`, while this task waits for
            // it in the group: never two at once.
            let work = StructuredOnly(body)
            return await withTaskGroup(of: StructuredOnly<Result>?.self) { group in
                group.addTask(executorPreference: executor) { StructuredOnly(await work.value()) }
                group.addTask {
                    await self.waitForSignal()
                    return nil
                }
                var result: Result?
                while let next = await group.next() {
                    if let next {
                        result = next.value
                        group.cancelAll()
                    } else if interrupted {
                        group.cancelAll()
                    }
                }
                return result ?? fallback
            }
        }
    }

    /// The one line that tells the user how to continue, or nil when
    /// nothing was kept. `continuing` says how: get and put continue with
    /// -a, a sync by running again (it always resumes), a batch with
    /// reget and reput.
    static func hint(partialFiles count: Int, continuing: String = continueWithA) -> String? {
        guard count > 0 else { return nil }
        let files = count == 1 ? "1 partial file kept" : "\(count) partial files kept"
        return "ferry: \(files); \(continuing)"
    }

    /// Says on stderr that the run was interrupted and, when partial files
    /// were kept, how to continue them (`hint`); returns the exit status
    /// to end with (130).
    func ended(continuing: String = TransferInterruption.continueWithA) -> ExitCode {
        FileHandle.standardError.write(Data("ferry: interrupted\n".utf8))
        if let hint = Self.hint(partialFiles: partialFiles, continuing: continuing) {
            FileHandle.standardError.write(Data((hint + "\n").utf8))
        }
        return ExitCode(Self.exitStatus)
    }

    /// sftp's line for a resumed file ("Resuming upload of %s to %s"),
    /// with where it continues.
    static func resumingLine(source: String, destination: String, offset: UInt64, upload: Bool) -> String {
        "Resuming \(upload ? "upload" : "download") of \(printable(source)) to \(printable(destination)) at \(offset) bytes"
    }
}

/// StructuredOnly hands a value that is not Sendable (the bodies of get
/// and put, closures over the command's arguments) to one child task of a
/// task group while its parent only waits for that group: the value is
/// used by one task at a time, which the compiler cannot see.
struct StructuredOnly<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
