import Locking

/// RateLimiter holds one bandwidth limit for a whole transfer: every
/// pipeline of every file in flight asks it before it issues a READ or
/// sends a WRITE, so the sum stays under the limit however many files run.
///
/// It paces the *issue* of requests, not their completion: with a window
/// of requests outstanding, delaying only the handling of replies would
/// let the server send a whole window at full speed and then nothing, in
/// bursts. Requests issued at the limited rate make the server's replies
/// (and our writes) flow at that rate.
///
/// The clock is injected so that tests can drive it without waiting.
public final class RateLimiter: Sendable {
    /// Bytes per second.
    public let bytesPerSecond: UInt64
    private let bucket: Locked<TokenBucket>
    private let now: @Sendable () -> Duration
    private let sleep: @Sendable (Duration) async throws -> Void

    /// A limit of `bytesPerSecond` on the continuous clock.
    public convenience init(bytesPerSecond: UInt64) {
        let clock = ContinuousClock()
        let origin = clock.now
        self.init(bytesPerSecond: bytesPerSecond, now: { origin.duration(to: clock.now) },
                  sleep: { try await Task.sleep(for: $0, clock: clock) })
    }

    /// A limit on an injected clock: `now` is the time since any fixed
    /// origin, `sleep` waits (and throws when the task is cancelled).
    public init(bytesPerSecond: UInt64, now: @escaping @Sendable () -> Duration,
                sleep: @escaping @Sendable (Duration) async throws -> Void) {
        let rate = max(1, bytesPerSecond)
        self.bytesPerSecond = rate
        self.now = now
        self.sleep = sleep
        bucket = Locked(TokenBucket(bytesPerSecond: rate, capacity: Self.capacity(for: rate), now: now()))
    }

    /// A twentieth of a second's worth (at least 16 KiB): enough that a
    /// pipeline is not stopped for every block, small enough that the
    /// rate on the wire stays smooth.
    static func capacity(for rate: UInt64) -> UInt64 { max(16 << 10, rate / 20) }

    /// The largest request worth issuing under this limit: a tenth of a
    /// second's worth (at least 4 KiB), so that a slow limit is met with
    /// many small requests rather than a few huge bursts.
    public var maxBlockLength: Int { Int(min(UInt64(Int32.max), max(4096, bytesPerSecond / 10))) }

    /// Waits until `bytes` may be sent. Throws CancellationError when the
    /// task is cancelled while it waits.
    public func acquire(_ bytes: Int) async throws {
        let time = now()
        let wait = bucket.withLock { $0.take(bytes, now: time) }
        if wait > .zero { try await sleep(wait) }
    }

    /// Gives back bytes acquired and not used.
    public func giveBack(_ bytes: Int) {
        let time = now()
        bucket.withLock { $0.giveBack(bytes, now: time) }
    }
}
