@testable import CompareCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// A small synthetic report: two scenarios at 0 and 50 ms, ferry and sftp,
/// one failed sftp run.
func sampleReport() -> ComparisonReport {
    func run(_ round: Int, _ wall: Double, ok: Bool = true) -> RunRecord {
        RunRecord(round: round, counted: round > 0,
                  outcome: ProcessOutcome(exitStatus: ok ? 0 : 1, wallSeconds: wall, userSeconds: wall / 4,
                                          systemSeconds: wall / 8, maxRSSKiB: 40 * 1024),
                  ok: ok, error: ok ? nil : "exit status 1: broken pipe")
    }
    var scenarios: [ScenarioResult] = []
    for (rtt, scale) in [(0, 1.0), (50, 3.0)] {
        let scenario = Scenario(workload: .file(bytes: 100_000_000), direction: .get, rttMilliseconds: rtt,
                                cipher: CipherSuite.standard[0], tools: [.ferry, .sftp])
        var ferry = ToolResult(tool: .ferry, status: .ok, runs: [run(0, 9), run(1, 1 * scale), run(2, 2 * scale), run(3, 1 * scale)])
        var sftp = ToolResult(tool: .sftp, status: .ok, runs: [run(0, 9), run(1, 2 * scale), run(2, 2 * scale, ok: rtt == 0), run(3, 4 * scale)])
        ferry.summarise(bytes: 100_000_000, ferry: nil)
        sftp.summarise(bytes: 100_000_000, ferry: ferry)
        scenarios.append(ScenarioResult(scenario: scenario, bytes: 100_000_000, files: 1, sha256: "00",
                                        tools: [ferry, sftp]))
    }
    let sync = Scenario(workload: .tree(.init(files: 10, directories: 1, minBytes: 1, maxBytes: 2)), direction: .sync,
                        rttMilliseconds: 0, cipher: CipherSuite.standard[0], tools: [], notImplemented: [.ferry])
    scenarios.append(ScenarioResult(scenario: sync, bytes: 15, files: 10, sha256: "00",
                                    tools: [ToolResult(tool: .ferry, status: .notImplemented)]))
    var options = PlanOptions()
    options.countedRounds = 3
    return ComparisonReport(started: "2026-01-01T00:00:00Z", durationSeconds: 12, environment: ["ssh": "OpenSSH"],
                            options: options, scenarios: scenarios)
}

@Suite struct ReportTests {
    @Test func summaryUsesOnlyGoodCountedRuns() throws {
        let report = sampleReport()
        let ferry = report.scenarios[0].tools[0]
        #expect(ferry.wall == Summary([1, 2, 1]))            // the warm-up (9 s) is not counted
        #expect(ferry.megabytesPerSecond == 100)              // 10^8 bytes / 1 s median
        #expect(ferry.peakRSSMiB == 40)
        let sftp50 = report.scenarios[1].tools[1]
        #expect(sftp50.failures == 1 && sftp50.status == .failed)
        #expect(sftp50.wall == Summary([6, 12]))
        // Pairs (3/6, fail, 3/12): the failed pair is dropped.
        #expect(sftp50.ferryRatio == Summary([0.5, 0.25]))
        #expect(!report.allSucceeded)
    }

