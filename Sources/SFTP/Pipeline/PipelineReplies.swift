import Locking
import NIOCore

/// PipelineReplies is where the replies to one pipeline run's requests
/// land, in the order they arrive, until the pipeline takes them.
///
/// One per run, made before the first request: a reply costs no
/// allocation (no closure per request, no stream element, no continuation
/// object: the queue's storage is reused, and the pipeline waits with an
/// unsafe continuation, which lives in its task). The pipeline takes the
/// replies that are in without suspending, and suspends only when none is.
final class PipelineReplies: SFTPReplyReceiver {
    typealias Reply = (range: PipelineRange, result: Result<SFTPReply, SFTPError>)

    private struct State {
        var ready: CircularBuffer<Reply>
        var waiter: UnsafeContinuation<Reply?, Never>?
        /// Set by `end` (or the task's cancellation): later replies are
        /// dropped and `next` returns nil.
        var ended = false
    }

    private let state: Locked<State>

    /// The queue starts small (a small file's pipeline sees a few
    /// replies) and grows to what the run needs, once.
    init() {
        state = Locked(State(ready: CircularBuffer(initialCapacity: 16)))
    }

    func receive(_ range: PipelineRange, _ result: Result<SFTPReply, SFTPError>) {
        let waiter = state.withLock { state -> UnsafeContinuation<Reply?, Never>? in
            if state.ended { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.ready.append((range, result))
            return nil
        }
        waiter?.resume(returning: (range, result))
    }

    /// The next reply; nil once `end` was called or the task was cancelled
    /// (a cancelled pipeline stops: that is a failure, never the end of
    /// the file).
    func next() async -> Reply? {
        if Task.isCancelled {
            end()
            return nil
        }
        if let ready = state.withLock({ $0.ready.popFirst() }) { return ready }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Reply?, Never>) in
                let ready: Reply?? = state.withLock { state in
                    if let reply = state.ready.popFirst() { return .some(reply) }
                    if state.ended { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            end()
        }
    }

    /// No more replies are wanted: those in and those still to come are
    /// dropped, and a waiting `next` returns nil.
    func end() {
        let waiter = state.withLock { state -> UnsafeContinuation<Reply?, Never>? in
            state.ended = true
            state.ready.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
