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
}
