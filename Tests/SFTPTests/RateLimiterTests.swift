import Foundation
import NIOCore
import SFTPTestSupport
import Locking
import Testing
@testable import SFTP

/// The token bucket under `-l`/`--bwlimit`, on made-up clocks: no test
/// here waits for real time or asserts one.
@Suite struct RateLimiterTests {
    static func ms(_ value: Int64) -> Duration { .milliseconds(value) }

    @Test func aFullBucketGrantsItsCapacityAtOnceThenPacesTheRate() {
        var bucket = TokenBucket(bytesPerSecond: 1000, capacity: 500, now: .zero)
        #expect(bucket.take(500, now: .zero) == .zero)
        // 250 bytes of debt at 1000 B/s: a quarter of a second.
        #expect(bucket.take(250, now: .zero) == Self.ms(250))
        // Whoever asks next waits behind the debt: 250 + 100 ms.
        #expect(bucket.take(100, now: .zero) == Self.ms(350))
        // Time pays the debt back.
        #expect(bucket.take(0, now: Self.ms(350)) == .zero)
        #expect(bucket.tokens == 0)
    }

    @Test func idleTimeSavesUpToTheCapacityOnly() {
        var bucket = TokenBucket(bytesPerSecond: 1000, capacity: 500, now: .zero)
        _ = bucket.take(500, now: .zero)
        // Ten idle seconds refill 500 bytes, not 10 000.
        #expect(bucket.take(500, now: .seconds(10)) == .zero)
        #expect(bucket.take(1, now: .seconds(10)) == Self.ms(1))
    }

    @Test func unusedBytesGivenBackCountNoMore() {
        var bucket = TokenBucket(bytesPerSecond: 1000, capacity: 500, now: .zero)
        _ = bucket.take(1500, now: .zero)
        bucket.giveBack(1000, now: .zero)
        #expect(bucket.take(0, now: .zero) == .zero)
        #expect(bucket.tokens == 0)
        // Never above the capacity.
        bucket.giveBack(10_000, now: .zero)
        #expect(bucket.tokens == 500)
    }

    @Test func absurdLimitsStaySafe() {
        var slow = TokenBucket(bytesPerSecond: 0, capacity: 0, now: .zero)
        #expect(slow.rate == 1 && slow.capacity == 1)
        // A debt of a billion bytes at 1 B/s is capped at a day, no trap.
        #expect(slow.take(1 << 30, now: .zero) == .seconds(86_400))
        var fast = TokenBucket(bytesPerSecond: .max, capacity: .max, now: .zero)
        #expect(fast.take(Int.max, now: .zero) == .zero)
        #expect(slow.take(-5, now: .zero) >= .zero)
    }

    /// A fake clock whose sleep moves time forward: what the limiter's
    /// callers would have waited, without waiting.
    final class FakeClock: Sendable {
        let time = Locked<Duration>(.zero)
        let sleeps = Locked<[Duration]>([])
        func now() -> Duration { time.withLock { $0 } }
        func sleep(_ duration: Duration) {
            sleeps.withLock { $0.append(duration) }
            time.withLock { $0 += duration }
        }
    }

    /// Many pipelines asking at once share one limit: the time the bytes
    /// take is the bytes over the rate, however they are split.
    @Test func oneLimitOverManyConcurrentCallers() async throws {
        let clock = FakeClock()
        let limiter = RateLimiter(bytesPerSecond: 1_000_000, now: { clock.now() }, sleep: { clock.sleep($0) })
        let capacity = Int(RateLimiter.capacity(for: 1_000_000))
        // Sequential on purpose: the fake sleeps add up as real ones would
        // for one caller; concurrent callers are covered by the bucket's
        // debt arithmetic above.
        for _ in 0..<100 { try await limiter.acquire(32_768) }
        let elapsed = clock.now()
        let expected = Double(100 * 32_768 - capacity) / 1_000_000
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(abs(seconds - expected) < 0.001)
        #expect(limiter.maxBlockLength == 100_000)
        #expect(RateLimiter(bytesPerSecond: 1000).maxBlockLength == 4096)
    }

    @Test func concurrentCallersWaitInTheOrderTheyAsked() async throws {
        let capacity = Int(RateLimiter.capacity(for: 10_000))
        // Time stands still: each grant adds to the debt, so the waits grow.
        let waits = Locked<[Duration]>([])
        let recording = RateLimiter(bytesPerSecond: 10_000, now: { .zero }, sleep: { duration in waits.withLock { $0.append(duration) } })
        try await recording.acquire(capacity)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try? await recording.acquire(1000) } }
        }
        #expect(waits.withLock { $0.sorted() } == [Self.ms(100), Self.ms(200), Self.ms(300), Self.ms(400)])
    }

    @Test func cancellationWhileWaitingThrows() async {
        let limiter = RateLimiter(bytesPerSecond: 1)
        let task = Task { try await limiter.acquire(1 << 20) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    /// The pipelines ask the limiter before each request: reading or
    /// writing 200 000 bytes at 100 000 B/s takes (200 000 − the bucket's
    /// capacity) / 100 000 seconds of the fake clock, whatever the window.
    @Test func pipelinesArePacedWhereRequestsAreIssued() async throws {
        let contents = [UInt8](repeating: 0x5A, count: 200_000)
        let expected = Double(200_000 - Int(RateLimiter.capacity(for: 100_000))) / 100_000
        func seconds(_ clock: FakeClock) -> Double {
            let elapsed = clock.now()
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        try await withSFTPServer { client, dir in
            try dir.create("file", Data(contents))
            let readClock = FakeClock()
            let reading = RateLimiter(bytesPerSecond: 100_000, now: { readClock.now() }, sleep: { readClock.sleep($0) })
            let handle = try await client.open(dir.sftp("file"), flags: .read)
            var received = 0
            try await ReadPipeline(client: client, handle: handle, blockLength: 8192, maxOutstanding: 16,
                                   expectedSize: 200_000, limiter: reading).run { _, data in received += data.readableBytes }
            try await client.close(handle)
            #expect(received == 200_000)
            // The EOF probe's bytes are given back: within one block.
            #expect(abs(seconds(readClock) - expected) < 8192.0 / 100_000)
            #expect(readClock.sleeps.withLock { $0.count } > 10)

            let writeClock = FakeClock()
            let writing = RateLimiter(bytesPerSecond: 100_000, now: { writeClock.now() }, sleep: { writeClock.sleep($0) })
            let out = try await client.open(dir.sftp("copy"), flags: [.write, .create, .truncate])
            try await WritePipeline(client: client, handle: out, blockLength: 8192, maxOutstanding: 16, limiter: writing).run { offset, length in
                guard offset < 200_000 else { return nil }
                return ByteBuffer(bytes: contents[Int(offset)..<min(200_000, Int(offset) + length)])
            }
            try await client.close(out)
            #expect(abs(seconds(writeClock) - expected) < 0.001)
        }
    }
}
