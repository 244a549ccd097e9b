import FerryKit
import Foundation
import SSHCore
import Testing

/// A connection's objects are freed once its user lets go of it: after a
/// close, and after the link died under a transfer. A program that
/// reconnects many times (a retry loop, a long-running daemon) must not
/// keep every lost connection alive. LeakSanitizer's exit-time reports
/// of the CLI had left this open (docs/fuzzing.md); these tests watch the
/// `SSHClient` and the event loop of each connection through weak
/// references.
@Suite("FerryKit: closed and lost connections are freed", .serialized)
struct ConnectionLifetimeTests {
    /// Weak references to a connection's client and to its event loop,
    /// that can cross tasks. The loop outlived freed clients until
    /// SSHClientHandler let go of its pipeline context (a cycle holding
    /// the channel, its buffers and the loop).
    final class Weak: @unchecked Sendable {
        weak var client: SSHClient?
        weak var loop: AnyObject?
        init(_ client: SSHClient) {
            self.client = client
            self.loop = client.taskExecutor.eventLoop as AnyObject
        }
    }

    /// Waits up to `limit` for every client and loop to be gone; the
    /// number of connections with either left.
    static func alive(_ references: [Weak], within limit: Duration = .seconds(10)) async -> Int {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: limit)
        while true {
            let left = references.filter { $0.client != nil || $0.loop != nil }.count
            if left == 0 || clock.now >= end { return left }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Options naming `server`'s sshd "box" behind its fault proxy (strict
    /// checking, the host key listed at the proxy's port).
    static func proxiedOptions(_ server: FaultedServer, in directory: FixtureDirectory) throws -> SSHOptions {
        let port = server.proxy.port
        let config = try FerryKitTests.writeConfig([("box", server.sshd, ["StrictHostKeyChecking yes"])],
                                                   knownHosts: knownHostsText(host: "127.0.0.1", port: port, keys: server.sshd.hostKeys),
                                                   ports: ["box": port], in: directory)
        return FerryKitTests.options(config)
    }

    @Test("closed connections (a command, an SFTP session, a download each) are freed")
    func closedConnectionsAreFreed() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let files = try FixtureDirectory.create(prefix: "ferry-lifetime", traversable: true)
        defer { files.remove() }
        let options = FerryKitTests.options(try FerryKitTests.writeConfig([("box", sshd, ["StrictHostKeyChecking yes"])], in: files))
        let remote = "\(sshd.scratchDirectory)/small"
        try Proof.write(remote, Proof.bytes(100_000, seed: 3))
        Proof.giveToAccount(remote, sshd)

        var references: [Weak] = []
        for round in 0..<3 {
            let ssh = try await SSHConnection.connect(to: "box", options: options)
            references.append(Weak(ssh.client))
            #expect(try await ssh.run("echo \(round)", timeout: .seconds(20)).output == "\(round)\n")
            let sftp = try await ssh.openSFTP()
            try await sftp.download(remote, to: files.file("copy\(round)"))
            await sftp.close()
            await ssh.close()
        }
        try await FaultCheck.expectIdentical(files.file("copy2"), remote, "the last download")
        let left = await Self.alive(references)
        #expect(left == 0, "\(left) of 3 closed connections are still alive")
    }

    @Test("connections lost under a download are freed, closed by their user or not")
    func lostConnectionsAreFreed() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let remote = "\(sshd.scratchDirectory)/big"
        try await Proof.makeRandomFile(remote, bytes: 4 << 20, seed: 0x11)
        Proof.giveToAccount(remote, sshd)
        // Every connection is cut 1 MiB into what the server sends.
        let server = try FaultedServer(sshd) { _ in .cut(after: 1 << 20, .toClient) }
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: "ferry-lifetime-lost", traversable: true)
        defer { files.remove() }
        let options = try Self.proxiedOptions(server, in: files)

        var references: [Weak] = []
        for round in 0..<4 {
            let ssh = try await SSHConnection.connect(to: "box", options: options)
            references.append(Weak(ssh.client))
            let sftp = try await ssh.openSFTP()
            await #expect(throws: (any Error).self, "round \(round): the cut ends the download") {
                try await sftp.download(remote, to: files.file("big"))
            }
            // Half the rounds close what they had, half just drop it.
            if round.isMultiple(of: 2) {
                await sftp.close()
                await ssh.close()
            }
        }
        #expect(server.proxy.faultsDone == 4)
        #expect(!Proof.exists(files.file("big")), "nothing under the final name")
        let left = await Self.alive(references)
        #expect(left == 0, "\(left) of 4 lost connections are still alive")
    }
}
