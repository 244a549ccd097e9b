import Foundation
import Glibc
import Testing

// A server whose SFTP side stops answering while its SSH side lives on:
// sshd runs sftp-server as a process of its own, and the test stops it
// (SIGSTOP) in the middle of a large file. sshd still answers the
// keepalives ferry sends (ServerAliveInterval=1), so only the SFTP request
// timeout can notice; ferry must end with its message, exit 1 for the
// file, and keep the partial file for -a. And --timeout bounds connecting
// when ConnectTimeout is not set.

@Suite("ferry get/put against an sshd whose sftp-server stops answering", .serialized)
struct TransferStallTests {
    static let timeoutArguments = ["--timeout", "2", "-o", "ServerAliveInterval=1"]
    /// Large enough that no run finishes before the stop (holes: it costs
    /// nothing to make, and the server reads it fast).
    static let fileSize: UInt64 = 1 << 30
    /// The file's first bytes (the rest is a hole): what the partial file
    /// must start with.
    static let head = Proof.bytes(1 << 20, seed: 0x57A11)

    /// sshd with the subsystem as a separate process (the fixture's
    /// default, internal-sftp, runs inside sshd's session process).
    static func startServer() async throws -> SSHDFixture {
        try await SSHDFixture.start(extraConfig: ["Subsystem sftp \(TinySSHFixture.sftpServer)"])
    }

    @Test("get --timeout 2: sftp-server stopped mid-file, ferry exits 1 with the timeout message and keeps the partial file")
    func stalledGet() async throws {
        let sshd = try await Self.startServer()
        defer { sshd.stop() }
        let remote = "\(sshd.scratchDirectory)/bigfile"
        try Proof.writeSparse(remote, size: Self.fileSize, [(0, Self.head)])
        let home = try FixtureDirectory.create(prefix: "ferry-stall-get")
        defer { home.remove() }
        let partial = home.file(".bigfile.ferry-part")
        let stderr = try await stallMidFile("get", Self.timeoutArguments + [Proof.remote(sshd, remote), home.file("bigfile")],
                                            on: sshd, home: home, partial: partial)
        #expect(!Proof.exists(home.file("bigfile")), "the file must not appear under its final name")
        let kept = Proof.size(partial) ?? 0
        #expect(kept > 0 && kept < Self.fileSize, "partial file: \(kept) bytes")
        #expect(Proof.read(partial, count: Self.head.count) == Array(Self.head.prefix(Int(min(kept, UInt64(Self.head.count))))),
                "the partial file holds the start of the remote file")
        #expect(stderr.contains("bigfile"), "the line names the file: \(stderr)")
    }

    @Test("put --timeout 2: sftp-server stopped mid-file, ferry exits 1 with the timeout message; the remote partial stays")
    func stalledPut() async throws {
        let sshd = try await Self.startServer()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-stall-put")
        defer { home.remove() }
        let local = home.file("bigfile")
        try Proof.writeSparse(local, size: Self.fileSize, [(0, Self.head)])
        let partial = "\(sshd.scratchDirectory)/.bigfile.ferry-part"
        _ = try await stallMidFile("put", Self.timeoutArguments + [local, Proof.remote(sshd, sshd.scratchDirectory)],
                                   on: sshd, home: home, partial: partial)
        #expect(!Proof.exists("\(sshd.scratchDirectory)/bigfile"), "the file must not appear under its final name")
        #expect((Proof.size(partial) ?? 0) > 0, "the remote partial file is kept for put -a")
    }

    @Test("get --timeout 1 also bounds connecting (no ConnectTimeout): a server that never speaks fails in seconds, 255")
    func timeoutBoundsConnecting() async throws {
        // Listening, never accepting: the kernel completes the TCP handshake
        // and nothing ever answers, where ferry's default would wait 30 s.
        let silent = try PortHolder()
        let home = try FixtureDirectory.create(prefix: "ferry-stall-connect")
        defer { home.remove() }
        let clock = ContinuousClock()
        let began = clock.now
        let result = try await FerryCLI.run(["get", "--timeout", "1", "-F", "none", "-P", String(silent.port),
                                             "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=/dev/null",
                                             "ferrytest@127.0.0.1:file", home.file("file")])
        let elapsed = clock.now - began
        #expect(result.exit == ExitStatus(code: 255, signaled: false), "\(result.summary)")
        #expect(result.stderr.contains("timed out connecting to 127.0.0.1 port \(silent.port)"), "\(result.stderr)")
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(20), "took \(elapsed)")
    }

    /// Runs `ferry command arguments…` in the background until `partial`
    /// holds 1 MiB, stops the server's sftp-server, and expects ferry to
    /// end by itself, no sooner than its 2 s timeout, with exit status 1
    /// and the timeout message. Then lets sftp-server go on (it finds its
    /// session gone and exits) and waits until the server has no session
    /// left. Returns ferry's stderr.
    func stallMidFile(_ command: String, _ arguments: [String], on sshd: SSHDFixture, home: FixtureDirectory,
                      partial: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let child = try Proof.spawnFerry(command, arguments, on: sshd, home: home)
        var stopped: [Int32] = []
        // Whatever happens below, nothing is left stopped or running.
        defer {
            for pid in stopped { kill(pid, SIGCONT) }
            if child.exitStatus == nil {
                child.send(SIGKILL)
                _ = child.waitBlocking(timeout: .seconds(10))
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(60))
        while (Proof.size(partial) ?? 0) < 1 << 20 {
            if let status = child.exitStatus {
                Issue.record("ferry \(command) ended (\(status)) before the stop\n\(home.read("stderr") ?? "")",
                             sourceLocation: sourceLocation)
                return ""
            }
            try #require(clock.now < deadline, "\(partial) never reached 1 MiB\n\(home.read("stderr") ?? "")",
                         sourceLocation: sourceLocation)
            try await Task.sleep(for: .milliseconds(1))
        }
        // The shell sshd starts the subsystem with may exec it or wait for
        // it: stop whatever names sftp-server.
        stopped = sshd.serverProcesses.filter { commandLine(of: $0).contains("sftp-server") }
        try #require(!stopped.isEmpty, "no sftp-server among \(sshd.serverProcesses.map { commandLine(of: $0) })",
                     sourceLocation: sourceLocation)
        for pid in stopped { kill(pid, SIGSTOP) }
        let stoppedAt = clock.now

        let status = await child.wait(timeout: .seconds(60))
        let elapsed = clock.now - stoppedAt
        let stderr = home.read("stderr") ?? ""
        #expect(status == Proof.someFailed, "ferry \(command): \(status.map { "\($0)" } ?? "still running 60 s after the stop")\n\(stderr)",
                sourceLocation: sourceLocation)
        #expect(stderr.contains("the SFTP server sent no reply for 2 s"), "\(stderr)", sourceLocation: sourceLocation)
        #expect(elapsed >= .seconds(2), "ended \(elapsed) after the stop, before its timeout", sourceLocation: sourceLocation)
        #expect(Proof.summary(home.read("stdout") ?? "")?.failed == 1, "\(home.read("stdout") ?? "")", sourceLocation: sourceLocation)

        for pid in stopped { kill(pid, SIGCONT) }
        stopped = []
        let quiet = clock.now.advanced(by: .seconds(15))
        while sshd.serverProcesses.count > 1 && clock.now < quiet { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sshd.serverProcesses.count == 1, "the session is still running on the server: \(sshd.serverProcesses.map { commandLine(of: $0) })",
                sourceLocation: sourceLocation)
        return stderr
    }
}
