// Compare: ferry against OpenSSH sftp/scp, rsync and (optionally) paramiko and
// asyncssh on a local sshd — the comparison harness of issue 6. The logic is
// in CompareCore; this file reads options and wires the steps together.
import ArgumentParser
import CompareCore
import Foundation

@main
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Compare",
        abstract: "Compare ferry with OpenSSH sftp/scp, rsync and Python SSH clients on a local sshd.",
        discussion: """
            Builds ferry (release), starts sshd on 127.0.0.1 with its own keys and config, generates \
            seeded data on /dev/shm, runs every scenario with alternating tools, verifies every output \
            by sha256, and writes report.md, results.json, throughput.svg and rtt.svg to \
            Benchmarks/results/<time>/. The Markdown table also goes to stdout. Exits 1 when any run failed.
            """
    )

    @Flag(help: "Smoke test: 4 MiB file, 40-file tree, one run, RTT 0 and 10 ms, one cipher.")
    var quick = false

    @Flag(help: "Print the scenarios and the time estimate, then exit.")
    var plan = false

    @Option(help: "Render report.md and the SVG charts again from this results.json (next to it), then exit.")
    var render: String?

    @Option(help: "Use this ferry binary instead of building one in release mode.")
    var ferry: String?

    @Option(help: "The ferry repository to build (default: the one holding this package).")
    var repository: String?

    @Option(help: "Counted runs per tool and scenario (default 5; --quick: 1).")
    var runs: Int?

    @Option(help: "Warm-up rounds before the counted ones (default 1; --quick: 0).")
    var warmup: Int?

    @Option(help: "Added round-trip times in ms, comma-separated (default 0,50; --quick: 0,10).")
    var rtt: String?

    @Option(name: .customLong("file-mib"), help: "Big file size at 0 ms, MiB (default 1024).")
    var fileMiB: Int?

    @Option(name: .customLong("rtt-file-mib"), help: "Big file size at RTT > 0, MiB (default 128).")
    var rttFileMiB: Int?

    @Option(help: "Files in the small-file tree at 0 ms (default 2000, 1-64 KiB each).")
    var treeFiles: Int?

    @Option(help: "Files in the small-file tree at RTT > 0 (default 50).")
    var rttTreeFiles: Int?

    @Option(help: "Directories the tree's files are spread over (default 20).")
    var treeDirs: Int?

    @Option(help: "Cipher suites, comma-separated, cipher or cipher+mac; the first is used everywhere, the others on the 0 ms big-file get.")
    var ciphers: String?

    @Option(help: "Only these tools, comma-separated (ferry, ferry-scp, sftp, sftp-tuned, scp, scp-O, rsync, rclone, paramiko, asyncssh, ferry-sftp-b, sftp-b-lines, ferry-get-each, ferry-lib).")
    var tools: String?

    @Option(help: "Only scenarios whose name contains this text, e.g. \"get 1 GiB file, 0 ms\" (repeatable).")
    var only: [String] = []

    @Flag(help: "Add paramiko and asyncssh (pip-installed into Benchmarks/.build-peers/venv) to the 0 ms scenarios.")
    var withPythonPeers = false

    @Flag(help: "Add ferry-lib (the Examples fetch program: one FerryKit SFTPSession.download) to the 0 ms big-file get, next to ferry get.")
    var withLibrary = false

    @Option(help: "Use this Examples fetch binary for ferry-lib instead of building one in release mode.")
    var fetch: String?

    @Flag(help: "Add the sftp batch rows: at each RTT above 0 a batch of one get (and put) line per file, ferry sftp -b vs sftp -b; at 0 ms a batch of 4 get lines of 256 MiB files vs 4 single ferry get runs.")
    var withBatch = false

    @Option(help: "Lines (files of 1-64 KiB) of the batch rows (default 200).")
    var batchFiles: Int?

    @Option(help: "Files of the 0 ms big-file batch row (default 4; 0 leaves the row out).")
    var bigBatchFiles: Int?

    @Option(help: "MiB per file of the 0 ms big-file batch row (default 256).")
    var bigBatchMib: Int?

    @Flag(help: "Add the sync scenarios: ferry sync, rsync -a --delete and rclone sync on the small-file tree (first, no-change, 10% changed; up and down; every RTT), and a no-change resync of a large tree of 0-4 KiB files (ferry and rsync: time and peak RSS).")
    var withSync = false

    @Option(help: "Files of the large no-change sync tree (default 100000).")
    var syncFiles: Int?

    @Flag(help: "Add the latency rows at each RTT: a 1-byte get by ferry, sftp, scp -O and ssh cat, and a remote echo by ferry exec and ssh; time to the first byte on stdout and to exit (results in latency.md).")
    var latency = false

    @Option(name: .customLong("rate-limit-mib"), help: "Add the rate-limited rows: get and put of a 64 MiB file at 0 ms by ferry --bwlimit and sftp -l at this limit, MiB/s (e.g. 20), with the achieved rate as a share of the limit.")
    var rateLimitMiB: Int?

    @Option(name: .customLong("rate-mbit"), help: "Cap the delay proxy at this many Mbit/s at RTTs above 0 (default: no cap).")
    var rateMbit: Double?

    @Flag(help: "Add sftp -B 261120 -R 256 and rclone (copyto --multi-thread-streams 8) to the big-file rows at RTTs above 0.")
    var withLongLinkPeers = false

    @Option(help: "Seed of the generated data (default 1).")
    var seed: UInt64?

    @Option(help: "Folder for results/<time>/ (default Benchmarks/results).")
    var results: String?

    /// Benchmarks/ (this file is Benchmarks/Sources/Compare/CompareCommand.swift).
    static let benchmarksDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func validate() throws {
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must not be negative") }
        if let rateMbit, !(rateMbit > 0 && rateMbit.isFinite) { throw ValidationError("--rate-mbit must be a positive number") }
    }

    func planOptions() throws -> PlanOptions {
        var options = quick ? PlanOptions.quick : PlanOptions()
        if let runs { options.countedRounds = runs }
        if let warmup { options.warmupRounds = warmup }
        if let rtt {
            let values = rtt.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw ValidationError("--rtt: expected milliseconds like 0,50")
            }
            options.rtts = values.compactMap { $0 }
        }
        if let fileMiB { options.fileBytes = Int64(fileMiB) << 20 }
        if let rttFileMiB { options.rttFileBytes = Int64(rttFileMiB) << 20 }
        options.rateMegabits = rateMbit
        options.withLongLinkPeers = withLongLinkPeers
        if let treeFiles { options.tree.files = treeFiles }
        if let rttTreeFiles { options.rttTreeFiles = rttTreeFiles }
        if let treeDirs { options.tree.directories = max(1, treeDirs) }
        if let ciphers {
            let suites = ciphers.split(separator: ",").compactMap { CipherSuite(parsing: String($0)) }
            guard !suites.isEmpty else { throw ValidationError("--ciphers: expected e.g. aes128-gcm@openssh.com") }
            options.ciphers = suites
        }
        if let tools {
            var chosen: [Tool] = []
            for name in tools.split(separator: ",") {
                guard let tool = Tool(rawValue: String(name)) else { throw ValidationError("--tools: unknown tool \(name)") }
                chosen.append(tool)
            }
            options.onlyTools = chosen
        }
        options.withPythonPeers = withPythonPeers || (options.onlyTools?.contains { $0.isPythonPeer } ?? false)
        options.withLibrary = withLibrary || (options.onlyTools?.contains(.ferryLib) ?? false)
        options.withSync = withSync
        options.withBatch = withBatch
        if let batchFiles { options.batchFiles = max(1, batchFiles) }
        if let bigBatchFiles { options.bigBatchFiles = max(0, bigBatchFiles) }
        if let bigBatchMib { options.bigBatchFileBytes = max(1, min(bigBatchMib, 1 << 16)) << 20 }
        if let syncFiles { options.syncFiles = syncFiles }
        if let seed { options.seed = seed }
        if let rateLimitMiB { options.rateLimit = rateLimitMiB > 0 ? Int64(rateLimitMiB) << 20 : nil }
        return options
    }

    func run() throws {
        if let render {
            let report = try JSONReport.parse(Data(contentsOf: URL(fileURLWithPath: render)))
            try write(report, to: URL(fileURLWithPath: render).deletingLastPathComponent().path, json: false)
            return
        }
        let options = try planOptions()
        var scenarios = Plan.scenarios(options)
        if !only.isEmpty {
            scenarios = scenarios.filter { scenario in only.contains { scenario.name.contains($0) } }
            // `--latency --only latency`: the latency rows alone.
            guard !scenarios.isEmpty || latency else { throw ValidationError("--only: no scenario matches \(only)") }
        }
        let estimate = Estimate.totalSeconds(scenarios, options: options)
        say("Compare: \(scenarios.count) scenarios, \(options.warmupRounds) warm-up + \(options.countedRounds) counted round(s); "
            + String(format: "estimated %.1f min (plus the ferry build)", estimate / 60))
        for scenario in scenarios {
            say("  " + scenario.name + ": " + scenario.tools.map(\.rawValue).joined(separator: ", ")
                + String(format: " (~%.0f s)", Estimate.scenarioSeconds(scenario, options: options)))
        }
        if plan { return }

        let signalSources = ChildRegistry.shared.installSignalHandlers()
        defer { withExtendedLifetime(signalSources) {} }
        let allSucceeded: Bool
        do {
            defer { ChildRegistry.shared.cleanUp() }
            allSucceeded = try measure(options: options, scenarios: scenarios)
        }
        if !allSucceeded {
            say("Compare: some runs failed (listed under the table)")
            throw ExitCode(1)
        }
    }

    /// Sets up, runs and reports; returns whether every run succeeded.
    func measure(options: PlanOptions, scenarios: [Scenario]) throws -> Bool {
        let started = Date()
        let startedClock = ProcessInfo.processInfo.systemUptime
        let usedTools = Array(Set(scenarios.flatMap(\.tools)))
        try Setup.ensurePrograms(for: usedTools, progress: say)
        let repository = self.repository ?? URL(fileURLWithPath: Self.benchmarksDirectory).deletingLastPathComponent().path
        let ferryBinary = try ferry.map { path -> String in
            guard access(path, X_OK) == 0 else { throw HarnessError("--ferry \(path): not an executable") }
            return path
        } ?? Setup.buildFerry(repository: repository, progress: say)
        let fetchBinary = usedTools.contains(.ferryLib)
            ? try fetch.map { path -> String in
                guard access(path, X_OK) == 0 else { throw HarnessError("--fetch \(path): not an executable") }
                return path
            } ?? Setup.buildFetch(repository: repository, progress: say)
            : nil
        let python = usedTools.contains(where: \.isPythonPeer)
            ? try Setup.pythonPeers(in: Self.benchmarksDirectory + "/.build-peers", progress: say) : nil

        // Room for the data sets and one output at a time (plus slack).
        let scratchParent = Setup.scratchParent(needing: 2 * (options.fileBytes + options.rttFileBytes) + (1 << 30))
        let work = try Setup.makeTemporaryDirectory(under: scratchParent, prefix: "ferry-compare")
        ChildRegistry.shared.onCleanUp { removeTree(work) }
        say("work folder \(work)")
        let server = try SSHServer.start(in: work + "/sshd")
        say("sshd on 127.0.0.1:\(server.port) (internal-sftp)")
        let runner = Runner(options: options, server: server, workDirectory: work, ferry: ferryBinary, fetch: fetchBinary,
                            python: python,
                            peerScript: Self.benchmarksDirectory + "/Peers/peer.py", progress: say)
        let results = try runner.run(scenarios)
        let latencyResults = latency
            ? try runner.latency(rtts: options.rtts, warmup: options.warmupRounds, counted: options.countedRounds) : []
        ChildRegistry.shared.yieldToSignalHandler()

        var environment: [String: String] = [
            "ssh": Setup.firstLine(["ssh", "-V"], scratch: work),
            "kernel": Setup.firstLine(["uname", "-sr"], scratch: work),
            "cpus": String(ProcessInfo.processInfo.activeProcessorCount),
            "ferry": ferryBinary,
            "ferryVersion": Setup.firstLine([ferryBinary, "--version"], scratch: work),
            "ferryCommit": Setup.firstLine(["git", "-C", repository, "rev-parse", "--short", "HEAD"], scratch: work),
            "scratch": scratchParent,
        ]
        if let fetchBinary { environment["fetch"] = fetchBinary }
        if usedTools.contains(.rsync) { environment["rsync"] = Setup.firstLine(["rsync", "--version"], scratch: work) }
        if let python {
            environment["python"] = Setup.firstLine([python, "-c", "import sys, paramiko, asyncssh; print(sys.version.split()[0], 'paramiko', paramiko.__version__, 'asyncssh', asyncssh.__version__)"], scratch: work)
        }
        let formatter = ISO8601DateFormatter()
        let report = ComparisonReport(
            started: formatter.string(from: started),
            durationSeconds: ProcessInfo.processInfo.systemUptime - startedClock,
            environment: environment, options: options, scenarios: results)

        let folder = (resultsFolder()) + "/" + formatter.string(from: started).replacingOccurrences(of: ":", with: "-")
        try write(report, to: folder, json: true)
        if latency {
            let table = LatencyReport.markdown(latencyResults)
            try writeText("# Latency: time to the first byte and to exit\n\n" + table, to: folder + "/latency.md")
            print("\n" + table, terminator: "")
        }
        say(String(format: "Compare: done in %.1f min; results in ", report.durationSeconds / 60) + folder)
        return report.allSucceeded && latencyResults.allSatisfy { $0.failures == 0 }
    }

    /// Writes results.json (unless re-rendering), report.md and the charts to
    /// `folder`, and the table to stdout.
    func write(_ report: ComparisonReport, to folder: String, json: Bool) throws {
        let markdown = MarkdownReport.render(report)
        try makeDirectories(folder)
        if json { try JSONReport.render(report).write(to: URL(fileURLWithPath: folder + "/results.json")) }
        try writeText(markdown, to: folder + "/report.md")
        try writeText(SVGCharts.throughput(report), to: folder + "/throughput.svg")
        try writeText(SVGCharts.throughputByRTT(report), to: folder + "/rtt.svg")
        print(markdown, terminator: "")
    }

    func resultsFolder() -> String { results ?? Self.benchmarksDirectory + "/results" }
}

/// Progress and messages go to stderr, so stdout holds only the table.
func say(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
