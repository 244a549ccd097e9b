import Foundation
import Glibc
import Testing

// ferry's get, put, `-r -p` and `-a` against SFTP servers that share no
// code with OpenSSH's sftp-server:
//
// - gesftpserver (Green End SFTP server, Debian's gesftpserver), run by sshd
//   as its sftp Subsystem. Quirks handled: it lives in /usr/libexec, not on
//   PATH; it answers SSH_FXP_INIT with version 3 and offers no
//   limits@openssh.com (ferry then uses 32 KiB blocks and its own width).
// - asyncssh's SFTP server (Debian's python3-asyncssh), its own SSH
//   transport too (see AsyncSSHFixture). Quirks handled: no
//   limits@openssh.com and no lsetstat@openssh.com; it starts slowly (a
//   second or more importing Python's cryptography), so its fixture waits
//   up to 30 s; it serves as the user running the tests, so its files
//   belong to that user, and a partial file for `put -a` must too (ferry
//   adopts a remote partial file only when it belongs to the server's user).
//
// Each server: one file each way (an odd size, several blocks), a tree of
// 200 files with -r -p (bytes, modes, times), and -a continuing a partial
// file each way, fetching or sending only the missing bytes.

/// The two independent servers, started the same way for every case.
enum IndependentServer: String, CaseIterable, CustomStringConvertible, Sendable {
    case gesftpserver
    case asyncssh

    var description: String { rawValue }

    static let gesftpserverPath = "/usr/libexec/gesftpserver"

    /// Whether the server is installed; `scripts/bootstrap` installs both.
    var isInstalled: Bool {
        switch self {
        case .gesftpserver: FileManager.default.isExecutableFile(atPath: Self.gesftpserverPath)
        case .asyncssh: AsyncSSHFixture.isInstalled
        }
    }

    func start() async throws -> any SSHServerFixture {
        switch self {
        case .gesftpserver: try await SSHDFixture.start(extraConfig: ["Subsystem sftp \(Self.gesftpserverPath)"])
        case .asyncssh: try await AsyncSSHFixture.start()
        }
    }
}

/// The installed independent servers; a missing one is said once on stderr,
/// so a skipped server is visible in the test log.
let installedIndependentServers: [IndependentServer] = IndependentServer.allCases.filter { server in
    if !server.isInstalled {
        FileHandle.standardError.write(Data("IndependentServerTests: \(server) is not installed (scripts/bootstrap installs it): its cases are skipped\n".utf8))
    }
    return server.isInstalled
}

/// Interop holds the helpers of the tests against servers of every kind
/// (Proof's take an SSHDFixture).
enum Interop {
    /// `ferry command [fixture connection options] arguments…` against any fixture.
    static func ferry(_ command: String, _ arguments: [String], on fixture: some SSHServerFixture,
                      timeout: Duration = .seconds(180)) async throws -> CommandResult {
        try await FerryCLI.run([command] + FerryCLI.connectionArguments(for: fixture) + arguments, timeout: timeout)
    }

    /// `user@127.0.0.1:path` on any fixture.
    static func remote(_ fixture: some SSHServerFixture, _ path: String) -> String {
        "\(fixture.user)@\(fixture.host):\(path)"
    }

    /// Gives `path` and everything under it to the fixture's account (what a
    /// server running as that account must write or rename).
    static func giveToAccount(_ path: String, _ fixture: some SSHServerFixture) async throws {
        let account = fixture.server.account
        _ = try await FixtureCommand.check("/bin/chown", ["-R", "\(account.uid):\(account.gid)", path])
    }
}

extension ProofTree {
    /// The first `count` files of `twoThousandFiles()` and their directories.
    static func firstFiles(_ count: Int) -> ProofTree {
        let all = twoThousandFiles()
        var files = 0
        return ProofTree(entries: all.entries.filter { entry in
            guard entry.contents != nil else { return true }
            files += 1
            return files <= count
        })
    }
}

@Suite("get, put, -r -p and -a against independent SFTP servers", .serialized,
       .enabled(if: !installedIndependentServers.isEmpty, "no independent SFTP server is installed (scripts/bootstrap)"))
struct IndependentServerTests {
    @Test("one file each way: identical bytes", arguments: installedIndependentServers)
    func singleFile(_ kind: IndependentServer) async throws {
        let server = try await kind.start()
        defer { server.stop() }
        let local = try FixtureDirectory.create(prefix: "interop-file")
        defer { local.remove() }
        let scratch = server.scratchDirectory
        let size = (3 << 20) + 12345
        try await Proof.makeRandomFile("\(scratch)/remote.bin", bytes: size, seed: 21)
        try await Interop.giveToAccount("\(scratch)/remote.bin", server)
        let get = try await Interop.ferry("get", [Interop.remote(server, "\(scratch)/remote.bin"), local.file("got.bin")], on: server)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "\(kind) get: \(get.summary)\n\(tail(server.log))")
        #expect(try await Proof.sha256(local.file("got.bin")) == (try await Proof.sha256("\(scratch)/remote.bin")), "\(kind) get")
        #expect(Proof.summary(get.stdout)?.bytes == UInt64(size), "\(kind): \(get.stdout)")

