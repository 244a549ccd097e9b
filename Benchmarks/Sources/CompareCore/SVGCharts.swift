import Foundation

/// SVGCharts draws the two charts of the report by hand (no dependency, opens
/// in any browser): throughput bars per scenario and tool, and throughput
/// against round-trip time per workload.
public enum SVGCharts {
    /// A fixed colour per tool, so both charts agree.
    static func color(_ tool: Tool) -> String {
        switch tool {
        case .ferry: "#d1495b"
        case .sftp: "#00798c"
        case .sftpTuned: "#30638e"
        case .scp: "#edae49"
        case .scpLegacy: "#8d6a9f"
        case .ferrySCP: "#f08a4b"
        case .rsync: "#66a182"
        case .rclone: "#2e4057"
        case .paramiko: "#7f7f7f"
        case .asyncssh: "#3d3d3d"
        case .ferrySFTPBatch: "#f28482"
        case .sftpBatch: "#84a59d"
        case .ferryEach: "#b56576"
        case .ferryLib: "#a4161a"
        }
    }

    /// Horizontal bars of median MB/s: one block per scenario, one bar per tool.
    public static func throughput(_ report: ComparisonReport) -> String {
        let scenarios = report.scenarios.filter { $0.scenario.direction != .sync }
        let width = 900.0, labelWidth = 250.0, barHeight = 16.0, gap = 4.0, headerHeight = 22.0
        let plotWidth = width - labelWidth - 90
        let maximum = scenarios.flatMap { $0.tools.compactMap(\.megabytesPerSecond) }.max() ?? 1
        var body: [String] = []
        var y = 40.0
        for result in scenarios {
            body.append(text(x: 10, y: y + 15, escape(result.scenario.name), weight: "bold"))
            y += headerHeight
            for tool in result.tools {
                body.append(text(x: labelWidth - 8, y: y + barHeight - 4, tool.tool.rawValue, anchor: "end"))
                if let rate = tool.megabytesPerSecond {
                    let w = max(1, plotWidth * rate / maximum)
                    body.append("<rect x=\"\(f(labelWidth))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(barHeight))\" "
                        + "fill=\"\(color(tool.tool))\"><title>\(escape(tool.tool.rawValue)): \(f(rate)) MB/s</title></rect>")
                    body.append(text(x: labelWidth + w + 4, y: y + barHeight - 4, String(format: "%.1f MB/s", rate)))
                } else {
                    body.append(text(x: labelWidth + 4, y: y + barHeight - 4, tool.status == .ok ? "–" : tool.status.rawValue, fill: "#888"))
                }
                y += barHeight + gap
            }
            y += 8
        }
        return document(width: width, height: y + 20, title: "Throughput per scenario and tool (MB/s = 10^6 bytes/s, median)",
                        body: body)
    }

    /// A series: one line of (RTT, MB/s) points for one tool.
    struct Series {
        var tool: Tool
        var points: [(rtt: Int, rate: Double)]
    }

    /// Panels of MB/s against added round-trip time, one per workload kind,
    /// direction and cipher measured at two or more RTTs.
    public static func throughputByRTT(_ report: ComparisonReport) -> String {
        var groups: [(key: String, results: [ScenarioResult])] = []
        for result in report.scenarios where result.scenario.direction != .sync {
            let s = result.scenario
            let key = "\(s.direction.rawValue) \(s.workload.isTree ? "tree" : "file"), \(s.cipher.label)"
            if let index = groups.firstIndex(where: { $0.key == key }) {
                groups[index].results.append(result)
            } else {
                groups.append((key, [result]))
            }
        }
        groups = groups.filter { Set($0.results.map(\.scenario.rttMilliseconds)).count >= 2 }
        let width = 900.0, panelHeight = 260.0
        var body: [String] = []
        if groups.isEmpty {
            body.append(text(x: 20, y: 60, "No scenario was measured at more than one round-trip time."))
        }
        var top = 40.0
        for group in groups {
            // The data set may differ by RTT (1 GiB at 0 ms, 128 MiB at 50 ms): say so.
            let sizes = group.results.sorted { $0.scenario.rttMilliseconds < $1.scenario.rttMilliseconds }
                .map { "\($0.scenario.workload.label) at \($0.scenario.rttMilliseconds) ms" }
            let title = group.key + " (" + sizes.joined(separator: ", ") + ")"
            body += panel(title, group.results, top: top, width: width, height: panelHeight)
            top += panelHeight + 30
        }
        return document(width: width, height: max(top, 100) + 10,
                        title: "Throughput against added round-trip time (MB/s, median)", body: body)
    }