    @Test func markdownHasOneRowPerToolAndListsFailures() {
        let markdown = MarkdownReport.render(sampleReport())
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| ") }
        #expect(rows.count == 1 + 5)  // header + 2 scenarios × 2 tools + the not-implemented row
        #expect(markdown.contains("| get 100 MB file, 0 ms, aes128-gcm | ferry | 3/3 | 1.00 | 1.00 | 2.00 | 100.0 |")
            || markdown.contains("| get 95.4 MiB file, 0 ms, aes128-gcm | ferry | 3/3 | 1.00 | 1.00 | 2.00 | 100.0 |"))
        #expect(markdown.contains("| sftp | **2/3** |"))
        #expect(markdown.contains("0.38 (0.25–0.50)"))
        #expect(markdown.contains("| ferry | not implemented yet |"))
        #expect(markdown.contains("Failed runs (not timed):"))
        #expect(markdown.contains("broken pipe"))
    }

    @Test func jsonRoundTrips() throws {
        let report = sampleReport()
        let data = try JSONReport.render(report)
        #expect(try JSONReport.parse(data) == report)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"wallSeconds\""))
        #expect(text.contains("\"not implemented yet\""))
    }

    @Test func svgChartsAreWellFormedAndNameEveryTool() throws {
        let report = sampleReport()
        for svg in [SVGCharts.throughput(report), SVGCharts.throughputByRTT(report)] {
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(svg.contains("ferry") && svg.contains("sftp"))
            #expect(svg.components(separatedBy: "<text").count == svg.components(separatedBy: "</text>").count)
            #expect(try XMLDocument(xmlString: svg).rootElement()?.name == "svg")
        }
        let rtt = SVGCharts.throughputByRTT(report)
        #expect(rtt.contains("<polyline"))
        #expect(rtt.contains("50 ms"))
        let bars = SVGCharts.throughput(report)
        #expect(bars.components(separatedBy: "<rect").count - 1 == 1 + 4)  // background + one bar per measured tool
    }

    @Test func axisTicksAreRound() {
        #expect(SVGCharts.axis(21.6) == (25, 5))
        #expect(SVGCharts.axis(7.1) == (8, 2))
        #expect(SVGCharts.axis(663) == (800, 200))
        #expect(SVGCharts.axis(0.8) == (0.8, 0.2))
    }

    @Test func rttChartWithoutSeriesSaysSo() {
        var report = sampleReport()
        report.scenarios.removeLast(2)
        #expect(SVGCharts.throughputByRTT(report).contains("No scenario was measured at more than one round-trip time."))
    }
}

@Suite struct PlanTests {
    /// The issue's budget: the default set finishes in under 20 minutes here.
    @Test func defaultSetIsEstimatedUnderTwentyMinutes() {
        let options = PlanOptions()
        let seconds = Estimate.totalSeconds(Plan.scenarios(options), options: options)
        #expect(seconds < 20 * 60, "estimated \(seconds / 60) min")
    }

    @Test func quickSetIsSmallAndCoversTheMainTools() {
        let options = PlanOptions.quick
        let scenarios = Plan.scenarios(options)
        #expect(Estimate.totalSeconds(scenarios, options: options) < 60)
        let tools = Set(scenarios.flatMap(\.tools))
        #expect(tools.isSuperset(of: [.ferry, .sftp, .scp, .rsync]))
        #expect(Set(scenarios.map(\.rttMilliseconds)) == [0, 10])
        #expect(options.countedRounds == 1)
    }

    @Test func defaultSetCoversTheIssue() {
        let scenarios = Plan.scenarios(PlanOptions())
        let names = scenarios.map(\.name)
        #expect(names.contains("get 1 GiB file, 0 ms, aes128-gcm"))
        #expect(names.contains("put 1 GiB file, 0 ms, aes128-gcm"))
        #expect(names.contains("get 2000 files, 0 ms, aes128-gcm"))
        #expect(names.contains("get 1 GiB file, 0 ms, chacha20-poly1305"))
        #expect(names.contains("get 1 GiB file, 0 ms, aes128-ctr+hmac-sha2-256-etm"))
        #expect(names.contains("get 128 MiB file, 50 ms, aes128-gcm"))
        #expect(names.contains("put 50 files, 50 ms, aes128-gcm"))
        #expect(scenarios.allSatisfy { $0.tools.first == .ferry })
        #expect(!scenarios.contains { $0.tools.contains(.paramiko) })
        // rsync only where there is a tree.
        let rsyncScenarios = scenarios.filter { $0.tools.contains(.rsync) }
        #expect(rsyncScenarios.allSatisfy { $0.workload.isTree })
    }

