import FerryKit
import Locking

/// RetryWaits lets Ctrl-C end the wait before a reconnect (`--retry-delay`)
/// of get, put, cp, sync and `sftp -b` at once.
///
/// `TransferInterruption.endingRetryWaits` runs a retry loop
/// (`RetryPolicy.run`) in a child task beside one that cancels it on
/// SIGINT; the loop's wait ends with the cancellation and the loop throws
/// `CancellationError`. SIGINT is watched only from `arm()`, which the
/// loop's `onRetry` calls before the wait, to `disarm()`, which the next
/// try calls once connected (or the loop's end): elsewhere Ctrl-C does
/// what it did before (get and put watch for it themselves while a
/// transfer runs; otherwise it ends the process).
final class RetryWaits: Sendable {
    private let interruption: TransferInterruption
    private let watching = Locked<InterruptSignal?>(nil)
    private let signals: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init(_ interruption: TransferInterruption) {
        self.interruption = interruption
        (signals, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Watches for SIGINT (until `disarm()`).
    func arm() {
        let continuation = continuation
        watching.withLock { watching in
            guard watching == nil else { return }
            watching = interruption.watch { continuation.yield() }
        }
    }

    /// Stops watching; SIGINT does what it does by default again.
    func disarm() {
        watching.withLock { watching in
            watching?.cancel()
            watching = nil
        }
    }

    /// Returns at the first SIGINT while armed, or when the task is cancelled.
    func interrupted() async {
        for await _ in signals { return }
    }
}

extension TransferInterruption {
    /// Runs `body`, a retry loop that calls `RetryWaits.arm()` before each
    /// wait and `disarm()` when a try begins, so that a SIGINT while armed
    /// cancels it (and is noted: `interrupted` is then true). Returns what
    /// `body` returns, or throws what it throws (`CancellationError` when
    /// the SIGINT ended a wait).
    func endingRetryWaits<T>(_ body: (RetryWaits) async throws -> T) async throws -> T {
        let waits = RetryWaits(self)
        defer { waits.disarm() }
        return try await withoutActuallyEscaping(body) { body in
            // Only the child task calls `body`, while this task waits for
            // it in the group.
            let body = StructuredOnly(body)
            return try await withThrowingTaskGroup(of: StructuredOnly<T>?.self) { group in
                group.addTask { StructuredOnly(try await body.value(waits)) }
                group.addTask {
                    await waits.interrupted()
                    return nil
                }
                var result: StructuredOnly<T>?
                while let next = try await group.next() {
                    if let next { result = next }
                    group.cancelAll()
                }
                guard let result else { throw CancellationError() }
                return result.value
            }
        }
    }
}
