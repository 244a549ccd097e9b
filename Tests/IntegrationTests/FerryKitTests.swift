import FerryKit
import Foundation
import Logging
import Locking
import Testing

/// FerryKit, the library, against the real sshd fixture: each step of the
/// paramiko tutorial through an ssh_config alias verified by known_hosts,
/// exec timeouts and cancellation, a cancelled download that leaves
/// nothing under its final name, jump hosts crossed in process, the
/// default that asks nobody, and protocol events reaching a swift-log
/// backend.
@Suite("FerryKit library API")
struct FerryKitTests {
    /// An ssh_config that names each fixture by an alias, with its key and
    /// known_hosts and strict checking, as a user's ~/.ssh/config would.
    /// `extra` lines go under the given alias; `ports` reaches an alias at
    /// another port than its fixture's (a proxy in front of it).
    static func writeConfig(_ hosts: [(alias: String, fixture: SSHDFixture, extra: [String])],
                            knownHosts: String? = nil, ports: [String: Int] = [:],
                            in directory: FixtureDirectory) throws -> String {
        let known = knownHosts ?? hosts.map(\.fixture.knownHosts).joined(separator: "\n")
        let knownPath = try directory.write("known_hosts", known + "\n", mode: 0o600)
        var lines: [String] = []
        for host in hosts {
            lines += ["Host \(host.alias)",
                      "  HostName 127.0.0.1",
                      "  Port \(ports[host.alias] ?? host.fixture.port)",
                      "  User \(host.fixture.user)",
                      "  IdentityFile \(host.fixture.clientKeyPath)",
                      "  UserKnownHostsFile \(knownPath)",
                      "  GlobalKnownHostsFile none"]
            lines += host.extra.map { "  " + $0 }
        }
        return try directory.write("config", lines.joined(separator: "\n") + "\n", mode: 0o600)
    }