    @Test func syncScenariosCompareFerryRsyncAndRclone() throws {
        var options = PlanOptions()
        options.withSync = true
        let syncs = Plan.scenarios(options).filter { $0.direction == .sync }
        // first / no-change / 10% changed, up and down, at 0 and 50 ms; then the large tree.
        #expect(syncs.count == 13)
        #expect(syncs.dropLast().allSatisfy { $0.tools == [.ferry, .rsync, .rclone] && $0.workload == .tree(options.tree) })
        #expect(syncs.map(\.name).contains("sync 10% changed down 2000 files, 50 ms, aes128-gcm"))
        let large = try #require(syncs.last)
        #expect(large.tools == [.ferry, .rsync] && large.sync == SyncCase(upload: true, state: .unchanged))
        #expect(large.workload == .tree(.init(files: 100_000, directories: 1000, minBytes: 0, maxBytes: 4096)))
    }

    @Test func syncCommandsDeleteAndKeepDirections() throws {
        let directory = try Setup.makeTemporaryDirectory(under: "/tmp", prefix: "compare-sync")
        defer { removeTree(directory) }
        let context = ToolContext(sshConfig: "/c/ssh_config", ferry: "/bin/ferry", python: nil, peerScript: "peer.py",
                                  scratch: directory, port: 2222, user: "u", identity: "/k", knownHosts: "/kh")
        let down = Scenario(workload: .tree(.init(files: 1, directories: 1, minBytes: 1, maxBytes: 1)), direction: .sync,
                            rttMilliseconds: 0, cipher: CipherSuite.standard[0], tools: [.ferry, .rsync, .rclone],
                            sync: SyncCase(upload: false, state: .first))
        #expect(try Tool.ferry.command(for: down, source: "/s", destination: "/d", context: context).arguments
            == ["/bin/ferry", "sync", "-q", "--delete", "-F", "/c/ssh_config", "bench:/s", "/d"])
        #expect(try Tool.rsync.command(for: down, source: "/s", destination: "/d", context: context).arguments
            == ["rsync", "-a", "--delete", "-e", "ssh -F /c/ssh_config", "bench:/s/", "/d/"])
        #expect(try Tool.rclone.command(for: down, source: "/s", destination: "/d", context: context).arguments
            == ["rclone", "--config", directory + "/rclone.conf", "sync", "bench:/s", "/d"])
        let config = try String(contentsOfFile: directory + "/rclone.conf", encoding: .utf8)
        #expect(config.contains("port = 2222") && config.contains("key_file = /k") && config.contains("known_hosts_file = /kh"))
    }

    @Test func commandsUseTheSharedConfig() throws {
        let directory = try Setup.makeTemporaryDirectory(under: "/tmp", prefix: "compare-tests")
        defer { removeTree(directory) }
        let context = ToolContext(sshConfig: "/c/ssh_config", ferry: "/bin/ferry", python: nil, peerScript: "peer.py",
                                  scratch: directory, port: 2222, user: "u", identity: "/k", knownHosts: "/kh")
        let tree = Scenario(workload: .tree(.init(files: 1, directories: 1, minBytes: 1, maxBytes: 1)), direction: .get,
                            rttMilliseconds: 0, cipher: CipherSuite.standard[0], tools: [])
        #expect(try Tool.ferry.command(for: tree, source: "/s", destination: "/d", context: context).arguments
            == ["/bin/ferry", "get", "-q", "-r", "-F", "/c/ssh_config", "bench:/s", "/d"])
        let tuned = try Tool.sftpTuned.command(for: tree, source: "/s", destination: "/d", context: context)
        #expect(tuned.arguments == ["sftp", "-q", "-B", "261120", "-R", "256", "-F", "/c/ssh_config", "-b", "-", "bench"])
        #expect(try String(contentsOfFile: try #require(tuned.stdin), encoding: .utf8) == "get -r \"/s\" \"/d\"\n")
        #expect(try Tool.rsync.command(for: tree, source: "/s", destination: "/d", context: context).arguments
            == ["rsync", "-a", "-e", "ssh -F /c/ssh_config", "bench:/s/", "/d/"])
        var put = tree
        put.direction = .put
        #expect(try Tool.scpLegacy.command(for: put, source: "/s", destination: "/d", context: context).arguments
            == ["scp", "-q", "-O", "-r", "-F", "/c/ssh_config", "/s", "bench:/d"])
        #expect(throws: HarnessError.self) {
            try Tool.paramiko.command(for: put, source: "/s", destination: "/d", context: context)
        }
    }
}
