/// Estimate predicts how long a plan takes, from a rough cost model of each
/// tool measured on the project's 2-core VM (OpenSSH 9.2, internal-sftp).
/// It is printed before the run starts and used to keep the default set
/// under 20 minutes; it is a guide, not a measurement.
public enum Estimate {
    /// Seconds for one run of `tool` in `scenario`, verification included.
    public static func runSeconds(_ tool: Tool, _ scenario: Scenario) -> Double {
        let rtt = Double(scenario.rttMilliseconds) / 1000
        let files: Double
        switch scenario.workload {
        case .file: files = 1
        case .tree(let shape): files = Double(shape.files)
        }
        // Connection setup: process start, key exchange and auth (~4 round trips).
        let setup = 0.15 + 4 * rtt
        // Bulk rate in MB/s at 0 ms; the cap the SSH channel window puts on it
        // at an RTT (get, put); and the cost per file in seconds plus round
        // trips per file (get, put). Measured on the 2-core VM under load.
        let get = scenario.direction == .get
        let rate: Double
        let windowed: Double
        let perFile: Double
        switch tool {
        case .ferrySFTPBatch: rate = 200; windowed = get ? 85 : 32; perFile = 0.001 + 0.05 * rtt
        case .ferryEach: rate = 200; windowed = 85; perFile = 0.15 + 9 * rtt
        case .sftpBatch: rate = 195; windowed = 31; perFile = 0.001 + (get ? 5.3 : 3.8) * rtt
        case .ferry, .ferryLib: rate = 200; windowed = get ? 85 : 32; perFile = 0.0008 + (get ? 1.75 : 0.85) * rtt
        case .sftp: rate = 195; windowed = 31; perFile = 0.0008 + (get ? 5.3 : 3.8) * rtt
        case .sftpTuned: rate = 210; windowed = get ? 28 : 32; perFile = 0.0006 + (get ? 5.3 : 3.8) * rtt
        case .scp: rate = 140; windowed = 31; perFile = 0.0012 + (get ? 5.3 : 3.8) * rtt
        case .ferrySCP: rate = 200; windowed = get ? 85 : 30; perFile = 0.0008 + 2 * rtt
        case .scpLegacy: rate = 180; windowed = 30; perFile = 0.001 + 2 * rtt
        case .rsync: rate = 150; windowed = 35; perFile = 0.0005
        case .paramiko: rate = 60; windowed = 10; perFile = 0.012 + 4 * rtt
        case .asyncssh: rate = 90; windowed = 20; perFile = 0.006 + 2 * rtt
        case .rclone: rate = 60; windowed = 20; perFile = (0.01 + 4 * rtt) / 4  // 4 transfers at once
        }
        if scenario.direction == .sync {
            // Listing costs per directory; copies as get/put would.
            let listing = setup + 2 + files * 0.0002
            guard let sync = scenario.sync, sync.state != .unchanged else { return listing }
            let share = sync.state == .first ? 1.0 : 0.1
            return listing + share * (Double(scenario.bytes) / (min(rate, rtt > 0 ? windowed : rate) * 1e6) + files * perFile)
        }
        var effective = rtt > 0 ? min(rate, windowed) : rate
        if let limit = scenario.rateLimit, limit > 0 { effective = min(effective, Double(limit) / 1e6) }
        let transfer = Double(scenario.bytes) / (effective * 1e6)
        let verify = Double(scenario.bytes) / 1.0e9 + files * 0.0001
        return setup + transfer + files * perFile + verify
    }

    /// Seconds for a whole scenario: every tool, warm-up and counted rounds.
    public static func scenarioSeconds(_ scenario: Scenario, options: PlanOptions) -> Double {
        let rounds = Double(options.warmupRounds + options.countedRounds)
        let perRound = scenario.tools.map { runSeconds($0, scenario) }.reduce(0, +)
        return rounds * perRound
    }

    /// Seconds for the whole plan, data generation included (the ferry build is not).
    public static func totalSeconds(_ scenarios: [Scenario], options: PlanOptions) -> Double {
        // Each data set is generated and hashed once.
        var dataSets: [String: Int64] = [:]
        for scenario in scenarios { dataSets["\(scenario.workload)"] = scenario.bytes }
        let generation = Double(dataSets.values.reduce(0, +)) / 0.5e9 + 1
        return generation + scenarios.map { scenarioSeconds($0, options: options) }.reduce(0, +)
    }
}