    /// A fresh sshd, a directory for the test's files, an ssh_config that
    /// names the server "box" (strict checking), and a connection to it,
    /// closed after `body`.
    static func withBox(_ prefix: String,
                        _ body: (SSHDFixture, FixtureDirectory, SSHConnection) async throws -> Void) async throws {
        let server = try await SSHDFixture.start()
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: prefix, traversable: true)
        defer { files.remove() }
        let config = try writeConfig([("box", server, ["StrictHostKeyChecking yes"])], in: files)
        let ssh = try await SSHConnection.connect(to: "box", options: options(config))
        do {
            try await body(server, files, ssh)
        } catch {
            await ssh.close()
            throw error
        }
        await ssh.close()
    }

    /// Options reading only `config`, with no agent.
    static func options(_ config: String) -> SSHOptions {
        var options = SSHOptions()
        options.configFile = config
        options.environment = [:]
        return options
    }

    @Test func tutorialStepsThroughAnAlias() async throws {
        let server = try await SSHDFixture.start()
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: "ferrykit-tutorial", traversable: true)
        defer { files.remove() }
        let config = try Self.writeConfig([("box", server, ["StrictHostKeyChecking yes"])], in: files)

        // Connect.
        let ssh = try await SSHConnection.connect(to: "box", options: Self.options(config))
        #expect(ssh.plan.resolved.port == server.port && ssh.plan.resolved.user == server.user)

        // exec_command, with its output, status and an error for non-zero.
        let result = try await ssh.run("echo hello; echo oops >&2; exit 3", timeout: .seconds(20))
        #expect(result.output == "hello\n" && result.errorOutput == "oops\n" && result.exitStatus == 3)
        #expect(throws: CommandFailure.self) { try result.check() }
        let echoed = try await ssh.run("cat", input: Array("from stdin".utf8), timeout: .seconds(20))
        #expect(echoed.output == "from stdin")

        // open_sftp, put, listdir, stat, get.
        let sftp = try await ssh.openSFTP()
        let remoteDirectory = server.scratchDirectory + "/tutorial"
        try await sftp.createDirectory(remoteDirectory)
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
        let local = try files.write("upload.bin", payload)
        let uploaded = try await sftp.upload(local, to: remoteDirectory + "/data.bin")
        #expect(uploaded.files == 1 && uploaded.bytes == UInt64(payload.count))
        #expect(try await sftp.listNames(remoteDirectory) == ["data.bin"])
        #expect(try await sftp.attributes(remoteDirectory + "/data.bin").size == UInt64(payload.count))
        let events = Locked<[String]>([])
        let back = files.file("download.bin")
        try await sftp.download(remoteDirectory + "/data.bin", to: back) { event in
            if case .finished(let path, _) = event { events.withLock { $0.append(path) } }
        }
        #expect(FileManager.default.contents(atPath: back).map(Array.init) == payload)
        #expect(events.withLock { $0 } == [back])

        // rename, symlink, readlink, remove, rmdir.
        try await sftp.rename(remoteDirectory + "/data.bin", to: remoteDirectory + "/renamed.bin")
        try await sftp.createSymbolicLink(at: remoteDirectory + "/link", pointingTo: "renamed.bin")
        #expect(try await sftp.destinationOfSymbolicLink(remoteDirectory + "/link") == "renamed.bin")
        #expect(try await sftp.exists(remoteDirectory + "/data.bin") == false)
        try await sftp.remove(remoteDirectory + "/link")
        try await sftp.remove(remoteDirectory + "/renamed.bin")
        try await sftp.removeDirectory(remoteDirectory)
        #expect(try await sftp.exists(remoteDirectory) == false)

        // A missing file is a typed error, and nothing is created locally.
        let missing = files.file("missing.bin")
        await #expect(throws: TransferFailure.self) { try await sftp.download(remoteDirectory + "/nope", to: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing))

        await sftp.close()
        await ssh.close()
    }

    @Test func spreadOverSeveralChannels() async throws {
        try await Self.withBox("ferrykit-spread") { server, files, ssh in
            let sftp = try await ssh.openSFTP()
            let remote = server.scratchDirectory + "/spread.bin"
            try await ssh.run("head -c 100663296 /dev/urandom > '\(remote)'", timeout: .seconds(60)).check()
            var options = TransferOptions()
            options.rangeLength = 16 << 20
            let target = files.file("spread.bin")
            try await sftp.download(remote, to: target, options: options, spread: SessionSpread(channels: 3))
            let here = try await ssh.run("sha256sum < '\(remote)'", timeout: .seconds(60)).output.prefix(64)
            let local = try await FixtureCommand.run("/usr/bin/sha256sum", [target], timeout: .seconds(60))
            #expect(local.stdout.prefix(64) == here)
            // The session it was given and two more.
            let opened = server.log.components(separatedBy: "Starting session: subsystem 'sftp'").count - 1
            #expect(opened == 3, "\(server.log)")
            await sftp.close()
        }
    }

    @Test func syncMirrorsADirectory() async throws {
        try await Self.withBox("ferrykit-sync") { server, files, ssh in
            let root = server.scratchDirectory + "/site"
            try await ssh.run("mkdir -p '\(root)/a/b' && printf one > '\(root)/1' && printf two > '\(root)/a/2' && printf three > '\(root)/a/b/3'",
                              timeout: .seconds(20)).check()
            let sftp = try await ssh.openSFTP()
            let mirror = files.file("mirror")
            let changes = CollectedLines()
            let first = try await sftp.sync(.download(SFTPPath(root), LocalPath(mirror)), onChange: { changes.append("\($0.kind) \($0.path)") })
            #expect(first.transferred == 3, "\(changes.all)")
            #expect(FileManager.default.contents(atPath: mirror + "/a/b/3") == Data("three".utf8))
            // A removed and a changed file; with delete, the mirror follows.
            try await ssh.run("rm '\(root)/1' && printf TWO! > '\(root)/a/2'", timeout: .seconds(20)).check()
            var options = SyncOptions()
            options.delete = true
            let second = try await sftp.sync(.download(SFTPPath(root), LocalPath(mirror)), options: options)
            #expect(second.transferred == 1 && second.deleted == 1, "\(second)")
            #expect(!FileManager.default.fileExists(atPath: mirror + "/1"))
            #expect(FileManager.default.contents(atPath: mirror + "/a/2") == Data("TWO!".utf8))
            let third = try await sftp.sync(.download(SFTPPath(root), LocalPath(mirror)), options: options)
            #expect(third.transferred == 0 && third.deleted == 0)
            await sftp.close()
        }
    }

    @Test func scpBothWays() async throws {
        try await Self.withBox("ferrykit-scp") { server, files, ssh in
            let payload = (0..<(1 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
            let local = try files.write("name with spaces.bin", payload)
            let remote = server.scratchDirectory + "/it's here.bin"
            let up = try await ssh.scpUpload(local, to: remote)
            #expect(up.files == 1)
            let back = files.file("back.bin")
            let down = try await ssh.scpDownload(remote, to: back)
            #expect(down.files == 1 && FileManager.default.contents(atPath: back).map(Array.init) == payload)
            var resume = TransferOptions()
            resume.resume = true
            await #expect(throws: SSHError.self) { try await ssh.scpDownload(remote, to: back, options: resume) }
            await #expect(throws: TransferFailure.self) { try await ssh.scpDownload(remote + ".missing", to: files.file("none")) }
            #expect(!FileManager.default.fileExists(atPath: files.file("none")))
        }
    }

    @Test func execTimeoutAndCancellation() async throws {
        try await Self.withBox("ferrykit-exec") { server, files, ssh in

            let started = ContinuousClock.now
            do {
                _ = try await ssh.run("sleep 60", timeout: .seconds(1))
                Issue.record("a command past its timeout returned")
            } catch let error as SSHError {
                #expect(error.code == .timeout)
            }
            #expect(started.duration(to: .now) < .seconds(20))

            let running = Task { try await ssh.run("sleep 60") }
            try await Task.sleep(for: .milliseconds(500))
            let cancelledAt = ContinuousClock.now
            running.cancel()
            await #expect(throws: CancellationError.self) { _ = try await running.value }
            #expect(cancelledAt.duration(to: .now) < .seconds(10))
            // The connection is still good for the next command.
            #expect(try await ssh.run("echo still", timeout: .seconds(20)).output == "still\n")
        }
    }

    @Test func cancelledDownloadLeavesNothingUnderTheFinalName() async throws {
        try await Self.withBox("ferrykit-cancel") { server, files, ssh in
            let sftp = try await ssh.openSFTP()
            let remote = server.scratchDirectory + "/big.bin"
            try await ssh.run("head -c 33554432 /dev/urandom > '\(remote)'", timeout: .seconds(60)).check()

            var slow = TransferOptions()
            slow.bytesPerSecond = 4 << 20
            let target = files.file("big.bin")
            let moved = Locked<UInt64>(0)
            let download = Task {
                try await sftp.download(remote, to: target, options: slow) { event in
                    if case .progress(let bytes) = event { moved.withLock { $0 += bytes } }
                }
            }
            while moved.withLock({ $0 }) < 1 << 20 { try await Task.sleep(for: .milliseconds(50)) }
            download.cancel()
            await #expect(throws: (any Error).self) { _ = try await download.value }
            #expect(!FileManager.default.fileExists(atPath: target), "a cancelled download must not land under its final name")

            // Resumed, it completes and matches.
            var resume = TransferOptions()
            resume.resume = true
            try await sftp.download(remote, to: target, options: resume)
            let here = try await ssh.run("sha256sum < '\(remote)'", timeout: .seconds(60)).output.prefix(64)
            let local = try await FixtureCommand.run("/usr/bin/sha256sum", [target], timeout: .seconds(60))
            #expect(local.stdout.prefix(64) == here)
        }
    }

    @Test func jumpHostRunsInProcess() async throws {
        let jump = try await SSHDFixture.start()
        defer { jump.stop() }
        let target = try await SSHDFixture.start()
        defer { target.stop() }
        let files = try FixtureDirectory.create(prefix: "ferrykit-jump", traversable: true)
        defer { files.remove() }
        let config = try Self.writeConfig([("hop", jump, ["StrictHostKeyChecking yes"]),
                                           ("inside", target, ["StrictHostKeyChecking yes", "ProxyJump hop"])], in: files)
        // This test process is not ferry: a jump made by spawning `ferry
        // proxy` (as before) could not work here, so arriving proves it is
        // made in process.
        let ssh = try await SSHConnection.connect(to: "inside", options: Self.options(config))
        let result = try await ssh.run("echo arrived; echo $SSH_CONNECTION", timeout: .seconds(20))
        let lines = result.output.split(separator: "\n")
        #expect(lines.first == "arrived" && lines.count == 2 && lines[1].hasSuffix(" \(target.port)"), "\(result.output)")
        #expect(jump.log.contains("Accepted publickey for \(jump.user)"))
        let sftp = try await ssh.openSFTP()
        let payload = Array(repeating: UInt8(0x5A), count: 5 << 20)
        let local = try files.write("through.bin", payload)
        try await sftp.upload(local, to: target.scratchDirectory + "/through.bin")
        #expect(try await sftp.attributes(target.scratchDirectory + "/through.bin").size == UInt64(payload.count))
        await sftp.close()
        await ssh.close()
        // Closing the target connection closed the hop's too.
        try await Task.sleep(for: .milliseconds(500))
        let deadline = ContinuousClock.now + .seconds(10)
        while !jump.log.contains("Disconnected from user") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(jump.log.contains("Disconnected from user"), "\(jump.log)")
    }

    @Test func aJumpHostThatRefusesForwardingIsNamed() async throws {
        let jump = try await SSHDFixture.start(extraConfig: ["AllowTcpForwarding no"])
        defer { jump.stop() }
        let target = try await SSHDFixture.start()
        defer { target.stop() }
        let files = try FixtureDirectory.create(prefix: "ferrykit-jump-refused", traversable: true)
        defer { files.remove() }
        let config = try Self.writeConfig([("hop", jump, ["StrictHostKeyChecking yes"]),
                                           ("inside", target, ["StrictHostKeyChecking yes", "ProxyJump hop"])], in: files)
        let failure = await #expect(throws: SSHError.self) {
            _ = try await SSHConnection.connect(to: "inside", options: Self.options(config))
        }
        #expect(failure?.message.hasPrefix("jump host hop could not connect to 127.0.0.1 port \(target.port): ") == true,
                "\(String(describing: failure))")
        #expect(!target.log.contains("Accepted publickey"))
    }

    @Test func aConnectionDroppedWithoutCloseIsClosed() async throws {
        let server = try await SSHDFixture.start()
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: "ferrykit-drop", traversable: true)
        defer { files.remove() }
        let config = try Self.writeConfig([("box", server, ["StrictHostKeyChecking yes"])], in: files)
        do {
            let ssh = try await SSHConnection.connect(to: "box", options: Self.options(config))
            #expect(try await ssh.run("true", timeout: .seconds(20)).succeeded)
            // Released here, never closed.
        }
        let deadline = ContinuousClock.now + .seconds(15)
        while !server.log.contains("Disconnected from user") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(server.log.contains("Disconnected from user"), "the released connection stayed open: \(server.log)")
    }

    @Test func nobodyIsAskedByDefault() async throws {
        let server = try await SSHDFixture.start()
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: "ferrykit-ask", traversable: true)
        defer { files.remove() }
        // Nothing on record, StrictHostKeyChecking ask (ssh's default).
        let config = try Self.writeConfig([("box", server, [])], knownHosts: "", in: files)
        await #expect(throws: SSHError.self) {
            _ = try await SSHConnection.connect(to: "box", options: Self.options(config))
        }
        // With a host-key handler that says yes, the key is accepted and recorded.
        var options = Self.options(config)
        let asked = Locked(0)
        options.prompts.hostKey = { _ in asked.withLock { $0 += 1 }; return true }
        let ssh = try await SSHConnection.connect(to: "box", options: options)
        await ssh.close()
        #expect(asked.withLock { $0 } == 1)
        let recorded = try String(contentsOfFile: files.file("known_hosts"), encoding: .utf8)
        #expect(recorded.contains("[127.0.0.1]:\(server.port)"), "\(recorded)")
    }

    @Test func protocolEventsReachTheLoggingBackend() async throws {
        let server = try await SSHDFixture.start()
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: "ferrykit-log", traversable: true)
        defer { files.remove() }
        let config = try Self.writeConfig([("box", server, ["StrictHostKeyChecking yes"])], in: files)
        let lines = CollectedLines()
        var options = Self.options(config)
        options.logger = Logger(label: "test") { _ in CollectingLogHandler(lines: lines) }
        let ssh = try await SSHConnection.connect(to: "box", options: options)
        await ssh.close()
        let seen = lines.all
        #expect(seen.contains { $0.hasPrefix("Reading configuration data \(config)") }, "\(seen)")
        #expect(seen.contains { $0.hasPrefix("keys established") }, "\(seen)")
        #expect(seen.contains { $0.hasPrefix("authenticated") }, "\(seen)")
        #expect(seen.contains { $0.hasPrefix("Server host key: ") }, "\(seen)")
    }

    @Test func optionsReadAsTheyResolve() throws {
        var options = SSHOptions()
        options.set("Port 2200")
        options.set("port=2201")
        #expect(options.port == 2200, "the first value wins, as with -o")
        options.port = 2222
        #expect(options.port == 2222 && options.settings == ["Port=2222"])
        options.user = "deploy"
        options.jump = "bastion,inner:2022"
        options.identityFiles = ["~/.ssh/a", "~/.ssh/b"]
        options.batchMode = true
        #expect(options.user == "deploy" && options.jump == "bastion,inner:2022" && options.batchMode)
        #expect(options.identityFiles == ["~/.ssh/a", "~/.ssh/b"])
        options.jump = nil
        #expect(options.jump == nil && options.port == 2222)
        let resolved = try options.clientOptions()
        #expect(resolved.port == 2222 && resolved.user == "deploy" && resolved.batchMode == true)
    }

    @Test func destinationsParseAsSSHTakesThem() throws {
        #expect(try SSHDestination(parsing: "alice@example.com:2222") == SSHDestination(user: "alice", host: "example.com", port: 2222))
        #expect(try SSHDestination(parsing: "ssh://bob@[::1]:22") == SSHDestination(user: "bob", host: "::1", port: 22))
        #expect(try SSHDestination(parsing: "fe80::1") == SSHDestination(host: "fe80::1"))
        #expect(try SSHDestination(parsing: "alias") == SSHDestination(host: "alias"))
        for bad in ["", "@host", "-oProxyCommand=x", "host:0", "host:99999", "[::1", "a b"] {
            #expect(throws: SSHError.self, "\(bad)") { try SSHDestination(parsing: bad) }
        }
    }
}

/// The messages a `CollectingLogHandler` kept.
final class CollectedLines: Sendable {
    private let lines = Locked<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// Keeps every message logged, with its metadata left out.
struct CollectingLogHandler: LogHandler {
    let lines: CollectedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append("\(event.message)")
    }
}
