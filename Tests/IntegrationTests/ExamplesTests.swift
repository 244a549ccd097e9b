import FerryKit
import Foundation
import Testing

/// The programs of Examples/ (a package of its own that scripts/test
/// builds before the tests run) run as a user runs them: against the real
/// sshd fixture, through an ssh_config alias with its key and strict
/// known_hosts (`-F`), with HOME empty and no agent. `tutorial` must do
/// every step of the paramiko tutorial and say so; `mirror` must copy a
/// remote tree, then carry over a change and a deletion and nothing else.
/// Skipped, saying why, when the example binaries have not been built.
@Suite("Examples against sshd", .enabled(if: ExampleProgram.built, ExampleProgram.notBuilt))
struct ExamplesTests {
    @Test func tutorialWalksThroughEveryStep() async throws {
        let server = try await SSHDFixture.start()
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: "examples-tutorial", traversable: true)
        defer { files.remove() }
        let config = try FerryKitTests.writeConfig([("box", server, ["StrictHostKeyChecking yes"])], in: files)

        let run = try await ExampleProgram.run("tutorial", ["-F", config, "box", server.scratchDirectory])
        #expect(run.succeeded, "\(run.summary)")
        let steps = run.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map { $0.prefix { $0 != "(" } }
        #expect(steps == ["client.connect", "client.exec_command", "sftp = client.open_sftp", "sftp.put",
                          "sftp.listdir", "sftp.get", "sftp.remove", "sftp.close"], "\(run.stdout)")
        #expect(run.stdout.contains("    Linux "), "uname -a's output is printed: \(run.stdout)")
        #expect(run.stdout.contains("is one") && run.stdout.contains("the copy matches"), "\(run.stdout)")
        // It removed what it uploaded.
        let left = try FileManager.default.contentsOfDirectory(atPath: server.scratchDirectory)
        #expect(!left.contains { $0.hasPrefix("ferry-tutorial-") }, "\(left)")
    }

    /// Issue 17's program of a dozen lines: `fetch` downloads a file from
    /// an ssh_config alias, known_hosts checked strictly, through a jump
    /// host (ProxyJump, crossed in process), with its progress callback
    /// printing up to 100%.
    @Test func fetchDownloadsThroughAJumpHostWithProgress() async throws {
        let jump = try await SSHDFixture.start()
        defer { jump.stop() }
        let target = try await SSHDFixture.start()
        defer { target.stop() }
        let files = try FixtureDirectory.create(prefix: "examples-fetch", traversable: true)
        defer { files.remove() }
        let config = try FerryKitTests.writeConfig([("hop", jump, ["StrictHostKeyChecking yes"]),
                                                    ("inside", target, ["StrictHostKeyChecking yes", "ProxyJump hop"])],
                                                   in: files)
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let remote = target.scratchDirectory + "/fetched.bin"
        try Data(payload).write(to: URL(fileURLWithPath: remote))
        let local = files.file("fetched.bin")

        let run = try await ExampleProgram.run("fetch", ["-F", config, "inside", remote, local])
        #expect(run.succeeded, "\(run.summary)")
        #expect(run.stderr.contains("100% of \(payload.count) bytes"), "\(run.stderr)")
        #expect(run.stderr.contains("\(payload.count) bytes in "), "\(run.stderr)")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: local))) == payload)
        #expect(jump.log.contains("Accepted publickey for \(jump.user)"), "the hop was crossed")

        // A host key that known_hosts does not hold: refused, nothing written.
        let strangers = try FerryKitTests.writeConfig([("hop", jump, ["StrictHostKeyChecking yes"]),
                                                       ("inside", target, ["StrictHostKeyChecking yes", "ProxyJump hop"])],
                                                      knownHosts: jump.knownHosts, in: files)
        let refused = try await ExampleProgram.run("fetch", ["-F", strangers, "inside", remote, files.file("refused.bin")])
        #expect(!refused.succeeded, "\(refused.summary)")
        #expect(!FileManager.default.fileExists(atPath: files.file("refused.bin")))
    }

    @Test func mirrorCopiesThenCarriesOverChangesAndDeletions() async throws {
        let server = try await SSHDFixture.start()
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: "examples-mirror", traversable: true)
        defer { files.remove() }
        let config = try FerryKitTests.writeConfig([("box", server, ["StrictHostKeyChecking yes"])], in: files)
        let remote = server.scratchDirectory + "/tree"
        let local = files.file("mirror")
        let ssh = try await SSHConnection.connect(to: "box", options: FerryKitTests.options(config))
        defer { Task { await ssh.close() } }
        try await ssh.run("mkdir -p '\(remote)/sub' && printf one > '\(remote)/a.txt' && printf two > '\(remote)/sub/b.txt'",
                          timeout: .seconds(20)).check()

        let first = try await ExampleProgram.run("mirror", ["-F", config, "box:" + remote, local])
        #expect(first.succeeded, "\(first.summary)")
        #expect(first.stdout.contains("new a.txt") && first.stdout.contains("new sub/b.txt"), "\(first.stdout)")
        #expect(first.stdout.contains("2 files checked, 2 copied (6 bytes), 0 deleted"), "\(first.stdout)")
        #expect(try String(contentsOfFile: local + "/sub/b.txt", encoding: .utf8) == "two")

        // One file grows, one goes away, one is new: mirror carries over exactly that.
        try await ssh.run("printf one-more > '\(remote)/a.txt' && rm '\(remote)/sub/b.txt' && printf three > '\(remote)/c.txt'",
                          timeout: .seconds(20)).check()
        let second = try await ExampleProgram.run("mirror", ["-F", config, "box:" + remote, local])
        #expect(second.succeeded, "\(second.summary)")
        #expect(second.stdout.contains("updated a.txt") && second.stdout.contains("new c.txt")
                    && second.stdout.contains("deleted sub/b.txt"), "\(second.stdout)")
        #expect(second.stdout.contains("1 deleted"), "\(second.stdout)")
        #expect(try String(contentsOfFile: local + "/a.txt", encoding: .utf8) == "one-more")
        #expect(!FileManager.default.fileExists(atPath: local + "/sub/b.txt"))

        // A bad argument is a usage error, not a crash.
        let usage = try await ExampleProgram.run("mirror", ["-F", config, "no-colon-here", local])
        #expect(usage.exit == ExitStatus(code: 2, signaled: false) && usage.stderr.contains("usage:"), "\(usage.summary)")
    }
}

