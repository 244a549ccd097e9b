import Dispatch
import Foundation
import Shell
import Locking
#if canImport(Glibc)
import Glibc
#endif

/// InteractiveSession is the `sftp>` prompt: a line read with `LineEditor`
/// (history, completion of command names and of remote and local names),
/// then run to its end. Ctrl-C while a command runs cancels it (files
/// being copied stay under their temporary names) and returns to the
/// prompt; Ctrl-D or `quit` ends the session.
struct InteractiveSession {
    let session: ShellSession
    var state: ShellState
    /// Called when a command ended (the progress meter is cleared before
    /// the next prompt).
    var commandEnded: @Sendable () -> Void = {}

    init(session: ShellSession, state: ShellState) {
        self.session = session
        self.state = state
    }

    /// Runs until the user quits; the exit status (0, or 1 when the last
    /// command failed, as sftp).
    mutating func run() async -> Int32 {
        let editor = LineEditor()
        let running = Locked<Task<(ShellSession.Outcome, ShellState), Never>?>(nil)
        signal(SIGINT, SIG_IGN)
        let interrupts = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupts.setEventHandler { running.withLock { $0?.cancel() } }
        interrupts.resume()
        defer {
            interrupts.cancel()
            signal(SIGINT, SIG_DFL)
        }
        var status: Int32 = 0
        while true {
            let snapshot = state
            let session = self.session
            guard let line = await editor.readLine(prompt: "sftp> ", complete: { before in
                await session.complete(before, snapshot)
            }) else { break }
            let parsed: ShellLine
            do { parsed = try CommandParser.parse(line) } catch {
                session.output.standardError(error.message + "\n")
                status = 1
                continue
            }
            guard let command = parsed.command else { continue }
            let current = state
            let task = Task { [current] in
                var state = current
                let outcome = await session.execute(command, &state)
                return (outcome, state)
            }
            running.withLock { $0 = task }
            let (outcome, after) = await task.value
            running.withLock { $0 = nil }
            commandEnded()
            if task.isCancelled { session.output.standardError("Interrupted.\n") }
            state = after
            switch outcome {
            case .quit: return status
            case .failed: status = 1
            case .succeeded: status = 0
            }
        }
        return status
    }
}
