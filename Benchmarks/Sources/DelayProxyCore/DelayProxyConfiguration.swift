import NIOCore

/// DelayProxyConfiguration says where the proxy listens, where it forwards to,
/// and what link it emulates.
public struct DelayProxyConfiguration: Sendable {
    /// The address to listen on (loopback only by default).
    public var listenHost: String
    /// The port to listen on; 0 lets the system pick one.
    public var listenPort: Int
    /// The address each accepted connection is forwarded to.
    public var targetHost: String
    /// The port each accepted connection is forwarded to.
    public var targetPort: Int
    /// The one-way delay added to every byte, in each direction.
    public var delay: TimeAmount
    /// The bandwidth cap per direction in megabits (10^6 bit) per second; nil = none.
    public var rateMegabitsPerSecond: Double?
    /// The most bytes one direction may hold before the proxy stops reading its
    /// source; nil = `defaultBufferCapacity`.
    public var bufferCapacity: Int?

    /// Creates a configuration; everything but the target port has a default.
    public init(
        listenHost: String = "127.0.0.1",
        listenPort: Int = 0,
        targetHost: String = "127.0.0.1",
        targetPort: Int,
        delay: TimeAmount = .zero,
        rateMegabitsPerSecond: Double? = nil,
        bufferCapacity: Int? = nil
    ) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.targetHost = targetHost
        self.targetPort = targetPort
        self.delay = delay
        self.rateMegabitsPerSecond = rateMegabitsPerSecond
        self.bufferCapacity = bufferCapacity
    }

    /// The capacity used when none is given: twice the bandwidth-delay product
    /// plus 1 MiB with a rate cap, else 16 MiB (enough for 50 ms at ~300 MB/s).
    public var defaultBufferCapacity: Int {
        guard let rate = rateMegabitsPerSecond, rate > 0 else { return 16 << 20 }
        let bytesPerSecond = rate * 1_000_000 / 8
        let seconds = Double(max(delay.nanoseconds, 0)) / 1e9
        let product = min(bytesPerSecond * seconds, Double(1 << 30))
        return Int(2 * product) + (1 << 20)
    }

    /// The capacity in effect.
    public var effectiveBufferCapacity: Int { max(1, bufferCapacity ?? defaultBufferCapacity) }

    /// A fresh token bucket for one direction, or nil without a rate cap.
    func makeTokenBucket() -> TokenBucket? {
        guard let rate = rateMegabitsPerSecond, rate > 0 else { return nil }
        return TokenBucket(megabitsPerSecond: rate)
    }
}
