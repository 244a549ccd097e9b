#if canImport(Glibc)
import Glibc
#endif

/// RateEstimator turns byte counts sampled over time into a smoothed rate:
/// an exponentially weighted average whose weight depends on the time
/// between samples (time constant `smoothing` seconds), so the shown rate
/// neither jumps with every burst nor depends on how often it is sampled.
struct RateEstimator {
    /// Seconds over which older samples fade to 1/e of their weight.
    let smoothing: Double
    private var lastTime: Double?
    private var lastBytes: UInt64 = 0
    /// Bytes per second, or nil before two samples.
    private(set) var rate: Double?

    init(smoothing: Double = 2) {
        self.smoothing = smoothing
    }

    /// Adds the sample "`bytes` done at `now` seconds".
    mutating func sample(bytes: UInt64, at now: Double) {
        guard let lastTime else {
            self.lastTime = now
            lastBytes = bytes
            return
        }
        let elapsed = now - lastTime
        guard elapsed > 0 else { return }
        let current = Double(bytes &- min(bytes, lastBytes)) / elapsed
        if let rate {
            let weight = 1 - exp(-elapsed / smoothing)
            self.rate = rate + weight * (current - rate)
        } else {
            rate = current
        }
        self.lastTime = now
        lastBytes = bytes
    }
}
