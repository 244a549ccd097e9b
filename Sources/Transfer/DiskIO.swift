import NIOCore
import NIOPosix

/// DiskIO runs the data path's blocking file calls (pwrite of downloaded
/// blocks, pread of blocks to upload) on NIO's blocking thread pool.
///
/// The transfer's tasks run on the connection's event loop (see
/// `EventLoopTaskExecutor`); a pwrite there would stall every packet of the
/// connection behind a slow disk, keepalives included. One hand-off per
/// block (up to 255 KiB) costs little next to the copy itself, and lets
/// decryption and disk writes overlap on two cores. Metadata calls (open,
/// rename, chmod) stay on the loop: they are few and short.
enum DiskIO {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// Starts `body` on the pool now, to be awaited later (a read ahead).
    /// Its result lands on the caller's event loop when it runs on one, so
    /// the waiter resumes there: two thread hand-offs, where a `Task`
    /// around `run` took four or more (the task's start on the global
    /// pool, the pool, the task's resumption, the waiter's).
    static func start<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> Job<T> {
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
        return Job(future: NIOThreadPool.singleton.runIfActive(eventLoop: loop, body))
    }

    /// A call already done, as a job: `value` is at hand when awaited.
    static func finished<T: Sendable>(_ value: T) -> Job<T> {
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
        return Job(future: loop.makeSucceededFuture(value))
    }

    /// A call started with `start`.
    struct Job<T: Sendable>: Sendable {
        fileprivate let future: EventLoopFuture<T>

        /// Waits for the call's result.
        var value: T {
            get async throws { try await future.get() }
        }
    }
}
