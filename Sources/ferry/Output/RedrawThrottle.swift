/// RedrawThrottle decides when the progress meter may be drawn again: at
/// most once per `interval` (a tenth of a second, as rsync and OpenSSH's
/// sftp redraw), so a fast transfer does not spend its time repainting a
/// terminal. Time is passed in, so the rule is tested without waiting.
struct RedrawThrottle {
    /// The least time between two draws, in seconds.
    let interval: Double
    private var last: Double?

    init(interval: Double = 0.1) {
        self.interval = interval
    }

    /// True (and the draw counted) when a draw at `now` (seconds on any
    /// monotonic clock) keeps to the interval.
    mutating func shouldDraw(at now: Double) -> Bool {
        // A nanosecond of slack: 5.1 - 5.0 is a hair under 0.1 in binary.
        if let last, now - last < interval - 1e-9 { return false }
        last = now
        return true
    }
}
