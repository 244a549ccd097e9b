/// RunRecord is one run of one tool: what it cost and whether its output was
/// right. A run that exited non-zero or whose output's sha256 differs is a
/// failure and never enters the timings.
public struct RunRecord: Sendable, Codable, Equatable {
    /// The round (0-based; warm-up rounds come first).
    public var round: Int
    /// False for warm-up runs.
    public var counted: Bool
    /// What the process cost (nil when it could not be started).
    public var outcome: ProcessOutcome?
    /// True when the exit status was 0 and the output verified.
    public var ok: Bool
    /// Why the run failed, when it did.
    public var error: String?

    public init(round: Int, counted: Bool, outcome: ProcessOutcome?, ok: Bool, error: String?) {
        self.round = round
        self.counted = counted
        self.outcome = outcome
        self.ok = ok
        self.error = error
    }
}

/// ToolStatus says whether a tool's numbers exist.
public enum ToolStatus: String, Sendable, Codable {
    /// Every counted run succeeded.
    case ok
    /// At least one counted run failed (the others are still summarised).
    case failed
    /// The tool cannot do this yet (ferry sync); not run.
    case notImplemented = "not implemented yet"
    /// The tool lacks the scenario's cipher (a Python peer); not counted as a failure.
    case unsupported
}

/// ToolResult is the summary of one tool in one scenario.
public struct ToolResult: Sendable, Codable, Equatable {
    public var tool: Tool
    public var status: ToolStatus
    public var runs: [RunRecord]
    /// Wall seconds of the successful counted runs.
    public var wall: Summary?
    /// CPU seconds (user + sys, children included) of the successful counted runs.
    public var cpu: Summary?
    /// Bytes moved per median wall second, in 10^6 bytes.
    public var megabytesPerSecond: Double?
    /// The largest peak RSS of the counted runs, in MiB (see `PeakMemory`).
    public var peakRSSMiB: Double?
    /// ferry's wall time divided by this tool's, run pair by run pair (nil for ferry itself).
    public var ferryRatio: Summary?
    /// Counted runs that failed.
    public var failures: Int

    public init(tool: Tool, status: ToolStatus, runs: [RunRecord] = []) {
        self.tool = tool
        self.status = status
        self.runs = runs
        self.failures = 0
    }

    /// Wall times of the counted runs by round; nil where the run failed.
    public var countedWallTimes: [Double?] {
        runs.filter(\.counted).map { $0.ok ? $0.outcome?.wallSeconds : nil }
    }

    /// Fills the summaries from `runs`.
    public mutating func summarise(bytes: Int64, ferry: ToolResult?) {
        let counted = runs.filter(\.counted)
        let good = counted.filter(\.ok).compactMap(\.outcome)
        failures = counted.count - counted.filter(\.ok).count
        if status == .ok && failures > 0 { status = .failed }
        wall = Summary(good.map(\.wallSeconds))
        cpu = Summary(good.map(\.cpuSeconds))
        megabytesPerSecond = wall.flatMap { Statistics.megabytesPerSecond(bytes: bytes, seconds: $0.median) }
        peakRSSMiB = good.map(\.maxRSSKiB).max().map { Double($0) / 1024 }
        if let ferry, tool != .ferry {
            ferryRatio = Summary(Statistics.pairwiseRatios(ferry.countedWallTimes, countedWallTimes))
        }
    }
}

/// ScenarioResult is a scenario with its data and the results of every tool.
public struct ScenarioResult: Sendable, Codable, Equatable {
    public var scenario: Scenario
    /// The exact bytes and files of the data set.
    public var bytes: Int64
    public var files: Int
    /// The expected sha256 (file) or tree digest.
    public var sha256: String
    public var tools: [ToolResult]

    public init(scenario: Scenario, bytes: Int64, files: Int, sha256: String, tools: [ToolResult]) {
        self.scenario = scenario
        self.bytes = bytes
        self.files = files
        self.sha256 = sha256
        self.tools = tools
    }
}

/// ComparisonReport is everything a harness run found; it is what
/// results.json holds and what the Markdown and SVG renderers read.
public struct ComparisonReport: Sendable, Codable, Equatable {
    /// ISO 8601 start time.
    public var started: String
    /// Seconds the whole run took.
    public var durationSeconds: Double
    /// Machine and tool versions ("ssh": "OpenSSH_9.2p1 …").
    public var environment: [String: String]
    public var options: PlanOptions
    public var scenarios: [ScenarioResult]

    public init(started: String, durationSeconds: Double, environment: [String: String], options: PlanOptions,
                scenarios: [ScenarioResult]) {
        self.started = started
        self.durationSeconds = durationSeconds
        self.environment = environment
        self.options = options
        self.scenarios = scenarios
    }

    /// True when no counted or warm-up run failed.
    public var allSucceeded: Bool {
        scenarios.allSatisfy { $0.tools.allSatisfy { $0.runs.allSatisfy(\.ok) } }
    }
}