        try await Proof.makeRandomFile(local.file("local.bin"), bytes: size, seed: 22)
        let put = try await Interop.ferry("put", [local.file("local.bin"), Interop.remote(server, "\(scratch)/put.bin")], on: server)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(kind) put: \(put.summary)\n\(tail(server.log))")
        #expect(try await Proof.sha256("\(scratch)/put.bin") == (try await Proof.sha256(local.file("local.bin"))), "\(kind) put")
        #expect(Proof.names(scratch) == ["put.bin", "remote.bin"], "\(kind): no partial file left")
    }

    @Test("-r -p: a tree of 200 files each way, bytes, modes and times kept", arguments: installedIndependentServers)
    func treeWithPreserve(_ kind: IndependentServer) async throws {
        let server = try await kind.start()
        defer { server.stop() }
        let local = try FixtureDirectory.create(prefix: "interop-tree")
        defer { local.remove() }
        let scratch = server.scratchDirectory
        let tree = ProofTree.firstFiles(200)
        try tree.write(under: local.file("src"))
        try tree.write(under: "\(scratch)/src")
        try Proof.makeDirectory("\(scratch)/up")
        try await Interop.giveToAccount("\(scratch)/src", server)
        try await Interop.giveToAccount("\(scratch)/up", server)

        let put = try await Interop.ferry("put", ["-r", "-p", local.file("src"), Interop.remote(server, "\(scratch)/up")], on: server)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(kind) put -r -p: \(put.summary)\n\(tail(server.log))")
        #expect(Proof.summary(put.stdout)?.files == 200, "\(kind): \(put.stdout)")
        tree.expectCopy(at: "\(scratch)/up/src", preserved: true, "\(kind) put -r -p")

        let get = try await Interop.ferry("get", ["-r", "-p", Interop.remote(server, "\(scratch)/src"), local.file("down")], on: server)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "\(kind) get -r -p: \(get.summary)\n\(tail(server.log))")
        #expect(Proof.summary(get.stdout)?.files == 200, "\(kind): \(get.stdout)")
        tree.expectCopy(at: local.file("down"), preserved: true, "\(kind) get -r -p")
    }

    @Test("-a continues a partial file each way, moving only the missing bytes", arguments: installedIndependentServers)
    func resume(_ kind: IndependentServer) async throws {
        let server = try await kind.start()
        defer { server.stop() }
        let local = try FixtureDirectory.create(prefix: "interop-resume")
        defer { local.remove() }
        let scratch = server.scratchDirectory
        let contents = Proof.bytes((2 << 20) + 777, seed: 23)
        let kept = (1 << 20) + 100

        try Proof.write("\(scratch)/source.bin", contents)
        try await Interop.giveToAccount("\(scratch)/source.bin", server)
        try Proof.write(local.file(".got.bin.ferry-part"), Array(contents.prefix(kept)))
        let get = try await Interop.ferry("get", ["-a", Interop.remote(server, "\(scratch)/source.bin"), local.file("got.bin")], on: server)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "\(kind) get -a: \(get.summary)\n\(tail(server.log))")
        #expect(Proof.summary(get.stdout)?.bytes == UInt64(contents.count - kept), "\(kind) get -a fetches only the rest: \(get.stdout)")
        Proof.expectHolds(local.file("got.bin"), contents, "\(kind) get -a")
        #expect(!Proof.exists(local.file(".got.bin.ferry-part")))

        try Proof.write("\(scratch)/.put.bin.ferry-part", Array(contents.prefix(kept)))
        // -a adopts a remote partial file only when it belongs to the user
        // the server runs as: the account under sshd, the test runner
        // under asyncssh (which serves as the user that started it).
        if kind == .gesftpserver { try await Interop.giveToAccount("\(scratch)/.put.bin.ferry-part", server) }
        let put = try await Interop.ferry("put", ["-a", local.file("got.bin"), Interop.remote(server, "\(scratch)/put.bin")], on: server)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(kind) put -a: \(put.summary)\n\(tail(server.log))")
        #expect(Proof.summary(put.stdout)?.bytes == UInt64(contents.count - kept), "\(kind) put -a sends only the rest: \(put.stdout)")
        Proof.expectHolds("\(scratch)/put.bin", contents, "\(kind) put -a")
        #expect(!Proof.exists("\(scratch)/.put.bin.ferry-part"))
    }
}
