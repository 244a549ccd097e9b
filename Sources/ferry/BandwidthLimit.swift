import ArgumentParser

/// BandwidthLimit reads a bandwidth limit the way the tools it imitates
/// take one, as bytes per second.
///
/// - `-l LIMIT` (scp, sftp): Kbit/s, 1 Kbit = 1024 bits, so 128 bytes.
/// - `--bwlimit RATE` (rsync): a number, maybe fractional, with an
///   optional suffix: K, M, G, T (or KiB, MiB…) are powers of 1024, KB,
///   MB, GB, TB powers of 1000, B bytes; with no suffix the unit is KiB,
///   as rsync's ("as if K had been appended"). 0 means no limit.
enum BandwidthLimit {
    /// `-l`: bytes per second for `kilobits` Kbit/s; nil for 0 or a value
    /// too large to mean anything.
    static func kilobits(_ kilobits: UInt64) -> UInt64? {
        let (bytes, overflow) = kilobits.multipliedReportingOverflow(by: 128)
        return kilobits == 0 || overflow ? nil : bytes
    }

    /// `--bwlimit`: `.some(nil)` for 0 (no limit), nil for text that is
    /// not a rate.
    static func rsync(_ text: String) -> UInt64?? {
        var number = Substring(text.trimmingSpaces)
        var unit: Double = 1024
        let suffixes: [(String, Double)] = [
            ("KIB", 0x1p10), ("MIB", 0x1p20), ("GIB", 0x1p30), ("TIB", 0x1p40),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12),
            ("K", 0x1p10), ("M", 0x1p20), ("G", 0x1p30), ("T", 0x1p40), ("B", 1),
        ]
        let upper = number.uppercased()
        for (suffix, value) in suffixes where upper.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            unit = value
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value.isFinite, value >= 0
        else { return nil }
        let bytes = value * unit
        if bytes == 0 { return .some(nil) }
        guard bytes >= 1, bytes < 1e18 else { return nil }
        return .some(UInt64(bytes.rounded()))
    }
}

private extension String {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}

/// BandwidthFlags are `-l` and `--bwlimit`, shared by get, put and cp.
struct BandwidthFlags: ParsableArguments {
    @Option(name: .customShort("l"), help: ArgumentHelp("Limit the bandwidth over all files to this many Kbit/s (as scp -l and sftp -l).", valueName: "limit"))
    var limit: UInt64?

    @Option(name: .customLong("bwlimit"), help: ArgumentHelp("Limit the bandwidth over all files as rsync --bwlimit: bytes per second with a suffix (10M, 500K, 1.5m; K M G are powers of 1024), a plain number in KiB/s, 0 for none.", valueName: "rate"))
    var bandwidthLimit: String?

    func validate() throws {
        if limit != nil && bandwidthLimit != nil { throw ValidationError("-l and --bwlimit both limit the bandwidth: give one") }
        if let limit, limit == 0 || BandwidthLimit.kilobits(limit) == nil {
            throw ValidationError("-l: \(limit) is not a limit (Kbit/s, more than 0)")
        }
        if let bandwidthLimit, BandwidthLimit.rsync(bandwidthLimit) == nil {
            throw ValidationError("--bwlimit: \"\(bandwidthLimit)\" is not a rate (bytes per second with K, M or G; a plain number is KiB/s)")
        }
    }

    /// The limit in bytes per second; nil for none.
    var bytesPerSecond: UInt64? {
        if let limit { return BandwidthLimit.kilobits(limit) }
        if let bandwidthLimit, let rate = BandwidthLimit.rsync(bandwidthLimit) { return rate }
        return nil
    }
}
