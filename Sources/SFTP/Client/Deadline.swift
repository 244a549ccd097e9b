import Locking

/// Runs `operation` in a task of its own on `executor` and waits for it, for
/// at most `timeout`: then throws `expired()` (and a cancelled caller gets
/// `CancellationError`) without waiting for the operation to end.
///
/// For waits on a `ByteStream`, whose `read` need not end when its task is
/// cancelled: a structured timeout (a task group) would wait for the read
/// anyway, which is the hang it is meant to prevent. The operation is
/// cancelled and its result dropped; the caller closes the stream, which
/// ends it.
func withDeadline<T: Sendable>(_ timeout: Duration, executor: (any TaskExecutor)?,
                               expired: @escaping @Sendable () -> SFTPError,
                               _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, timeout: timeout, executor: executor, expired: expired, operation)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// DeadlineRace is the state of one `withDeadline`: the first of the
/// operation, the timer and the caller's cancellation to finish resumes
/// the caller; the other two are cancelled or ignored.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, Error>?
        /// The operation and the timer, cancelled when the race is decided.
        var tasks: [Task<Void, Never>] = []
        /// Decided before `start` ran (the caller was cancelled at once).
        var early: Result<T, Error>?
        var decided = false
    }

    private let state = Locked(State())

    func start(_ continuation: CheckedContinuation<T, Error>, timeout: Duration, executor: (any TaskExecutor)?,
               expired: @escaping @Sendable () -> SFTPError, _ operation: @escaping @Sendable () async throws -> T) {
        let early = state.withLock { state -> Result<T, Error>? in
            if state.decided { return state.early ?? .failure(CancellationError()) }
            state.continuation = continuation
            return nil
        }
        if let early {
            continuation.resume(with: early)
            return
        }
        let work = Task(executorPreference: executor) {
            do { self.finish(.success(try await operation())) } catch { self.finish(.failure(error)) }
        }
        let timer = Task(executorPreference: executor) {
            // Cancelled (the race decided): end without a word.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self.finish(.failure(expired()))
        }
        let decided = state.withLock { state -> Bool in
            state.tasks = [work, timer]
            return state.decided
        }
        if decided {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<T, Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, Error>?, [Task<Void, Never>]) in
            guard !state.decided else { return (nil, []) }
            state.decided = true
            if state.continuation == nil { state.early = result }
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}

extension Duration {
    /// The duration in seconds as people write it in a message: "120 s",
    /// "0.3 s" (to the millisecond).
    var secondsText: String {
        let (seconds, attoseconds) = components
        let milliseconds = Int64(attoseconds / 1_000_000_000_000_000)
        guard milliseconds != 0 else { return "\(seconds) s" }
        var fraction = String(milliseconds)
        fraction = String(repeating: "0", count: max(0, 3 - fraction.count)) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(seconds).\(fraction) s"
    }
}
