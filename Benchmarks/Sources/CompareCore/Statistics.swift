/// Summary is the median, minimum and maximum of a set of measurements. The
/// median, not the mean, is what we compare: on a shared 2-core machine one
/// run now and then is slowed by a neighbour, and a mean would carry that.
public struct Summary: Sendable, Codable, Equatable {
    public var median: Double
    public var min: Double
    public var max: Double
    public var count: Int

    /// The summary of `values`, or nil when there are none.
    public init?(_ values: [Double]) {
        guard let median = Statistics.median(values), let low = values.min(), let high = values.max() else {
            return nil
        }
        self.median = median
        self.min = low
        self.max = high
        self.count = values.count
    }
}

/// Statistics holds the few numeric rules of the report, so tests can pin them.
public enum Statistics {
    /// The middle value; for an even count, the mean of the two middle values.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Ratios a[i] / b[i] of runs made back to back (run i of one tool with run
    /// i of the other). Pairing cancels slow phases of the machine that hit
    /// both tools alike; a pair where either run failed (nil) is dropped.
    public static func pairwiseRatios(_ a: [Double?], _ b: [Double?]) -> [Double] {
        zip(a, b).compactMap { x, y in
            guard let x, let y, y > 0 else { return nil }
            return x / y
        }
    }

    /// Throughput in MB/s with MB = 10^6 bytes (as `dd` and network links
    /// count), not MiB.
    public static func megabytesPerSecond(bytes: Int64, seconds: Double) -> Double? {
        guard seconds > 0 else { return nil }
        return Double(bytes) / seconds / 1e6
    }
}
