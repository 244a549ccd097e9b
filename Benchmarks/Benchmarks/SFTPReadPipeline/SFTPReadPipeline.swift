import Benchmark
import InMemorySFTP
import NIOCore
import SFTP

/// The SFTP client's pipelines against an in-memory SFTP server
/// (`InMemorySFTPServer`): the engine's cost (request encoding, reply
/// matching, the window, in-order delivery) with no network and no crypto.
/// The server answers in the stream's `write`, so replies are ready when
/// the client reads; it allocates one buffer per reply, which the malloc
/// counts include.
///
/// Two kinds of benchmark:
///
/// - "read 16 MiB …": one operation is a whole file: `SFTPClient.connect`,
///   OPEN, `ReadPipeline` to EOF, CLOSE.
/// - "READ replies …" and "WRITE requests …": the steady state. The session
///   and the handle are opened before the measurement starts; one run
///   moves 1000 blocks (`scalingFactor: .kilo`), so the malloc count of a
///   run divided by 1000 (what `--scale` shows) is the allocations per
///   READ reply or per WRITE request, the one of the server's reply
///   included, plus the pipeline's own setup spread over 1000 requests.
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
                let (client, handle) = try await PipelineScenario.open(server)
                let received = try await PipelineScenario.read(client, handle, blockLength: blockLength)
                try await client.close(handle)
                client.close()
                guard received == fileSize else { fatalError("read \(received) of \(fileSize) bytes") }
            }
            benchmark.stopMeasurement()
        }
    }

    // (block, chunk): replies whole, and 255 KiB replies cut into the
    // 32 KiB pieces sshd sends them in.
    for (blockLength, chunk) in [(32 * 1024, nil), (255 * 1024, 32 * 1024)] as [(Int, Int?)] {
        let block = ByteBuffer(repeating: 0x5a, count: blockLength)
        let cut = chunk.map { ", in \($0 / 1024) KiB chunks" } ?? ""
        Benchmark(
            "READ replies, \(blockLength / 1024) KiB\(cut), 64 outstanding",
            configuration: steadyState
        ) { benchmark in
            let blocks = benchmark.scaledIterations.count
            let server = InMemorySFTPServer(file: block, size: blocks * blockLength, chunkLength: chunk)
            let (client, handle) = try await PipelineScenario.open(server)
            benchmark.startMeasurement()
            let received = try await PipelineScenario.read(client, handle, blockLength: blockLength)
            benchmark.stopMeasurement()
            try await client.close(handle)
            client.close()
            guard received == blocks * blockLength else { fatalError("read \(received) of \(blocks * blockLength) bytes") }
        }
    }

    for blockLength in [32 * 1024, 255 * 1024] {
        let block = ByteBuffer(repeating: 0x5a, count: blockLength)
        Benchmark(
            "WRITE requests, \(blockLength / 1024) KiB, 64 outstanding",
            configuration: steadyState
        ) { benchmark in
            let blocks = benchmark.scaledIterations.count
            let server = InMemorySFTPServer(file: block)
            let (client, handle) = try await PipelineScenario.open(server, write: true)
            benchmark.startMeasurement()
            try await PipelineScenario.write(client, handle, source: block, blocks: blocks)
            benchmark.stopMeasurement()
            try await client.close(handle)
            client.close()
            guard server.bytesWritten == blocks * blockLength else {
                fatalError("wrote \(server.bytesWritten) of \(blocks * blockLength) bytes")
            }
        }
    }
}

/// One run is 1000 requests: the counts per run are per 1000 requests.
var steadyState: Benchmark.Configuration {
    .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 100,
        thresholds: thresholds
    )
}

/// Regression thresholds for `baseline check`: time on a shared machine is
/// noisy, so only a large slowdown fails; allocations are deterministic, so
/// a few percent more (async scheduling varies a little) fails.
var thresholds: [BenchmarkMetric: BenchmarkThresholds] { [
    .wallClock: .init(relative: [.p50: 35.0]),
    .throughput: .init(relative: [.p50: 35.0]),
    .mallocCountTotal: .init(relative: [.p50: 5.0], absolute: [:]),
] }
