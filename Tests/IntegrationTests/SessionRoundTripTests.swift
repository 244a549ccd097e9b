import Foundation
import Testing

// The round trip that picks a transfer's SFTP channel count is the link's,
// whatever the transfer waited for before asking (issue 15): `-vv` waits
// for the server's limits to print them, and the pool then timed a wait
// that was already over (microseconds: one channel for a put at 50 ms).

@Suite("SFTP channel count: the measured round trip is the link's", .serialized)
struct SessionRoundTripTests {
    @Test("put -vv through a proxy that delays each chunk 30 ms: the logged round trip is at least 30 ms, not microseconds")
    func roundTripUnderVerbose() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd) { _ in .delay(.milliseconds(30)) }
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-rtt")
        defer { home.remove() }
        let local = try home.write("small", Proof.bytes(10_000, seed: 3))
        for verbosity in ["-v", "-vv"] {
            let result = try await server.ferry("put", [verbosity, local, Proof.remote(sshd, "\(sshd.scratchDirectory)/small\(verbosity)")])
            #expect(result.succeeded, "\(result.summary)")
            let line = result.stderr.split(separator: "\n").first { $0.contains("round trip ") }
            let seconds = line.flatMap { $0.split(separator: " ").drop { $0 != "trip" }.dropFirst().first }.flatMap { Double($0) }
            #expect((seconds ?? 0) >= 0.03, "\(verbosity): \(line ?? "no round-trip line"): \(result.stderr)")
        }
    }
}
