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
    /// cut), waits for the `line` on stderr ("reconnecting (1/3) in 60 s"),
    /// then `settle`, sends SIGINT, and returns how ferry ended, how long
    /// after the signal, and its stderr.
    static func interruptWait(_ command: String, _ arguments: [String], through server: FaultedServer,
                              home: FixtureDirectory, retry: [String] = Self.retry,
                              line: String = "reconnecting (1/3) in 60 s",
                              settle: Duration = .milliseconds(200)) async throws -> (ExitStatus?, Duration, String) {
        guard let executable = FerryCLI.executable else {
            throw FixtureError("the ferry executable was not found next to the tests: run swift build --product ferry")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        let child = try ChildProcess.spawn(executable, [command] + server.connectionArguments + retry + arguments,
                                           environment: environment, stdout: home.file("stdout"), stderr: home.file("stderr"))
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(90))
        while !(home.read("stderr") ?? "").contains(line), child.exitStatus == nil, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        // The wait has begun (the line comes just before it), or the next
        // connection's transfer.
        try await Task.sleep(for: settle)
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

    @Test("get --retries: Ctrl-C during the second connection's transfer: exit 130, the -a hint, two connections")
    func getSecondConnection() async throws {
        let (sshd, remote) = try await TransferFaultTests.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .cut(after: 4 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-second-get")
        defer { home.remove() }
        // 4 MiB/s: the second connection is still copying when interrupted.
        let (status, took, stderr) = try await Self.interruptWait(
            "get", ["--bwlimit", "4M", Proof.remote(sshd, remote), home.file("big")], through: server, home: home,
            retry: ["--retries", "3", "--retry-delay", "0.1"], line: "reconnecting (1/3) in 0.1 s", settle: .seconds(2))
        #expect(status == ExitStatus(code: 130, signaled: false), "get: \(status.map { "\($0)" } ?? "still running")\n\(stderr)")
        #expect(took < .seconds(5), "Ctrl-C took \(took) to end the transfer")
        #expect(stderr.contains("ferry: interrupted\nferry: 1 partial file kept; run the same command with -a to continue\n"), "\(stderr)")
        #expect(server.proxy.connections == 2)
        #expect(!Proof.exists(home.file("big")), "nothing under the final name")
    }

    @Test("get --retries: the --retry-delay after a connection lost under the transfer is waited out before the reconnect")
    func getDelayKept() async throws {
        let (sshd, remote) = try await TransferFaultTests.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .cut(after: 4 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-delay-get")
        defer { home.remove() }
        guard let executable = FerryCLI.executable else { throw FixtureError("the ferry executable was not found") }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        let child = try ChildProcess.spawn(executable, ["get"] + server.connectionArguments
                                           + ["--retries", "3", "--retry-delay", "3", Proof.remote(sshd, remote), home.file("big")],
                                           environment: environment, stdout: home.file("stdout"), stderr: home.file("stderr"))
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(90))
        while !(home.read("stderr") ?? "").contains("reconnecting (1/3) in 3 s"), child.exitStatus == nil, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let said = clock.now
        while server.proxy.connections < 2, child.exitStatus == nil, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let reconnected = said.duration(to: clock.now)
        let status = await child.wait(timeout: .seconds(90))
        if status == nil { child.send(SIGKILL) }
        #expect(status == ExitStatus(code: 0, signaled: false), "\(home.read("stderr") ?? "")")
        #expect(reconnected >= .milliseconds(2_900), "reconnected \(reconnected) after the line, not 3 s")
        try await FaultCheck.expectIdentical(home.file("big"), remote, "get after the delay")
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
