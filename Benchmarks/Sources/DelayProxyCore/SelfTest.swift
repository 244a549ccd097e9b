import NIOCore
import NIOPosix

/// DelayProxySelfTest measures the proxy's own overhead: the same echo
/// workloads run directly against an echo server and through a proxy in
/// front of it, and the difference is the cost of the proxy.
public enum DelayProxySelfTest {
    /// Row is one line of the report: a metric measured both ways.
    public struct Row: Sendable {
        /// What was measured.
        public var metric: String
        /// Directly against the echo server.
        public var direct: Double
        /// Through the proxy.
        public var proxied: Double
        /// Unit of `direct` and `proxied`.
        public var unit: String
    }

    /// Report is what the self-test measured.
    public struct Report: Sendable, CustomStringConvertible {
        /// The configured one-way delay.
        public var delay: TimeAmount
        /// One row per metric.
        public var rows: [Row]

        public var description: String {
            var lines = ["delay proxy self-test, one-way delay \(delay.nanoseconds / 1_000_000) ms"]
            let header = pad("metric", 28) + pad("direct", 14) + pad("proxied", 14) + pad("difference", 14) + "unit"
            lines.append(header)
            lines.append(String(repeating: "-", count: header.count))
            for row in rows {
                lines.append(
                    pad(row.metric, 28) + pad(format(row.direct), 14) + pad(format(row.proxied), 14)
                        + pad(format(row.proxied - row.direct), 14) + row.unit
                )
            }
            return lines.joined(separator: "\n")
        }

        private func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }

        private func format(_ value: Double) -> String {
            let rounded = (value * 10).rounded() / 10
            return "\(rounded)"
        }
    }

    /// Runs the echo workloads directly and through a proxy with `delay`.
    /// Blocks the calling thread (use it from `main` or a test, not an event loop).
    public static func run(
        delay: TimeAmount = .zero,
        roundTrips: Int = 2000,
        bulkBytes: Int = 256 << 20,
        group: EventLoopGroup
    ) throws -> Report {
        let echo = try EchoServer.start(group: group)
        defer { try? echo.close() }
        let proxy = try DelayProxy.bind(
            configuration: DelayProxyConfiguration(targetPort: echo.port, delay: delay),
            group: group
        ).wait()
        defer { try? proxy.stop().wait() }

        let directRTT = try EchoProbe.pingPong(port: echo.port, count: roundTrips)
        let proxiedRTT = try EchoProbe.pingPong(port: proxy.localPort, count: roundTrips)
        let directBulk = try EchoProbe.bulkEcho(port: echo.port, total: bulkBytes)
        let proxiedBulk = try EchoProbe.bulkEcho(port: proxy.localPort, total: bulkBytes)

        func micros(_ nanos: Int64) -> Double { Double(nanos) / 1000 }
        func mebibytesPerSecond(_ bulk: EchoProbe.Bulk) -> Double { bulk.bytesPerSecond / Double(1 << 20) }
        return Report(
            delay: delay,
            rows: [
                Row(metric: "round trip 64 B, median", direct: micros(directRTT.median),
                    proxied: micros(proxiedRTT.median), unit: "µs"),
                Row(metric: "round trip 64 B, p99", direct: micros(directRTT.percentile(99)),
                    proxied: micros(proxiedRTT.percentile(99)), unit: "µs"),
                Row(metric: "bulk echo \(bulkBytes >> 20) MiB", direct: mebibytesPerSecond(directBulk),
                    proxied: mebibytesPerSecond(proxiedBulk), unit: "MiB/s each way"),
            ]
        )
    }
}
