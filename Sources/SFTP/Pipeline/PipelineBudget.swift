import NIOCore
import Locking

/// PipelineBudget caps the bytes that all pipelines of a transfer have
/// asked for and not yet handed on: READ data requested but not yet given
/// to the sink, WRITE data sent but not yet acknowledged.
///
/// Each file's pipeline grows its window as replies come (see
/// `PipelineWindow`); with many files in flight, per-file limits alone
/// would multiply (64 files × 16 MiB). One shared budget keeps the whole
/// transfer's buffers under a fixed size whatever the file count.
///
/// A pipeline only ever waits for the budget when it has nothing
/// outstanding (`acquire`); otherwise it takes what is free without
/// waiting (`tryAcquire`) and lets its replies release bytes. Since every
/// outstanding request already holds its share, the replies that release
/// bytes never need more of it: no deadlock. Waiters are served in order,
/// and `tryAcquire` fails while anyone waits, so a busy big file cannot
/// starve the small ones queued behind it.
public final class PipelineBudget: Sendable {
    private struct State {
        var capacity: Int
        var available: Int
        var waiters = CircularBuffer<(Int, CheckedContinuation<Void, Never>)>()

        /// Wakes the waiters that now fit, in order.
        mutating func wakeReady(into woken: inout [CheckedContinuation<Void, Never>]) {
            while let (wanted, continuation) = waiters.first, wanted <= available {
                available -= wanted
                waiters.removeFirst()
                woken.append(continuation)
            }
        }
    }

    private let state: Locked<State>

    /// 64 MiB: a 50 ms link at 1 GB/s needs 50 MB in flight.
    public static let defaultCapacity = 64 << 20

    public init(bytes: Int = PipelineBudget.defaultCapacity) {
        state = Locked(State(capacity: max(1, bytes), available: max(1, bytes)))
    }

    /// The most bytes outstanding at once.
    public var capacity: Int { state.withLock { $0.capacity } }

    /// Raises the capacity to `bytes` (never lowers it). A transfer sizes
    /// its budget before it knows the link; one that then measures a long
    /// round trip needs more in flight to cover it (see
    /// `TransferOptions.longLinkMemoryBudget`). Pipelines that took their
    /// block length from the old capacity keep it; waiters that now fit
    /// are woken.
    public func raise(to bytes: Int) {
        var woken: [CheckedContinuation<Void, Never>] = []
        state.withLock { state in
            guard bytes > state.capacity else { return }
            state.available += bytes - state.capacity
            state.capacity = bytes
            state.wakeReady(into: &woken)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Bytes free now (for tests and reports).
    public var available: Int { state.withLock { $0.available } }
    /// Pipelines waiting in line (for tests).
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Takes `bytes` (at most the capacity) if free and nobody waits.
    func tryAcquire(_ bytes: Int) -> Bool {
        state.withLock { state in
            let bytes = min(bytes, state.capacity)
            guard state.waiters.isEmpty, state.available >= bytes else { return false }
            state.available -= bytes
            return true
        }
    }

    /// Takes `bytes` (at most the capacity), waiting in line until free.
    /// Returns what was taken.
    @discardableResult
    public func acquire(_ bytes: Int) async -> Int {
        let bytes = min(bytes, capacity)
        if tryAcquire(bytes) { return bytes }
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.waiters.isEmpty, state.available >= bytes {
                    state.available -= bytes
                    return true
                }
                state.waiters.append((bytes, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
        return bytes
    }

    /// Gives back `bytes` and wakes the waiters that now fit, in order.
    public func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        var woken: [CheckedContinuation<Void, Never>] = []
        state.withLock { state in
            state.available = min(state.capacity, state.available + bytes)
            state.wakeReady(into: &woken)
        }
        for continuation in woken { continuation.resume() }
    }
}
