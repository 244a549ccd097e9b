import Foundation
import Glibc
import Testing

// Limits that a transfer of many files meets: few file descriptors on the
// client (`ulimit -n 64`), a server that allows few open handles — one that
// says so in limits@openssh.com (OpenSSH's sftp-server derives
// max-open-handles from its own descriptor limit) and one that does not and
// just answers SSH_FX_FAILURE past the limit (asyncssh, see
// AsyncSSHFixture) — and a server that answers every request slowly while
// many files are in flight. Each transfer must complete, identical.

@Suite("many files against tight limits", .serialized)
struct ResourceLimitTests {
    /// Runs `ferry command … arguments` under `sh -c 'ulimit -n LIMIT; exec ferry …'`.
    static func ferryUnderDescriptorLimit(_ limit: Int, _ command: String, _ arguments: [String],
                                          on fixture: some SSHServerFixture) async throws -> CommandResult {
        guard let executable = FerryCLI.executable else { throw FixtureError("no ferry binary") }
        let home = try FixtureDirectory.create(prefix: "ferry-ulimit")
        defer { home.remove() }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        let line = ([executable, command] + FerryCLI.connectionArguments(for: fixture) + arguments).map(shellQuoted)
        return try await FixtureCommand.run("/bin/sh", ["-c", "ulimit -n \(limit) && exec \(line.joined(separator: " "))"],
                                            environment: environment, timeout: .seconds(300))
    }

    @Test("ulimit -n 64 on the client: get -r and put -r of 2000 files complete, identical")
    func fewDescriptors() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ulimit-tree")
        defer { local.remove() }
        let tree = ProofTree.twoThousandFiles()
        try tree.write(under: "\(sshd.scratchDirectory)/src", for: sshd)
        let get = try await Self.ferryUnderDescriptorLimit(64, "get", ["-r", "-p", Proof.remote(sshd, "\(sshd.scratchDirectory)/src"),
                                                                       local.file("down")], on: sshd)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "get: \(get.summary)")
        #expect(Proof.summary(get.stdout)?.files == 2000, "\(get.stdout)")
        tree.expectCopy(at: local.file("down"), preserved: true, "get -r -p under ulimit -n 64")

        // A fresh source: checking the copy above read its files, which
        // moved their access times.
        try tree.write(under: local.file("src"))
        try Proof.makeDirectory("\(sshd.scratchDirectory)/up")
        Proof.giveToAccount("\(sshd.scratchDirectory)/up", sshd)
        let put = try await Self.ferryUnderDescriptorLimit(64, "put", ["-r", "-p", local.file("src"),
                                                                       Proof.remote(sshd, "\(sshd.scratchDirectory)/up")], on: sshd)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "put: \(put.summary)")
        tree.expectCopy(at: "\(sshd.scratchDirectory)/up/src", preserved: true, "put -r -p under ulimit -n 64")
    }

    @Test("a server that offers max-open-handles 7 (sftp-server under ulimit -n 12): 300 files each way complete")
    func fewHandlesAdvertised() async throws {
        // sshd runs the subsystem through the account's shell, so a wrapper
        // script can lower sftp-server's descriptor limit; the script lives
        // where the account can read it.
        let wrapperDirectory = try FixtureDirectory.create(prefix: "sftp-ulimit", traversable: true)
        defer { wrapperDirectory.remove() }
        let wrapper = try wrapperDirectory.write(
            "sftp-server-ulimit", "#!/bin/sh\nulimit -n 12 && exec \(TinySSHFixture.sftpServer)\n", mode: 0o755)
        let sshd = try await SSHDFixture.start(extraConfig: ["Subsystem sftp \(wrapper)"])
        defer { sshd.stop() }
        try await expectTreeBothWays(on: sshd, files: 300, "max-open-handles 7")
    }

    @Test("a server that fails OPEN past 4 open files, without saying so (asyncssh): 100 files each way complete",
          .enabled(if: AsyncSSHFixture.isInstalled, "python3-asyncssh is not installed (scripts/bootstrap installs it)"))
    func fewHandlesUnannounced() async throws {
        let server = try await AsyncSSHFixture.start(maxHandles: 4)
        defer { server.stop() }
        try await expectTreeBothWays(on: server, files: 100, "asyncssh --max-handles 4")
    }

    @Test("a server that waits 30 ms before each answer, files queued behind each other longer than --timeout 1: completes",
          .enabled(if: AsyncSSHFixture.isInstalled, "python3-asyncssh is not installed (scripts/bootstrap installs it)"))
    func slowServer() async throws {
        let server = try await AsyncSSHFixture.start(delay: .milliseconds(30))
        defer { server.stop() }
        try await expectTreeBothWays(on: server, files: 60, "30 ms per answer", extra: ["--timeout", "1"])
    }

    /// put -r then get -r of the first `files` files of the proof tree:
    /// both complete (exit 0, nothing on stderr), identical.
    func expectTreeBothWays(on server: some SSHServerFixture, files: Int, _ label: String, extra: [String] = [],
                            sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let local = try FixtureDirectory.create(prefix: "limits-tree")
        defer { local.remove() }
        let tree = ProofTree.firstFiles(files)
        try tree.write(under: local.file("src"))
        let scratch = server.scratchDirectory
        let put = try await Interop.ferry("put", extra + ["-r", "-p", local.file("src"), Interop.remote(server, scratch)], on: server)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(label) put: \(put.summary)\n\(tail(server.log))",
                sourceLocation: sourceLocation)
        #expect(Proof.summary(put.stdout)?.files == files, "\(label): \(put.stdout)", sourceLocation: sourceLocation)
        tree.expectCopy(at: "\(scratch)/src", preserved: true, "\(label) put -r -p", sourceLocation: sourceLocation)

        // A fresh source: checking the copy above read its files, which
        // moved their access times.
        try tree.write(under: "\(scratch)/fresh")
        try await Interop.giveToAccount("\(scratch)/fresh", server)
        let get = try await Interop.ferry("get", extra + ["-r", "-p", Interop.remote(server, "\(scratch)/fresh"), local.file("down")],
                                          on: server)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "\(label) get: \(get.summary)\n\(tail(server.log))",
                sourceLocation: sourceLocation)
        #expect(Proof.summary(get.stdout)?.files == files, "\(label): \(get.stdout)", sourceLocation: sourceLocation)
        tree.expectCopy(at: local.file("down"), preserved: true, "\(label) get -r -p", sourceLocation: sourceLocation)
    }
}
