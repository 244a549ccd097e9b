import Foundation
import Testing
@testable import ferry

// `ferry bench`'s pure pieces: option parsing, cipher selection, statistics,
// the best row, the table and the JSON document.

@Suite("ferry bench report and options")
struct BenchReportTests {
    static func row(_ cipher: String, mac: String? = nil, get: Double, put: Double, error: String? = nil) -> BenchResult {
        BenchResult(cipher: cipher, mac: mac, connectMs: 12.34, rttMinMs: 0.11, rttMedianMs: 0.2,
                    downloadMBps: get, uploadMBps: put, downloadCPUPercent: 80.4, uploadCPUPercent: 91.6, error: error)
    }

    static func report(_ results: [BenchResult]) -> BenchReport {
        var r = BenchReport(host: "example.com", port: 2222, user: "u", remoteDirectory: "/home/u",
                            sizeBytes: 64 << 20, roundTrips: 20, serverCiphers: ["aes128-ctr"], results: results)
        r.best = BenchReport.best(of: results)
        return r
    }

    @Test func defaultsAndOptionsParse() throws {
        let defaults = try BenchCommand.parse(["host"])
        #expect(defaults.size == 64 && defaults.roundTrips == 20 && !defaults.json && defaults.remoteDir == nil)
        #expect(try defaults.restrictedCiphers() == nil)
        #expect(defaults.plan.size == 64 << 20)

        let c = try BenchCommand.parse(["--size", "4", "--json", "--round-trips", "5", "--remote-dir", "/tmp",
                                        "--ciphers", "aes128-ctr, aes128-ctr,chacha20-poly1305@openssh.com",
                                        "-P", "2222", "-q", "-c", "aes256-gcm@openssh.com", "-B", "65536", "-R", "8", "u@h"])
        #expect(c.json && c.size == 4 && c.roundTrips == 5 && c.remoteDir == "/tmp" && c.destination == "u@h")
        #expect(try c.restrictedCiphers() == ["aes128-ctr", "chacha20-poly1305@openssh.com"])
        #expect(c.connection.port == 2222 && c.connection.quiet && c.connection.cipher == "aes256-gcm@openssh.com")
        #expect(c.plan == BenchPlan(size: 4 << 20, roundTrips: 5, remoteDirectory: "/tmp", blockLength: 65536, maxOutstanding: 8))
    }

    @Test func badOptionsAreRefused() {
        for arguments in [["--size", "0", "h"], ["--round-trips", "0", "h"], ["--ciphers", "rot13", "h"],
                          ["--ciphers", "aes128-ctr,,aes256-ctr", "h"], ["-R", "0", "h"], ["-B", "0", "h"], []] {
            #expect(throws: (any Error).self, "\(arguments)") { _ = try BenchCommand.parse(arguments) }
        }
    }

    @Test func ciphersAreThoseBothSidesOffer() {
        let server = BenchServerCiphers(clientToServer: ["chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com"],
                                        serverToClient: ["chacha20-poly1305@openssh.com", "aes128-ctr"])
        let client = ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr"]
        let all = BenchStatistics.ciphers(client: client, server: server, restrict: nil)
        #expect(all.measure == ["chacha20-poly1305@openssh.com", "aes128-ctr"])
        #expect(all.unavailable == ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"])
        let some = BenchStatistics.ciphers(client: client, server: server, restrict: ["aes128-ctr", "aes192-ctr"])
        #expect(some.measure == ["aes128-ctr"] && some.unavailable == ["aes192-ctr"])
        #expect(server.all == ["chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com"])
    }

    @Test func statistics() {
        #expect(BenchStatistics.median([]) == 0)
        #expect(BenchStatistics.median([3, 1, 2]) == 2)
        #expect(BenchStatistics.median([4, 1, 3, 2]) == 2.5)
        #expect(BenchStatistics.milliseconds(.milliseconds(1500)) == 1500)
        #expect(BenchStatistics.megabytesPerSecond(10_000_000, .seconds(2)) == 5)
        #expect(BenchStatistics.megabytesPerSecond(1, .zero) == 0)
    }

    @Test func bestIsTheFastestRowThatDidNotFail() {
        let rows = [Self.row("aes128-gcm@openssh.com", get: 200, put: 150),
                    Self.row("aes128-ctr", mac: "hmac-sha2-256-etm@openssh.com", get: 250, put: 140),
                    Self.row("chacha20-poly1305@openssh.com", get: 900, put: 900, error: "boom")]
        let best = BenchReport.best(of: rows)
        #expect(best?.cipher == "aes128-ctr")
        #expect(best?.arguments == ["-c", "aes128-ctr", "-m", "hmac-sha2-256-etm@openssh.com"])
        #expect(BenchReport.best(of: [rows[2]]) == nil)
        #expect(BenchReport.best(of: []) == nil)
    }

    @Test func tableHasOneLinePerCipherAndTheBestLine() {
        let table = Self.report([Self.row("aes128-gcm@openssh.com", get: 251.26, put: 240),
                                 Self.row("aes128-ctr", get: 0, put: 0, error: "connection refused")]).table()
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(table)")
        #expect(lines[0] == "u@example.com port 2222: 64 MiB up and down in /home/u, 20 round trips per connection")
        #expect(lines[1].hasPrefix("cipher") && lines[1].contains("get MB/s") && lines[1].contains("CPU get/put"))
        #expect(lines[2].hasPrefix("aes128-gcm@openssh.com") && lines[2].contains("12.3 ms")
                && lines[2].contains("0.11/0.20 ms") && lines[2].contains("251.3") && lines[2].contains("80%/92%"), "\(lines[2])")
        #expect(lines[3].hasPrefix("aes128-ctr") && lines[3].hasSuffix("failed: connection refused"))
        #expect(lines[4] == "best: -c aes128-gcm@openssh.com (get 251.3 MB/s, put 240.0 MB/s)")
        #expect(Self.report([]).table().hasSuffix("best: none (no cipher was measured)"))
    }

    @Test func jsonRoundTripsWithStableKeys() throws {
        let report = Self.report([Self.row("aes128-gcm@openssh.com", get: 250, put: 240)])
        let text = try report.json()
        #expect(try JSONDecoder().decode(BenchReport.self, from: Data(text.utf8)) == report)
        for key in ["\"downloadMBps\"", "\"uploadMBps\"", "\"rttMedianMs\"", "\"connectMs\"", "\"best\"", "\"sizeBytes\""] {
            #expect(text.contains(key), "\(key)")
        }
        #expect(!text.contains("\"error\""), "nil errors are left out")
    }
}
