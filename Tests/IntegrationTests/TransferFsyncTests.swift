import Foundation
import Glibc
import Testing

// --fsync, shown by the system calls themselves (strace): a download's
// partial file is fsync'd before it is renamed into place, then its
// directory; an upload's sftp-server is asked for fsync@openssh.com (it
// calls fsync) before the rename. Without --fsync, no fsync at all.

@Suite("ferry get/put --fsync: fsync before rename, in order (strace)", .serialized)
struct TransferFsyncTests {
    static let strace = "/usr/bin/strace"
    static let calls = "fsync,fdatasync,rename,renameat,renameat2"

    /// The traced calls of `log`, one per line, without pids.
    static func trace(_ log: String) -> [String] {
        Proof.lines(log).compactMap { line -> String? in
            let call = line.drop { $0.isNumber || $0 == " " }
            return call.hasPrefix("fsync") || call.hasPrefix("fdatasync") || call.hasPrefix("rename") ? String(call) : nil
        }
    }

    /// Runs ferry under strace; returns the result and the traced calls.
    static func tracedFerry(_ arguments: [String], home: FixtureDirectory) async throws -> (CommandResult, [String]) {
        let executable = try #require(FerryCLI.executable, "the ferry executable was not found next to the tests")
        let log = home.file("strace.log")
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        let result = try await FixtureCommand.run(strace, ["-f", "-y", "-qq", "-e", "trace=\(calls)", "-o", log, executable] + arguments,
                                                  environment: environment, timeout: .seconds(120))
        return (result, trace(home.read("strace.log") ?? ""))
    }

    @Test("get --fsync: fsync(partial) → rename(partial, final) → fsync(directory); without --fsync no fsync")
    func getFsync() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.strace), "strace is needed (scripts/bootstrap installs it)")
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let remote = "\(sshd.scratchDirectory)/durable"
        try Proof.write(remote, Proof.bytes(300_000, seed: 9))
        Proof.giveToAccount(remote, sshd)
        let home = try FixtureDirectory.create(prefix: "ferry-fsync-get")
        defer { home.remove() }
        let target = home.file("durable")
        let connection = FerryCLI.connectionArguments(for: sshd)
        let (result, calls) = try await Self.tracedFerry(["get", "--fsync"] + connection + [Proof.remote(sshd, remote), target], home: home)
        #expect(result.succeeded, "\(result.summary)")
        let fsyncPartial = calls.firstIndex { $0.hasPrefix("fsync(") && $0.contains("/.durable.ferry-part>") }
        let rename = calls.firstIndex { $0.hasPrefix("rename") && $0.contains(".durable.ferry-part") && $0.contains("\"\(target)\"") }
        let fsyncDirectory = calls.lastIndex { $0.hasPrefix("fsync(") && $0.contains("<\(home.path)>") }
        #expect(fsyncPartial != nil && rename != nil && fsyncDirectory != nil, "\(calls)")
        if let fsyncPartial, let rename, let fsyncDirectory {
            #expect(fsyncPartial < rename && rename < fsyncDirectory, "in order: \(calls)")
        }
        try await FaultCheck.expectIdentical(target, remote, "get --fsync")

        let (plain, plainCalls) = try await Self.tracedFerry(["get"] + connection + [Proof.remote(sshd, remote), home.file("plain")], home: home)
        #expect(plain.succeeded, "\(plain.summary)")
        #expect(!plainCalls.contains { $0.hasPrefix("fsync") }, "no fsync without --fsync: \(plainCalls)")
        #expect(plainCalls.contains { $0.hasPrefix("rename") }, "the trace works: \(plainCalls)")
    }

    @Test("put --fsync: the server's sftp-server fsyncs the partial file (fsync@openssh.com) before renaming it")
    func putFsync() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.strace), "strace is needed (scripts/bootstrap installs it)")
        // sftp-server under strace, logging where the account may write.
        let logDirectory = try FixtureDirectory.create(prefix: "ferry-fsync-log")
        defer { logDirectory.remove() }
        chmod(logDirectory.path, 0o1777)
        let log = logDirectory.file("sftp-server.log")
        let sshd = try await SSHDFixture.start(extraConfig: [
            "Subsystem sftp \(Self.strace) -f -y -qq -e trace=\(Self.calls) -o \(log) \(TinySSHFixture.sftpServer)"])
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-fsync-put")
        defer { home.remove() }
        let local = home.file("durable")
        try Proof.write(local, Proof.bytes(300_000, seed: 10))
        let result = try await Proof.ferry("put", ["--fsync", local, Proof.remote(sshd, sshd.scratchDirectory)], on: sshd)
        #expect(result.succeeded, "\(result.summary)")
        try await FaultCheck.expectIdentical("\(sshd.scratchDirectory)/durable", local, "put --fsync")
        // The session's sftp-server may still be writing its log.
        let clock = ContinuousClock()
        let quiet = clock.now.advanced(by: .seconds(15))
        while sshd.serverProcesses.count > 1 && clock.now < quiet { try await Task.sleep(for: .milliseconds(10)) }
        // Under sshd, strace (as the account) may not read the server's
        // memory or descriptors: names show as addresses, so the order of
        // the calls is what tells. The session's only fsync and rename:
        let calls = Self.trace(logDirectory.read("sftp-server.log") ?? "")
        let fsync = calls.firstIndex { $0.hasPrefix("fsync(") }
        let rename = calls.firstIndex { $0.hasPrefix("rename") }
        #expect(calls.filter { $0.hasPrefix("fsync(") }.count == 1 && fsync != nil && rename != nil, "\(calls)")
        if let fsync, let rename { #expect(fsync < rename, "in order: \(calls)") }

        // Without --fsync the server is not asked.
        unlink(log)
        let plain = try await Proof.ferry("put", [local, Proof.remote(sshd, "\(sshd.scratchDirectory)/plain")], on: sshd)
        #expect(plain.succeeded, "\(plain.summary)")
        let later = clock.now.advanced(by: .seconds(15))
        while sshd.serverProcesses.count > 1 && clock.now < later { try await Task.sleep(for: .milliseconds(10)) }
        let plainCalls = Self.trace(logDirectory.read("sftp-server.log") ?? "")
        #expect(!plainCalls.contains { $0.hasPrefix("fsync") } && plainCalls.contains { $0.hasPrefix("rename") }, "\(plainCalls)")
    }
}
