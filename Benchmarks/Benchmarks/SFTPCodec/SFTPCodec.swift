import Benchmark
import NIOCore
import SFTP

/// The SFTP codec on the data path: encoding the READ and WRITE requests a
/// transfer sends, and cutting DATA replies out of the received byte stream
/// and decoding them (`SFTPFrameDecoder` + `SFTPMessage.decode`). A DATA
/// payload should come out as a slice of the received chunk, not a copy.
let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        maxDuration: .seconds(2),
        maxIterations: 100_000,
        thresholds: thresholds
    )
    let handle = SFTPHandle(bytes: Array("00000001".utf8))

    Benchmark("encode READ request", configuration: configuration) { benchmark in
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        var offset: UInt64 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            SFTPMessage.request(id: UInt32(truncatingIfNeeded: offset), .read(handle: handle, offset: offset, length: 32768)).encode(into: &buffer)
            offset &+= 32768
            blackHole(buffer.readableBytes)
        }
        benchmark.stopMeasurement()
    }

    for size in [32 * 1024, 255 * 1024] {
        Benchmark("encode WRITE request \(size / 1024) KiB", configuration: configuration) { benchmark in
            let data = ByteBuffer(repeating: 0x5a, count: size)
            var buffer = ByteBufferAllocator().buffer(capacity: size + 256)
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                buffer.clear()
                SFTPMessage.request(id: UInt32(truncatingIfNeeded: i), .write(handle: handle, offset: UInt64(i) * UInt64(size), data: data)).encode(into: &buffer)
                blackHole(buffer.readableBytes)
            }
            benchmark.stopMeasurement()
        }

        Benchmark("decode 8 DATA replies of \(size / 1024) KiB (frame + message)", configuration: configuration) { benchmark in
            // Eight replies in one received chunk, as they arrive from a channel.
            var chunk = ByteBufferAllocator().buffer(capacity: 8 * (size + 64))
            let data = ByteBuffer(repeating: 0xa5, count: size)
            for id in 0..<8 { SFTPMessage.reply(id: UInt32(id), .data(data)).encode(into: &chunk) }
            var decoder = SFTPFrameDecoder()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                decoder.append(chunk)
                while let body = try decoder.next() {
                    guard case .reply(_, .data(let payload)) = try SFTPMessage.decode(body) else { fatalError("not DATA") }
                    blackHole(payload.readableBytes)
                }
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("decode STATUS reply", configuration: configuration) { benchmark in
        var chunk = ByteBufferAllocator().buffer(capacity: 64)
        SFTPMessage.reply(id: 7, .status(SFTPStatus(code: .ok))).encode(into: &chunk)
        var decoder = SFTPFrameDecoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            decoder.append(chunk)
            while let body = try decoder.next() {
                blackHole(try SFTPMessage.decode(body))
            }
        }
        benchmark.stopMeasurement()
    }
}

/// Regression thresholds for `baseline check`: time on a shared machine is
/// noisy, so only a large slowdown fails; allocations are deterministic, so
/// any extra allocation per operation fails.
var thresholds: [BenchmarkMetric: BenchmarkThresholds] { [
    .wallClock: .init(relative: [.p50: 35.0]),
    .throughput: .init(relative: [.p50: 35.0]),
    .mallocCountTotal: .init(relative: [:], absolute: [.p50: 0, .p90: 0]),
] }
