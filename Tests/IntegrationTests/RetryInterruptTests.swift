import Foundation
import Glibc
import Testing

// Ctrl-C during --retry-delay: get, sync and `sftp -b` share one retry
// loop (RetryPolicy.run), and SIGINT during its wait ends each of them at
// once, as get and put end on Ctrl-C: exit 130 (not killed by the
// signal), "ferry: interrupted", the line that says how to continue the
// partial file the lost connection kept, and no second connection.

@Suite("Ctrl-C during --retry-delay: get, sync, sftp -b", .serialized)
struct RetryInterruptTests {
    /// A wait far longer than the test allows for ending it.
    static let retry = ["--retries", "3", "--retry-delay", "60"]

    /// Starts `ferry command` through `server` (whose first connection is
    /// cut), waits for the "reconnecting (1/3) in 60 s" line, sends
    /// SIGINT, and returns how ferry ended, how long after the signal, and
    /// its stderr.
    static func interruptWait(_ command: String, _ arguments: [String], through server: FaultedServer,
                              home: FixtureDirectory) async throws -> (ExitStatus?, Duration, String) {
        guard let executable = FerryCLI.executable else {
            throw FixtureError("the ferry executable was not found next to the tests: run swift build --product ferry")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        let child = try ChildProcess.spawn(executable, [command] + server.connectionArguments + Self.retry + arguments,
                                           environment: environment, stdout: home.file("stdout"), stderr: home.file("stderr"))
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(90))
        while !(home.read("stderr") ?? "").contains("reconnecting (1/3) in 60 s"), child.exitStatus == nil, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        // The wait has begun (the line comes just before it).
        try await Task.sleep(for: .milliseconds(200))
        let signalled = clock.now
        child.send(SIGINT)
        let status = await child.wait(timeout: .seconds(20))
        let took = signalled.duration(to: clock.now)
        if status == nil { child.send(SIGKILL) }
        return (status, took, home.read("stderr") ?? "")
    }

    @Test("get --retries: Ctrl-C during the wait: exit 130 at once, the -a hint, one connection")
    func getWait() async throws {
        let (sshd, remote) = try await TransferFaultTests.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .cut(after: 12 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-wait-get")
        defer { home.remove() }
        let (status, took, stderr) = try await Self.interruptWait("get", [Proof.remote(sshd, remote), home.file("big")],
                                                                  through: server, home: home)
        #expect(status == ExitStatus(code: 130, signaled: false), "get: \(status.map { "\($0)" } ?? "still running")\n\(stderr)")
        #expect(took < .seconds(5), "Ctrl-C took \(took) to end the wait")
        #expect(stderr.contains("ferry: interrupted\nferry: 1 partial file kept; run the same command with -a to continue\n"), "\(stderr)")
        #expect(server.proxy.connections == 1)
        #expect(!Proof.exists(home.file("big")), "nothing under the final name")
    }

    @Test("sync --retries: Ctrl-C during the wait: exit 130 at once, the hint, one connection")
    func syncWait() async throws {
        let (sshd, _) = try await TransferFaultTests.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .cut(after: 12 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-wait-sync")
        defer { home.remove() }
        let (status, took, stderr) = try await Self.interruptWait("sync", [Proof.remote(sshd, sshd.scratchDirectory), home.file("down")],
                                                                  through: server, home: home)
        #expect(status == ExitStatus(code: 130, signaled: false), "sync: \(status.map { "\($0)" } ?? "still running")\n\(stderr)")
        #expect(took < .seconds(5), "Ctrl-C took \(took) to end the wait")
        #expect(stderr.contains("ferry: interrupted\nferry: 1 partial file kept; run the same command to continue\n"), "\(stderr)")
        #expect(server.proxy.connections == 1)
        #expect(!Proof.exists(home.file("down/big")), "nothing under the final name")
    }

    @Test("sftp -b --retries: Ctrl-C during the wait: exit 130 at once, the reget hint, one connection, no later line")
    func batchWait() async throws {
        let (sshd, remote) = try await TransferFaultTests.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .cut(after: 12 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-wait-batch")
        defer { home.remove() }
        let batch = try home.write("batch", "get \(remote) \(home.file("copy"))\nlmkdir \(home.file("after"))\n")
        let (status, took, stderr) = try await Self.interruptWait("sftp", ["-b", batch, Proof.remote(sshd, "")],
                                                                  through: server, home: home)
        #expect(status == ExitStatus(code: 130, signaled: false), "sftp -b: \(status.map { "\($0)" } ?? "still running")\n\(stderr)")
        #expect(took < .seconds(5), "Ctrl-C took \(took) to end the wait")
        #expect(stderr.contains("ferry: interrupted\nferry: 1 partial file kept; reget or reput continues it\n"), "\(stderr)")
        #expect(server.proxy.connections == 1)
        #expect(!Proof.exists(home.file("copy")), "nothing under the final name")
        #expect(!Proof.exists(home.file("after")), "no line after the interrupted one ran")
    }
}
