import Foundation

/// MarkdownReport renders the results as one table, one row per tool per
/// scenario, for stdout and report.md.
public enum MarkdownReport {
    public static func render(_ report: ComparisonReport) -> String {
        var lines: [String] = []
        lines.append("| scenario | tool | runs ok | median s | min s | max s | MB/s | CPU s | peak RSS MiB | ferry/tool |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for result in report.scenarios {
            for tool in result.tools {
                lines.append(row(result, tool))
            }
        }
        lines.append("")
        lines.append("Times are wall seconds from spawn to exit; MB/s = bytes / median seconds / 10^6; CPU = user + sys "
            + "of the tool and its children (median); peak RSS = largest of the runs (GNU time %M); ferry/tool = median of ferry's time "
            + "divided by the tool's, run pair by run pair (below 1: ferry is faster). "
            + "\(report.options.countedRounds) counted run(s) after \(report.options.warmupRounds) warm-up round(s).")
        let limited = report.scenarios.filter { $0.scenario.rateLimit != nil }
        if !limited.isEmpty {
            lines.append("")
            lines.append("Rate-limited rows (the limit next to the rate achieved over the whole run, connection included):")
            for result in limited {
                for tool in result.tools {
                    guard let limit = result.scenario.rateLimit, let median = tool.wall?.median,
                          let share = result.scenario.shareOfLimit(seconds: median) else { continue }
                    let achieved = Double(result.scenario.bytes) / median
                    lines.append("- \(result.scenario.name), \(tool.tool.rawValue): "
                        + String(format: "%.2f MiB/s for a limit of %.2f MiB/s: %.1f%% of the limit",
                                 achieved / 1048576, Double(limit) / 1048576, share * 100))
                }
            }
        }
        let failures = report.scenarios.flatMap { s in
            s.tools.flatMap { t in t.runs.filter { !$0.ok }.map { "- \(s.scenario.name), \(t.tool.rawValue), round \($0.round + 1): \($0.error ?? "failed")" } }
        }
        if !failures.isEmpty {
            lines.append("")
            lines.append("Failed runs (not timed):")
            lines += failures
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func row(_ result: ScenarioResult, _ tool: ToolResult) -> String {
        let name = result.scenario.name
        switch tool.status {
        case .notImplemented, .unsupported:
            return "| \(name) | \(tool.tool.rawValue) | \(tool.status.rawValue) | | | | | | | |"
        case .ok, .failed:
            break
        }
        let counted = tool.runs.filter(\.counted).count
        let okRuns = counted - tool.failures
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "–" }
        let rate = result.scenario.direction == .sync ? "–" : (tool.megabytesPerSecond.map { String(format: "%.1f", $0) } ?? "–")
        let ratio: String
        if tool.tool == .ferry {
            ratio = tool.wall == nil ? "–" : "1"
        } else if let r = tool.ferryRatio {
            ratio = String(format: "%.2f (%.2f–%.2f)", r.median, r.min, r.max)
        } else {
            ratio = "–"
        }
        let okText = tool.failures > 0 ? "**\(okRuns)/\(counted)**" : "\(okRuns)/\(counted)"
        return "| \(name) | \(tool.tool.rawValue) | \(okText) | \(seconds(tool.wall?.median)) | \(seconds(tool.wall?.min)) | "
            + "\(seconds(tool.wall?.max)) | \(rate) | \(seconds(tool.cpu?.median)) | "
            + "\(tool.peakRSSMiB.map { String(format: "%.0f", $0) } ?? "–") | \(ratio) |"
    }
}
