import Foundation

/// BenchResult is one cipher's measurements in `ferry bench`, over one
/// connection. Rates are in MB/s (10^6 bytes), as get and put print them;
/// CPU is this process's user+system time as a percentage of the phase's
/// wall time (100 is one core busy). A row that failed has `error` set and
/// zeros where nothing was measured.
struct BenchResult: Codable, Equatable, Sendable {
    var cipher: String
    /// The MAC that came with a non-AEAD cipher; nil for AEAD ciphers.
    var mac: String?
    /// TCP connect, key exchange and authentication.
    var connectMs: Double = 0
    var rttMinMs: Double = 0
    var rttMedianMs: Double = 0
    var downloadMBps: Double = 0
    var uploadMBps: Double = 0
    var downloadCPUPercent: Double = 0
    var uploadCPUPercent: Double = 0
    var error: String?

    /// The options that select this row's algorithms.
    var arguments: [String] { ["-c", cipher] + (mac.map { ["-m", $0] } ?? []) }
}

/// BenchBest names the settings that moved files fastest.
struct BenchBest: Codable, Equatable, Sendable {
    var cipher: String
    var mac: String?
    /// As they are given to get and put, e.g. ["-c", "aes128-gcm@openssh.com"].
    var arguments: [String]
    var downloadMBps: Double
    var uploadMBps: Double
}

/// BenchReport is what `ferry bench` found: the JSON document `--json`
/// prints, and the table otherwise.
struct BenchReport: Codable, Equatable, Sendable {
    var host: String
    var port: Int
    var user: String
    /// The directory the temporary file was written to, as the server resolved it.
    var remoteDirectory: String
    var sizeBytes: UInt64
    var roundTrips: Int
    /// Ciphers the server offered (both directions), as it named them.
    var serverCiphers: [String]
    var results: [BenchResult]
    var best: BenchBest?

    /// The row with the highest download plus upload rate among those that
    /// did not fail; nil when every row failed.
    static func best(of results: [BenchResult]) -> BenchBest? {
        let measured = results.filter { $0.error == nil && $0.downloadMBps > 0 && $0.uploadMBps > 0 }
        guard let top = measured.max(by: { $0.downloadMBps + $0.uploadMBps < $1.downloadMBps + $1.uploadMBps }) else { return nil }
        return BenchBest(cipher: top.cipher, mac: top.mac, arguments: top.arguments,
                         downloadMBps: top.downloadMBps, uploadMBps: top.uploadMBps)
    }

    /// Pretty-printed, keys sorted (stable for scripts and diffs).
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The table and the best line, as `ferry bench` prints them.
    func table() -> String {
        let mebibytes = sizeBytes >> 20
        var lines = ["\(user)@\(host) port \(port): \(mebibytes) MiB up and down in \(remoteDirectory), \(roundTrips) round trips per connection"]
        let width = max(24, results.map { $0.cipher.count + ($0.mac.map { $0.count + 1 } ?? 0) }.max() ?? 0) + 2
        lines.append(Self.pad("cipher", width) + Self.right("connect", 10) + Self.right("rtt min/med", 15)
                     + Self.right("get MB/s", 10) + Self.right("put MB/s", 10) + Self.right("CPU get/put", 13))
        for r in results {
            let name = r.cipher + (r.mac.map { " \($0)" } ?? "")
            if let error = r.error {
                lines.append(Self.pad(name, width) + "failed: " + error)
                continue
            }
            lines.append(Self.pad(name, width)
                         + Self.right(Self.fixed(r.connectMs, 1) + " ms", 10)
                         + Self.right(Self.fixed(r.rttMinMs, 2) + "/" + Self.fixed(r.rttMedianMs, 2) + " ms", 15)
                         + Self.right(Self.fixed(r.downloadMBps, 1), 10)
                         + Self.right(Self.fixed(r.uploadMBps, 1), 10)
                         + Self.right("\(Int(r.downloadCPUPercent.rounded()))%/\(Int(r.uploadCPUPercent.rounded()))%", 13))
        }
        if let best {
            lines.append("best: " + best.arguments.joined(separator: " ")
                         + " (get \(Self.fixed(best.downloadMBps, 1)) MB/s, put \(Self.fixed(best.uploadMBps, 1)) MB/s)")
        } else {
            lines.append("best: none (no cipher was measured)")
        }
        return lines.joined(separator: "\n")
    }

    /// `value` with `digits` decimals, without locale (always a point).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    private static func right(_ s: String, _ width: Int) -> String {
        s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
    }
}

/// BenchStatistics holds the arithmetic of `ferry bench`.
enum BenchStatistics {
    /// The median (the mean of the middle two for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
    }

    /// MB/s (10^6 bytes per second); 0 when no time passed.
    static func megabytesPerSecond(_ bytes: UInt64, _ d: Duration) -> Double {
        let seconds = milliseconds(d) / 1e3
        return seconds > 0 ? Double(bytes) / seconds / 1e6 : 0
    }

    /// The ciphers to measure: the client's list (in its order, or only those
    /// `restrict` names) that the server offers in both directions.
    /// `unavailable` lists the restricted names the server does not offer.
    static func ciphers(client: [String], server: BenchServerCiphers, restrict: [String]?) -> (measure: [String], unavailable: [String]) {
        let wanted = restrict ?? client
        let offered = Set(server.clientToServer).intersection(server.serverToClient)
        return (wanted.filter { offered.contains($0) }, wanted.filter { !offered.contains($0) })
    }
}

/// The cipher lists of the server's KEXINIT.
struct BenchServerCiphers: Sendable {
    var clientToServer: [String]
    var serverToClient: [String]

    /// Both lists in the server's order, without repeats.
    var all: [String] {
        var seen: Set<String> = []
        return (serverToClient + clientToServer).filter { seen.insert($0).inserted }
    }
}
