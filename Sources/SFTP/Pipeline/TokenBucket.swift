/// TokenBucket is the arithmetic of a bandwidth limit (`-l`, `--bwlimit`),
/// kept apart from any clock so that it can be tested with made-up times.
///
/// Tokens are bytes. They flow in at `rate` per second up to `capacity`
/// (the most that may go out at once after an idle spell). A request for
/// more than is there is granted anyway and leaves the bucket in debt; the
/// caller waits for the debt to be paid before sending. Recording the debt
/// at once, instead of queueing waiters, is what makes the limit hold over
/// many files in flight: whoever asks next waits behind every byte already
/// granted, so the bytes granted by time t never exceed
/// `capacity + rate × t`, however many pipelines ask.
public struct TokenBucket: Sendable, Equatable {
    /// Bytes per second.
    public let rate: UInt64
    /// The most bytes saved up while idle.
    public let capacity: UInt64
    /// Bytes available now; negative while in debt.
    public private(set) var tokens: Double
    /// When `tokens` was last brought up to date.
    private var updated: Duration

    /// A full bucket at time `now` (any origin: only differences count).
    public init(bytesPerSecond rate: UInt64, capacity: UInt64, now: Duration) {
        self.rate = max(1, rate)
        self.capacity = max(1, capacity)
        self.tokens = Double(self.capacity)
        self.updated = now
    }

    /// Grants `bytes` at `now` and returns how long the caller must wait
    /// before sending them: zero when the bucket held them.
    public mutating func take(_ bytes: Int, now: Duration) -> Duration {
        refill(now)
        tokens -= Double(max(0, bytes))
        guard tokens < 0 else { return .zero }
        return Self.duration(seconds: -tokens / Double(rate))
    }

    /// Returns `bytes` granted but not used (a read that found the end of
    /// its file), so they do not count against the limit.
    public mutating func giveBack(_ bytes: Int, now: Duration) {
        refill(now)
        tokens = min(Double(capacity), tokens + Double(max(0, bytes)))
    }

    private mutating func refill(_ now: Duration) {
        guard now > updated else { return }
        let elapsed = now - updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(Double(capacity), tokens + seconds * Double(rate))
        updated = now
    }

    /// `seconds` as a Duration, capped at a day (a debt that long means a
    /// limit of a few bytes per second; the cap keeps the conversion safe).
    static func duration(seconds: Double) -> Duration {
        let capped = min(max(0, seconds), 86_400)
        return .nanoseconds(Int64((capped * 1e9).rounded(.up)))
    }
}
