import DelayProxyCore
import Foundation
import NIOCore
import NIOPosix

/// Runner executes a plan against one sshd: it prepares each data set once,
/// starts a delay proxy per round-trip time, and runs the tools in
/// alternating order (A B C, A B C, …) so a slow phase of the machine hits
/// every tool alike. Every run's output is checked by sha256 and removed.
public final class Runner {
    private let options: PlanOptions
    let server: SSHServer
    let workDirectory: String
    let ferry: String
    /// The Examples `fetch` binary, for `ferry-lib`.
    let fetch: String?
    private let python: String?
    let peerScript: String
    let progress: (String) -> Void
    private var proxyPorts: [String: Int] = [:]
    private var group: MultiThreadedEventLoopGroup?
    private var prepared: [String: PreparedData] = [:]
    private var completedSeconds = 0.0
    private var remainingEstimate = 0.0

    /// A data set on disk and its expected digest.
    struct PreparedData {
        var path: String
        var digest: String
        var files: Int
        var bytes: Int64
    }

    public init(options: PlanOptions, server: SSHServer, workDirectory: String, ferry: String, fetch: String? = nil,
                python: String?, peerScript: String, progress: @escaping (String) -> Void) {
        self.options = options
        self.server = server
        self.workDirectory = workDirectory
        self.ferry = ferry
        self.fetch = fetch
        self.python = python
        self.peerScript = peerScript
        self.progress = progress
    }

    /// Runs every scenario and returns their results.
    public func run(_ scenarios: [Scenario]) throws -> [ScenarioResult] {
        try makeDirectories(workDirectory + "/data")
        try makeDirectories(workDirectory + "/out")
        try makeDirectories(workDirectory + "/logs")
        remainingEstimate = Estimate.totalSeconds(scenarios, options: options)
        var results: [ScenarioResult] = []
        for (index, scenario) in scenarios.enumerated() {
            guard !ChildRegistry.shared.isStopping else { break }
            let estimate = Estimate.scenarioSeconds(scenario, options: options)
            progress("[\(index + 1)/\(scenarios.count)] \(scenario.name) — "
                + scenario.tools.map(\.rawValue).joined(separator: ", ")
                + String(format: " (about %.0f s; %.0f s done, about %.0f s to go)",
                         estimate, completedSeconds, remainingEstimate))
            let started = monotonicSeconds()
            results.append(try run(scenario))
            remainingEstimate = max(0, remainingEstimate - estimate)
            completedSeconds += monotonicSeconds() - started
        }
        return results
    }

    private func run(_ scenario: Scenario) throws -> ScenarioResult {
        let data = try prepare(scenario)
        let port = try port(forRTT: scenario.rttMilliseconds, rate: scenario.rateMegabits)
        let config = workDirectory + "/ssh_config"
        try server.writeClientConfig(to: config, port: port, cipher: scenario.cipher)
        let context = ToolContext(
            sshConfig: config, ferry: ferry, fetch: fetch, python: python, peerScript: peerScript,
            scratch: workDirectory, port: port, user: server.user, identity: server.identity,
            knownHosts: server.knownHosts)
        var results = scenario.tools.map { ToolResult(tool: $0, status: .ok) }
        let rounds = options.warmupRounds + options.countedRounds
        for round in 0..<rounds {
            for (index, tool) in scenario.tools.enumerated() where results[index].status != .unsupported {
                guard !ChildRegistry.shared.isStopping else { break }
                let record = runOnce(tool, scenario: scenario, data: data, context: context, round: round)
                if record.outcome?.exitStatus == 3 && tool.isPythonPeer {
                    results[index].status = .unsupported
                    progress("    \(tool.rawValue): does not support \(scenario.cipher.label); skipped")
                    continue
                }
                results[index].runs.append(record)
                let label = round < options.warmupRounds ? "warm-up" : "run \(round - options.warmupRounds + 1)/\(options.countedRounds)"
                let time = record.outcome.map { String(format: "%.2f s", $0.wallSeconds) } ?? "-"
                progress("    \(tool.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(label): \(time) \(record.ok ? "ok" : "FAILED: \(record.error ?? "")")")
            }
        }
        let ferryIndex = scenario.tools.firstIndex(of: .ferry)
        if let ferryIndex { results[ferryIndex].summarise(bytes: data.bytes, ferry: nil) }
        for index in results.indices where index != ferryIndex {
            results[index].summarise(bytes: data.bytes, ferry: ferryIndex.map { results[$0] })
        }
        if scenario.sync != nil {
            for tool in scenario.tools { removeTree(syncTarget(tool)) }
        }
        results += scenario.notImplemented.map { ToolResult(tool: $0, status: .notImplemented) }
        return ScenarioResult(scenario: scenario, bytes: data.bytes, files: data.files, sha256: data.digest,
                              tools: results)
    }

