import Foundation
import Synchronization

/// ExitStatus is how a child process ended.
struct ExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// The exit code, or the signal number when `signaled` is true.
    var code: Int32
    /// True when the process was ended by a signal rather than by exiting.
    var signaled: Bool

    var description: String { signaled ? "killed by signal \(code)" : "exit status \(code)" }
}

/// ProcessExit records the end of one child process started with Foundation's
/// `Process`, and lets any number of tasks await it without blocking a thread.
/// Set `handler` as the process's `terminationHandler` before `run()`.
final class ProcessExit: Sendable {
    private struct State {
        var status: ExitStatus?
        var waiters: [CheckedContinuation<ExitStatus, Never>] = []
    }

    private let state = Mutex(State())

    /// The termination handler to give to `Process` before it is run.
    var handler: @Sendable (Process) -> Void {
        { [self] process in
            finish(ExitStatus(code: process.terminationStatus,
                              signaled: process.terminationReason == .uncaughtSignal))
        }
    }

    /// How the process ended, or nil while it runs.
    var status: ExitStatus? { state.withLock { $0.status } }

    /// Records the end of the process and wakes every waiter.
    func finish(_ status: ExitStatus) {
        let waiters = state.withLock { state -> [CheckedContinuation<ExitStatus, Never>] in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// Waits (suspending, not blocking) until the process has ended.
    func wait() async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> ExitStatus? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Blocks the calling thread until the process has ended or `timeout`
    /// passed; true if it ended. For synchronous clean-up paths only
    /// (`stop()`, `deinit`), which must not suspend.
    func waitBlocking(timeout: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while status == nil {
            if clock.now >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