/// ExampleProgram finds and runs the executables of the Examples package.
enum ExampleProgram {
    /// The repository root (this file is Tests/IntegrationTests/ExamplesTests.swift).
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Where the examples were built: `$FERRY_EXAMPLES_BIN`, else
    /// Examples/.build/debug (what `swift build --package-path Examples` makes).
    static var directory: String {
        ProcessInfo.processInfo.environment["FERRY_EXAMPLES_BIN"] ?? repository + "/Examples/.build/debug"
    }

    static var built: Bool {
        ["tutorial", "mirror", "fetch"].allSatisfy { FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }
    }

    static var notBuilt: Comment {
        Comment(rawValue: "the Examples programs are not built (no tutorial, mirror and fetch in \(directory)): scripts/test "
            + "builds them; by hand, swift build --package-path Examples (or set FERRY_EXAMPLES_BIN)")
    }

    /// Runs example `name` with HOME an empty scratch directory and no agent,
    /// so only the ssh_config given with -F counts.
    static func run(_ name: String, _ arguments: [String]) async throws -> CommandResult {
        let home = try FixtureDirectory.create(prefix: "examples-home")
        defer { home.remove() }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["SSH_AUTH_SOCK"] = nil
        return try await FixtureCommand.run(directory + "/" + name, arguments, environment: environment, timeout: .seconds(60))
    }
}