    /// One run: clear the destination, run the tool, verify, remove the output.
    private func runOnce(_ tool: Tool, scenario: Scenario, data: PreparedData, context: ToolContext,
                         round: Int) -> RunRecord {
        let counted = round >= options.warmupRounds
        // Far above any sane run (the model's estimate is pessimistic already),
        // but finite: a hung tool becomes a failed run, not a hung harness.
        let timeout = max(120, 20 * Estimate.runSeconds(tool, scenario))
        let destination: String
        if let sync = scenario.sync {
            destination = syncTarget(tool)
            do { try prepareTarget(destination, sync.state, data: data, round: round) } catch {
                return RunRecord(round: round, counted: counted, outcome: nil, ok: false, error: "\(error)")
            }
        } else if scenario.direction == .sync {
            destination = data.path + ".remote"
        } else {
            destination = workDirectory + "/out/" + tool.rawValue + (scenario.workload.isTree ? "-tree" : ".bin")
            removeTree(destination)
        }
        let stderrPath = workDirectory + "/logs/\(tool.rawValue).stderr"
        let outcome: ProcessOutcome
        do {
            let command = try tool.command(for: scenario, source: data.path, destination: destination, context: context)
            let rssReport = workDirectory + "/logs/\(tool.rawValue).rss"
            let arguments = PeakMemory.isAvailable ? PeakMemory.wrap(command.arguments, report: rssReport)
                                                   : command.arguments
            let child = try ChildProcess.spawn(arguments, stdin: command.stdin,
                                               stdout: workDirectory + "/logs/\(tool.rawValue).stdout", stderr: stderrPath)
            var measured = child.wait(timeout: timeout)
            if PeakMemory.isAvailable {
                measured.maxRSSKiB = PeakMemory.read(report: rssReport) ?? measured.maxRSSKiB
                unlink(rssReport)
            }
            outcome = measured
            if child.timedOut {
                removeTree(destination)
                return RunRecord(round: round, counted: counted, outcome: outcome, ok: false,
                                 error: String(format: "killed after %.0f s (timeout)", timeout))
            }
        } catch {
            return RunRecord(round: round, counted: counted, outcome: nil, ok: false, error: "\(error)")
        }
        defer { if scenario.direction != .sync { removeTree(destination) } }
        guard outcome.succeeded else {
            let tail = (try? String(contentsOfFile: stderrPath, encoding: .utf8)).map { String($0.suffix(400)) } ?? ""
            return RunRecord(round: round, counted: counted, outcome: outcome, ok: false,
                             error: "exit status \(outcome.exitStatus): \(tail.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        do {
            let digest = scenario.workload.isTree ? try ContentDigest.tree(destination).digest
                                                  : try ContentDigest.file(destination)
            guard digest == data.digest else {
                return RunRecord(round: round, counted: counted, outcome: outcome, ok: false,
                                 error: "sha256 mismatch: output \(digest), expected \(data.digest)")
            }
        } catch {
            return RunRecord(round: round, counted: counted, outcome: outcome, ok: false,
                             error: "output not verifiable: \(error)")
        }
        return RunRecord(round: round, counted: counted, outcome: outcome, ok: true, error: nil)
    }

    /// Where `tool` syncs to (a local path for a download, a server path
    /// for an upload: the same file system).
    private func syncTarget(_ tool: Tool) -> String { workDirectory + "/out/" + tool.rawValue + "-sync" }

    /// Puts a sync target into `state` before a run (untimed): absent, an
    /// identical copy (made before the first round; each run leaves it
    /// so), or the copy with 10% of the files changed.
    private func prepareTarget(_ target: String, _ state: SyncCase.State, data: PreparedData, round: Int) throws {
        switch state {
        case .first:
            removeTree(target)
        case .unchanged:
            guard round == 0 || !FileManager.default.fileExists(atPath: target) else { return }
            removeTree(target)
            try copyTree(data.path, to: target)
        case .changed:
            removeTree(target)
            try copyTree(try changedCopy(of: data), to: target)
        }
    }

    private func copyTree(_ source: String, to target: String) throws {
        let outcome = try runCommand(["cp", "-a", source, target])
        guard outcome.succeeded else { throw HarnessError("cp -a \(source) \(target) failed") }
    }

    /// A copy of the data set in which every tenth file (in sorted order)
    /// holds other bytes of the same size and a later modification time:
    /// what a sync must copy back. Made once per data set.
    private func changedCopy(of data: PreparedData) throws -> String {
        let path = data.path + ".changed"
        if FileManager.default.fileExists(atPath: path) { return path }
        try copyTree(data.path, to: path + ".tmp")
        guard let walker = FileManager.default.enumerator(atPath: path + ".tmp") else { throw HarnessError("cannot list \(path)") }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + ".tmp/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        for (index, relative) in files.sorted().enumerated() where index % 10 == 0 {
            let file = path + ".tmp/" + relative
            let contents = try Data(contentsOf: URL(fileURLWithPath: file))
            try Data(contents.map { $0 ^ 0x5A }).write(to: URL(fileURLWithPath: file))
            var times = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, file, &times, 0)
        }
        guard rename(path + ".tmp", path) == 0 else { throw HarnessError("rename \(path) failed") }
        return path
    }

    /// Creates (once) the data set of a scenario and computes its digest.
    private func prepare(_ scenario: Scenario) throws -> PreparedData {
        let key: String
        switch scenario.workload {
        case .file(let bytes): key = "file-\(bytes).bin"
        case .tree(let shape):
            key = "\(scenario.direction == .sync ? "sync" : "tree")-\(shape.files)x\(shape.directories)-\(shape.minBytes)-\(shape.maxBytes)"
        }
        if let data = prepared[key] { return data }
        let path = workDirectory + "/data/" + key
        let started = monotonicSeconds()
        let data: PreparedData
        switch scenario.workload {
        case .file(let bytes):
            try DataSet.writeFile(at: path, bytes: bytes, seed: options.seed)
            data = PreparedData(path: path, digest: try ContentDigest.file(path), files: 1, bytes: bytes)
        case .tree(let shape):
            try DataSet.writeTree(at: path, shape: shape, seed: options.seed)
            let tree = try ContentDigest.tree(path)
            data = PreparedData(path: path, digest: tree.digest, files: tree.files, bytes: tree.bytes)
            if scenario.direction == .sync, scenario.sync == nil {
                // The server's copy, with the same times, so nothing differs.
                let outcome = try runCommand(["cp", "-a", path, path + ".remote"])
                guard outcome.succeeded else { throw HarnessError("cp -a \(path) failed") }
            }
        }
        progress("    data: \(key) (\(data.files) files, \(formatBytes(data.bytes)), sha256 \(data.digest.prefix(12))…)"
            + String(format: " in %.1f s", monotonicSeconds() - started))
        prepared[key] = data
        return data
    }

    /// The port tools connect to for this RTT: sshd's for 0, else a delay
    /// proxy's (started once, in-process, one-way delay = RTT / 2).
    func port(forRTT rtt: Int, rate: Double?) throws -> Int {
        guard rtt > 0 else { return server.port }
        let key = "\(rtt) \(rate ?? 0)"
        if let port = proxyPorts[key] { return port }
        let group: MultiThreadedEventLoopGroup
        if let existing = self.group {
            group = existing
        } else {
            group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            self.group = group
            ChildRegistry.shared.onCleanUp { try? group.syncShutdownGracefully() }
        }
        let configuration = DelayProxyConfiguration(
            targetPort: server.port, delay: .microseconds(Int64(rtt) * 500), rateMegabitsPerSecond: rate)
        let proxy = try DelayProxy.bind(configuration: configuration, group: group).wait()
        ChildRegistry.shared.onCleanUp { try? proxy.stop().wait() }
        try server.trust(port: proxy.localPort)
        proxyPorts[key] = proxy.localPort
        progress("    delay proxy 127.0.0.1:\(proxy.localPort) → sshd, \(rtt) ms round trip"
            + (rate.map { String(format: ", capped at %g Mbit/s", $0) } ?? ""))
        return proxy.localPort
    }
}
