import NIOCore
import Synchronization

/// EventLoopTaskExecutor runs Swift tasks on one NIO event loop: the
/// connection's own.
///
/// Without it, every reply that completes an `await` hops from the event
/// loop thread to Swift's cooperative pool and back again for the next
/// request: two thread wake-ups per SFTP round trip, which on a small
/// machine cost more CPU than the protocol work itself (measured on 2000
/// small files: most of ferry's CPU time was futex and scheduler time).
/// Code that runs under this executor's preference
/// (`withTaskExecutorPreference`, `Task(executorPreference:)`) resumes on the
/// same thread that decrypted the data, in the same turn of the loop.
///
/// Whatever runs here blocks the event loop while it runs, so it must not
/// wait on anything that needs the loop (a blocking read from the terminal,
/// a synchronous wait for a future). Short file-system calls are fine: that
/// is how OpenSSH's single-threaded sftp client works too.
///
/// Once the connection is closed its event loop shuts down; from then on
/// (`retire()`), jobs go to Swift's global executor instead, so a task that
/// outlives the connection still finishes rather than being dropped.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    public let eventLoop: EventLoop
    private let retired = Atomic<Bool>(false)

    public init(_ eventLoop: EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        if retired.load(ordering: .acquiring) {
            globalConcurrentExecutor.enqueue(job)
            return
        }
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Sends later jobs to the global executor: called before the event
    /// loop shuts down.
    func retire() { retired.store(true, ordering: .releasing) }
}
