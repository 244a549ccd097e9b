/// ProgressLine lays out one line of the progress meter:
///
///     …/dir/big.bin  31%  82.0MB/264.0MB  3/12 files  23.1MB/s  00:07 ETA
///
/// the current file's name first, cut from the left to what the terminal
/// leaves (its end is the part that tells files apart), then the whole
/// transfer's figures. A total not known yet (a tree still being listed)
/// is shown as "?", never guessed.
struct ProgressLine {
    /// The state of the transfer to show.
    struct Figures: Equatable {
        var name: String
        var bytesDone: UInt64
        /// Bytes of the planned files; nil before anything was planned.
        var bytesTotal: UInt64?
        var filesDone: Int
        var filesTotal: Int?
        /// Smoothed bytes per second; nil before it is known.
        var rate: Double?
    }

    /// The line for `figures`, at most `width - 1` columns (a line as wide
    /// as the terminal would wrap on some terminals).
    static func render(_ figures: Figures, width: Int) -> String {
        var parts: [String] = []
        if let total = figures.bytesTotal, total > 0 {
            // In Double: bytes times 100 could overflow UInt64.
            let percent = Int(min(100, (Double(figures.bytesDone) / Double(total) * 100).rounded(.down)))
            parts.append(pad(String(percent) + "%", 4))
        } else if figures.bytesTotal == 0, figures.filesTotal != nil {
            parts.append(pad("100%", 4))
        } else {
            parts.append(pad("--%", 4))
        }
        parts.append(bytes(figures.bytesDone) + "/" + (figures.bytesTotal.map(bytes) ?? "?"))
        parts.append("\(figures.filesDone)/\(figures.filesTotal.map(String.init) ?? "?") files")
        parts.append(figures.rate.map { bytes(UInt64(max(0, min($0, 1e18)))) + "/s" } ?? "--/s")
        parts.append(eta(figures) + " ETA")
        let figuresText = parts.joined(separator: "  ")
        let room = width - 1 - figuresText.count - 2
        guard room >= 8 else { return String(figuresText.prefix(max(0, width - 1))) }
        return fit(figures.name, room) + "  " + figuresText
    }

    /// `name` in exactly `width` columns: padded, or cut from the left with
    /// "…" in front. Counted in characters (wide characters are rare in
    /// file names and only cost a shorter line).
    static func fit(_ name: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        let count = name.count
        if count <= width { return name + String(repeating: " ", count: width - count) }
        guard width > 1 else { return "…" }
        return "…" + String(name.suffix(width - 1))
    }

    /// A byte count as sftp and rsync show one: "512B", "82.0MB" (powers
    /// of 1000, as the summary's MB/s).
    static func bytes(_ count: UInt64) -> String {
        let units = ["kB", "MB", "GB", "TB", "PB", "EB"]
        guard count >= 1000 else { return "\(count)B" }
        var value = Double(count) / 1000
        var unit = 0
        while value >= 999.95, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return formatted(value) + units[unit]
    }

    /// The time left at the current rate, "mm:ss" or "hh:mm:ss";
    /// "--:--" while the total or the rate is unknown.
    static func eta(_ figures: Figures) -> String {
        guard let total = figures.bytesTotal, let rate = figures.rate, rate > 0 else { return "--:--" }
        let left = Double(total &- min(total, figures.bytesDone)) / rate
        guard left < 360_000 else { return "--:--" }
        return clock(Int(left.rounded(.up)))
    }

    /// Seconds as "mm:ss", or "hh:mm:ss" from an hour on.
    static func clock(_ seconds: Int) -> String {
        let s = max(0, seconds)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return s >= 3600 ? "\(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60))" : "\(two(s / 60)):\(two(s % 60))"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// One decimal place.
    static func formatted(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
