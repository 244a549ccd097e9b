import NIOCore

/// TokenBucket caps the rate of one direction: tokens (bytes) accrue at
/// `bytesPerSecond` up to `burst`; a write spends them.
///
/// To keep writes from shrinking to a few bytes each, a grant waits until at
/// least `min(request, quantum)` tokens are there, then hands out as many as
/// are available (up to the request).
public struct TokenBucket: Sendable {
    /// Grant is the answer to a request for tokens.
    public enum Grant: Equatable, Sendable {
        /// This many bytes (≥ 1) may be written now; the tokens are spent.
        case granted(Int)
        /// Not enough tokens; ask again at this time.
        case wait(until: NIODeadline)
    }

    /// The sustained rate.
    public let bytesPerSecond: Double
    /// The most tokens that can accrue while idle.
    public let burst: Int
    /// The least a grant hands out (unless the request is smaller).
    public let quantum: Int

    private var tokens: Double
    private var last: NIODeadline?

    /// Creates a bucket for `bytesPerSecond` (> 0), starting full.
    /// The default burst is 10 ms worth of bytes, at least 16 KiB.
    public init(bytesPerSecond: Double, burst: Int? = nil, quantum: Int = 16 * 1024) {
        let rate = max(bytesPerSecond, 1)
        self.bytesPerSecond = rate
        let b = burst ?? max(16 * 1024, Int(min(rate / 100, Double(Int32.max))))
        self.burst = max(1, b)
        self.quantum = max(1, min(quantum, self.burst))
        self.tokens = Double(self.burst)
    }

    /// Creates a bucket for a rate in megabits per second (10^6 bit/s).
    public init(megabitsPerSecond: Double) {
        self.init(bytesPerSecond: megabitsPerSecond * 1_000_000 / 8)
    }

    /// Asks for up to `request` bytes at time `now`.
    public mutating func grant(upTo request: Int, now: NIODeadline) -> Grant {
        refill(now: now)
        let need = Double(max(1, min(request, quantum)))
        if tokens >= need {
            let n = max(1, min(request, Int(tokens)))
            tokens -= Double(n)
            return .granted(n)
        }
        let seconds = (need - tokens) / bytesPerSecond
        let nanos = Int64(min(seconds * 1e9, 3.6e12).rounded(.up))
        return .wait(until: now + .nanoseconds(max(1, nanos)))
    }

    private mutating func refill(now: NIODeadline) {
        guard let previous = last else {
            last = now
            return
        }
        guard now > previous else { return }
        let elapsed = Double((now - previous).nanoseconds) / 1e9
        tokens = min(Double(burst), tokens + elapsed * bytesPerSecond)
        last = now
    }
}
