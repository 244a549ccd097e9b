import Testing
@testable import CompareCore

/// The rate-limited rows: ferry --bwlimit and sftp -l given one limit, the
/// achieved rate shown next to it.
@Suite struct RateLimitRowTests {
    static let context = ToolContext(sshConfig: "/cfg", ferry: "/ferry", python: nil, peerScript: "/peer.py", scratch: "/tmp",
                                     port: 22, user: "u", identity: "/id", knownHosts: "/kh")

    static var withLimit: PlanOptions {
        var options = PlanOptions()
        options.rateLimit = 20 << 20
        return options
    }

    @Test func theLimitAddsGetAndPutRowsDefaultAndQuickHaveNone() throws {
        let limited = Plan.scenarios(Self.withLimit).filter { $0.rateLimit != nil }
        #expect(limited.map(\.name) == ["get 64 MiB file, 0 ms, aes128-gcm, limit 20 MiB/s",
                                        "put 64 MiB file, 0 ms, aes128-gcm, limit 20 MiB/s"])
        #expect(limited.allSatisfy { $0.tools == [.ferry, .sftp] })
        #expect(!Plan.scenarios(PlanOptions.quick).contains { $0.rateLimit != nil })
        #expect(!Plan.scenarios(PlanOptions()).contains { $0.rateLimit != nil })
    }

    @Test func eachToolIsGivenTheLimitInItsOwnUnits() throws {
        let scenario = try #require(Plan.scenarios(Self.withLimit).first { $0.rateLimit != nil })
        let ferry = try Tool.ferry.command(for: scenario, source: "/s", destination: "/d", context: Self.context)
        #expect(ferry.arguments.contains("--bwlimit") && ferry.arguments.contains("20971520B"))
        let sftp = try Tool.sftp.command(for: scenario, source: "/s", destination: "/d", context: Self.context)
        let index = try #require(sftp.arguments.firstIndex(of: "-l"))
        #expect(sftp.arguments[index + 1] == "163840")
    }

    @Test func theShareOfTheLimitIsBytesOverTimeOverTheLimit() throws {
        let scenario = Scenario(workload: .file(bytes: 64 << 20), direction: .get, rttMilliseconds: 0,
                                cipher: CipherSuite.standard[0], tools: [.ferry], rateLimit: 20 << 20)
        #expect(scenario.shareOfLimit(seconds: 3.2) == 1.0)
        #expect(abs((scenario.shareOfLimit(seconds: 3.3) ?? 0) - 0.9697) < 0.001)
        #expect(scenario.shareOfLimit(seconds: 0) == nil)
        #expect(Scenario(workload: .file(bytes: 1), direction: .get, rttMilliseconds: 0, cipher: CipherSuite.standard[0],
                         tools: [.ferry]).shareOfLimit(seconds: 1) == nil)
    }
}
