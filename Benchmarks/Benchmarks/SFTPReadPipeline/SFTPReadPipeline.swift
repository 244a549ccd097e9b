import Benchmark
import NIOCore
import SFTP

/// `ReadPipeline` reading a 16 MiB file from an in-memory SFTP server: the
/// client engine's cost per file (request encoding, reply matching, the
/// window, in-order delivery) with no network and no crypto. The server
/// answers in the stream's `write`, so replies are ready when the client
/// reads; it allocates one buffer per DATA reply, which the malloc counts
/// include (the client alone should add nothing per block in steady state).
let benchmarks: @Sendable () -> Void = {
    let fileSize = 16 << 20
    let contents = ByteBuffer(repeating: 0x5a, count: fileSize)
    for blockLength in [32 * 1024, 255 * 1024] {
        Benchmark(
            "read 16 MiB, \(blockLength / 1024) KiB blocks, 64 outstanding",
            configuration: .init(
                metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident],
                maxDuration: .seconds(3),
                maxIterations: 200,
                thresholds: thresholds
            )
        ) { benchmark in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let server = InMemorySFTPServer(file: contents)
                let client = try await SFTPClient.connect(over: server)
                let handle = try await client.open(SFTPPath("/file"), flags: [.read])
                var received = 0
                try await ReadPipeline(client: client, handle: handle, blockLength: blockLength, maxOutstanding: 64).run { _, data in
                    received += data.readableBytes
                }
                try await client.close(handle)
                client.close()
                guard received == fileSize else { fatalError("read \(received) of \(fileSize) bytes") }
            }
            benchmark.stopMeasurement()
        }
    }
}

/// Regression thresholds for `baseline check`: time on a shared machine is
/// noisy, so only a large slowdown fails; allocations are deterministic, so
/// a few percent more (async scheduling varies a little) fails.
var thresholds: [BenchmarkMetric: BenchmarkThresholds] { [
    .wallClock: .init(relative: [.p50: 35.0]),
    .throughput: .init(relative: [.p50: 35.0]),
    .mallocCountTotal: .init(relative: [.p50: 5.0], absolute: [:]),
] }