    static func panel(_ title: String, _ results: [ScenarioResult], top: Double, width: Double, height: Double) -> [String] {
        var series: [Tool: [(rtt: Int, rate: Double)]] = [:]
        var order: [Tool] = []
        for result in results.sorted(by: { $0.scenario.rttMilliseconds < $1.scenario.rttMilliseconds }) {
            for tool in result.tools {
                guard let rate = tool.megabytesPerSecond else { continue }
                if series[tool.tool] == nil { order.append(tool.tool) }
                series[tool.tool, default: []].append((result.scenario.rttMilliseconds, rate))
            }
        }
        let rtts = Set(results.map(\.scenario.rttMilliseconds)).sorted()
        let maxRTT = Double(rtts.last ?? 1)
        let (maxRate, tick) = axis(max(series.values.flatMap { $0.map(\.rate) }.max() ?? 1, 1))
        let left = 70.0, right = width - 140, plotTop = top + 30, bottom = top + height - 30
        func x(_ rtt: Int) -> Double { left + (right - left) * Double(rtt) / max(maxRTT, 1) }
        func y(_ rate: Double) -> Double { bottom - (bottom - plotTop) * rate / maxRate }
        var out: [String] = [text(x: left, y: top + 16, escape(title), weight: "bold")]
        out.append(line(left, bottom, right, bottom, "#444"))
        out.append(line(left, plotTop, left, bottom, "#444"))
        for rtt in rtts {
            out.append(text(x: x(rtt), y: bottom + 16, "\(rtt) ms", anchor: "middle"))
        }
        var rate = 0.0
        while rate <= maxRate + tick / 2 {
            out.append(line(left - 4, y(rate), right, y(rate), "#eee"))
            out.append(text(x: left - 8, y: y(rate) + 4, String(format: tick < 1 ? "%.1f" : "%.0f", rate), anchor: "end"))
            rate += tick
        }
        out.append(text(x: left - 8, y: plotTop - 12, "MB/s", anchor: "end"))
        for (index, tool) in order.enumerated() {
            guard let points = series[tool] else { continue }
            let path = points.map { String(format: "%.1f,%.1f", x($0.rtt), y($0.rate)) }.joined(separator: " ")
            out.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color(tool))\" stroke-width=\"2\"/>")
            for point in points {
                out.append("<circle cx=\"\(f(x(point.rtt)))\" cy=\"\(f(y(point.rate)))\" r=\"3.5\" fill=\"\(color(tool))\">"
                    + "<title>\(escape(tool.rawValue)), \(point.rtt) ms: \(f(point.rate)) MB/s</title></circle>")
            }
            let legendY = plotTop + Double(index) * 18
            out.append(line(right + 15, legendY, right + 35, legendY, color(tool), width: 3))
            out.append(text(x: right + 40, y: legendY + 4, tool.rawValue))
        }
        return out
    }

    static func document(width: Double, height: Double, title: String, body: [String]) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        \(text(x: 10, y: 22, escape(title), weight: "bold", size: 15))
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    static func text(x: Double, y: Double, _ content: String, anchor: String = "start", weight: String = "normal",
                     size: Int = 12, fill: String = "#222") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-weight=\"\(weight)\" font-size=\"\(size)\" "
            + "fill=\"\(fill)\">" + content + "</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String, width: Double = 1) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\" stroke-width=\"\(f(width))\"/>"
    }

    /// A y axis for values up to `value`: a round tick step (1, 2 or 5 ×
    /// 10^k) giving at most five intervals, and the top as a whole number of
    /// steps.
    static func axis(_ value: Double) -> (top: Double, tick: Double) {
        let rough = value / 5
        let magnitude = pow(10, floor(log10(rough)))
        let tick = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        return (tick * max(1, (value / tick).rounded(.up)), tick)
    }

    /// One decimal, for coordinates and rates.
    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Escapes text for XML.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
