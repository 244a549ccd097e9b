import CompareCore
import Foundation
import Testing

@Suite(.serialized) struct LatencyTests {
    @Test("the first byte on stdout and the exit are timed apart")
    func firstByteAndExit() throws {
        let directory = try Setup.makeTemporaryDirectory(under: "/tmp", prefix: "latency-tests")
        defer { removeTree(directory) }
        let sample = LatencyProbe.measure(["sh", "-c", "sleep 0.2; echo x; sleep 0.3"], scratch: directory)
        let firstByte = try #require(sample.firstByte)
        let exit = try #require(sample.exit)
        #expect(firstByte >= 0.2)
        #expect(exit >= firstByte + 0.3)
    }

    @Test("a failing command, or one that writes nothing, gives no times (and does not hang)")
    func failures() throws {
        let directory = try Setup.makeTemporaryDirectory(under: "/tmp", prefix: "latency-tests")
        defer { removeTree(directory) }
        #expect(LatencyProbe.measure(["sh", "-c", "echo x; exit 3"], scratch: directory).firstByte == nil)
        #expect(LatencyProbe.measure(["true"], scratch: directory).exit == nil)
        // A tool that writes a file instead: only its exit is timed.
        let quiet = LatencyProbe.measure(["true"], scratch: directory, expectsOutput: false)
        #expect(quiet.exit != nil && quiet.firstByte == nil)
        #expect(LatencyProbe.measure(["/nonexistent/program"], scratch: directory).exit == nil)
    }

    @Test("round trips to the first byte, and the table")
    func report() {
        let result = LatencyResult(what: "get 1 B", tool: "ferry", rttMilliseconds: 50, firstByteSeconds: 0.5,
                                   exitSeconds: 0.55, failures: 0)
        #expect(result.roundTripsToFirstByte == 10)
        let table = LatencyReport.markdown([result])
        #expect(table.contains("| get 1 B | ferry | 50 ms | 0.500 s | 0.550 s | 10.0 | 0 |"))
    }
}
