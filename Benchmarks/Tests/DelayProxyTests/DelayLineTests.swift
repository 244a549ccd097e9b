import NIOCore
import Testing

import DelayProxyCore

/// DelayLine and TokenBucket run on a synthetic clock here, so these checks are exact.
struct DelayLineTests {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func bytes(_ values: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: values) }

    @Test func nothingLeavesBeforeTheDelay() {
        var line = DelayLine(delay: .milliseconds(50), capacity: 1 << 20)
        line.enqueue(bytes([1, 2, 3]), now: t0)
        guard case .wait(let until) = line.next(now: t0 + .milliseconds(49)) else {
            Issue.record("expected wait")
            return
        }
        #expect(until == t0 + .milliseconds(50))
        guard case .write(let out) = line.next(now: t0 + .milliseconds(50)) else {
            Issue.record("expected write")
            return
        }
        #expect(out == bytes([1, 2, 3]))
        guard case .idle = line.next(now: t0 + .milliseconds(50)) else {
            Issue.record("expected idle")
            return
        }
    }

    @Test func orderIsKeptAndEndComesLast() {
        var line = DelayLine(delay: .milliseconds(10), capacity: 1 << 20)
        var generator = SplitMix64(seed: 7)
        var sent: [UInt8] = []
        for i in 0..<200 {
            let n = Int(generator.next() % 300) + 1
            let chunk = (0..<n).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            sent += chunk
            line.enqueue(bytes(chunk), now: t0 + .microseconds(Int64(i)))
        }
        line.enqueueEnd(.halfClose, now: t0 + .milliseconds(1))
        line.enqueue(bytes([9]), now: t0 + .milliseconds(2))  // after EOF: dropped
        var received: [UInt8] = []
        var end: DelayLine.End?
        loop: while true {
            switch line.next(now: t0 + .seconds(1)) {
            case .write(var buffer): received += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end(let e): end = e
            case .idle: break loop
            case .wait: Issue.record("unexpected wait"); break loop
            }
        }
        #expect(received == sent)
        #expect(end == .halfClose)
        #expect(line.bufferedBytes == 0)
    }

    @Test func pausesAboveCapacity() {
        var line = DelayLine(delay: .milliseconds(10), capacity: 1000)
        line.enqueue(ByteBuffer(repeating: 0, count: 1000), now: t0)
        #expect(!line.shouldPauseReading)
        line.enqueue(ByteBuffer(repeating: 0, count: 1), now: t0)
        #expect(line.shouldPauseReading)
        #expect(line.peakBufferedBytes == 1001)
        _ = line.next(now: t0 + .milliseconds(10))
        #expect(!line.shouldPauseReading)
        #expect(line.bufferedBytes == 1)
    }

    @Test func closeMayFollowHalfCloseButNotTheOtherWay() {
        var line = DelayLine(delay: .zero, capacity: 10)
        line.enqueueEnd(.halfClose, now: t0)
        line.enqueueEnd(.close, now: t0)
        line.enqueueEnd(.halfClose, now: t0)
        guard case .end(.halfClose) = line.next(now: t0), case .end(.close) = line.next(now: t0),
            case .idle = line.next(now: t0)
        else {
            Issue.record("expected halfClose, close, idle")
            return
        }
    }

    @Test func rateCapPacesOutput() {
        // 8 Mbit/s = 1,000,000 bytes/s; 2,000,000 bytes must take at least
        // (2,000,000 - burst) / 1,000,000 s of synthetic time.
        let bucket = TokenBucket(megabitsPerSecond: 8)
        var line = DelayLine(delay: .zero, rate: bucket, capacity: 1 << 30)
        let total = 2_000_000
        for _ in 0..<(total / 50_000) { line.enqueue(ByteBuffer(repeating: 1, count: 50_000), now: t0) }
        var now = t0
        var out = 0
        var writes = 0
        loop: while true {
            switch line.next(now: now) {
            case .write(let buffer):
                out += buffer.readableBytes
                writes += 1
            case .wait(let until):
                #expect(until > now)
                now = until
            case .idle, .end: break loop
            }
        }
        #expect(out == total)
        let seconds = Double((now - t0).nanoseconds) / 1e9
        let lowerBound = Double(total - bucket.burst) / bucket.bytesPerSecond
        #expect(seconds >= lowerBound * 0.999)
        #expect(seconds <= lowerBound * 1.05 + 0.01)  // synthetic clock: exact, no machine load involved
        #expect(writes < total / 1000)  // writes are not shredded into tiny pieces
    }

    @Test func defaultCapacityCoversTheBandwidthDelayProduct() {
        let c = DelayProxyConfiguration(targetPort: 1, delay: .milliseconds(50), rateMegabitsPerSecond: 100)
        // 100 Mbit/s × 50 ms = 625,000 bytes.
        #expect(c.effectiveBufferCapacity >= 2 * 625_000)
        #expect(DelayProxyConfiguration(targetPort: 1).effectiveBufferCapacity == 16 << 20)
        #expect(DelayProxyConfiguration(targetPort: 1, bufferCapacity: 4096).effectiveBufferCapacity == 4096)
    }
}
