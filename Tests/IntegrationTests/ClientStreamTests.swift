import Foundation
import NIOCore
@_spi(Internals) import SSHCore
import SSHCrypto
import Testing

/// Connects ferry's client to a fixture as its test account, trusting the
/// fixture's host keys.
func connectClient(to fixture: some SSHServerFixture, serverAliveInterval: Duration? = nil,
                   serverAliveCountMax: Int = 3) async throws -> SSHClient {
    let keyText = try String(contentsOfFile: fixture.clientKeyPath, encoding: .utf8)
    let key = try OpenSSHPrivateKeyFile.decode(keyText)
    let trusted = Set(fixture.hostKeys.map(\.blob))
    var configuration = SSHClient.Configuration(
        host: fixture.host, port: fixture.port, user: fixture.user, credentials: [.publicKey(key)],
        transport: TransportConfiguration(role: .client), connectTimeout: .seconds(60),
        verifyHostKey: { key in
            guard trusted.contains(key.blob) else { throw SSHError(.hostKeyRejected, "unexpected host key \(key)") }
        })
    configuration.serverAliveInterval = serverAliveInterval
    configuration.serverAliveCountMax = serverAliveCountMax
    return try await SSHClient.connect(configuration)
}

@Suite struct ClientStreamTests {
    /// The sftp subsystem answers SSH_FXP_INIT with SSH_FXP_VERSION: the
    /// stream carries bytes both ways.
    @Test func sftpSubsystemAnswersInit() async throws {
        let fixture = try await SSHDFixture.start()
        defer { fixture.stop() }
        let client = try await connectClient(to: fixture)
        let stream = try await client.openSubsystem("sftp")
        var initPacket = ByteBuffer()
        initPacket.writeInteger(UInt32(5))
        initPacket.writeInteger(UInt8(1))  // SSH_FXP_INIT
        initPacket.writeInteger(UInt32(3))  // version 3
        try await stream.write(initPacket)
        var reply = ByteBuffer()
        while reply.readableBytes < 9, var chunk = try await stream.read() { reply.writeBuffer(&chunk) }
        let length = reply.readInteger(as: UInt32.self)
        let type = reply.readInteger(as: UInt8.self)
        let version = reply.readInteger(as: UInt32.self)
        #expect(length.map { $0 >= 5 } == true)
        #expect(type == 2)  // SSH_FXP_VERSION
        #expect(version == 3)
        await stream.close()
        await client.close()
    }

    @Test func unknownSubsystemIsRefused() async throws {
        let fixture = try await SSHDFixture.start()
        defer { fixture.stop() }
        let client = try await connectClient(to: fixture)
        await #expect(throws: SSHError.self) { _ = try await client.openSubsystem("no-such-subsystem") }
        await client.close()
    }

    /// direct-tcpip to the server's own SSH port reads back an SSH banner.
    @Test func directTCPIPRelaysBytes() async throws {
        let fixture = try await SSHDFixture.start()
        defer { fixture.stop() }
        let client = try await connectClient(to: fixture)
        let stream = try await client.openDirectTCPIP(host: "127.0.0.1", port: fixture.port)
        var received = ByteBuffer()
        while !received.readableBytesView.contains(UInt8(ascii: "\n")), var chunk = try await stream.read() {
            received.writeBuffer(&chunk)
        }
        #expect(String(buffer: received).hasPrefix("SSH-2.0-OpenSSH"))
        await stream.close()
        await client.close()
    }

    /// A large write through a subsystem is paced by the window, and every
    /// byte arrives: `cat` as a subsystem echoes what it is sent.
    @Test func streamBackpressureKeepsEveryByte() async throws {
        let fixture = try await SSHDFixture.start(extraConfig: ["Subsystem echo /bin/cat"])
        defer { fixture.stop() }
        do { try await echoThroughSubsystem(fixture) } catch {
            Issue.record("\(error)\n--- server log ---\n\(fixture.log)")
        }
    }

    func echoThroughSubsystem(_ fixture: SSHDFixture) async throws {
        let client = try await connectClient(to: fixture)
        let stream = try await client.openSubsystem("echo")
        let total = 24 << 20
        let pattern = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        async let sent: Void = {
            var offset = 0
            while offset < total {
                var chunk = ByteBuffer()
                chunk.writeBytes(pattern)
                try await stream.write(chunk)
                offset += pattern.count
            }
            try await stream.closeWrite()
        }()
        var count = 0
        var received = Digest(.sha256)
        while let chunk = try await stream.read() {
            chunk.withUnsafeReadableBytes { received.update($0) }
            count += chunk.readableBytes
        }
        try await sent
        var expected = Digest(.sha256)
        for _ in 0..<(total / pattern.count) { expected.update(pattern) }
        #expect(count == total)
        #expect(received.finalize() == expected.finalize())
        await client.close()
    }

    /// With ServerAliveInterval, an idle connection stays up (the server
    /// answers), and a server that stops answering is given up on.
    @Test func keepalivesDetectADeadServer() async throws {
        let fixture = try await SSHDFixture.start()
        defer { fixture.stop() }
        let client = try await connectClient(to: fixture, serverAliveInterval: .milliseconds(300), serverAliveCountMax: 2)
        try await Task.sleep(for: .seconds(1.2))
        let alive = try await client.exec("echo alive", timeout: .seconds(10))
        #expect(alive.stdout == Array("alive\n".utf8))

        // Freeze every sshd process of this fixture: probes go unanswered.
        let stream = try await client.openSubsystem("sftp")
        for pid in fixture.serverProcesses { kill(pid, SIGSTOP) }
        defer { for pid in fixture.serverProcesses { kill(pid, SIGCONT) } }
        let started = ContinuousClock.now
        await #expect(throws: SSHError.self) {
            while try await stream.read() != nil {}
        }
        let waited = ContinuousClock.now - started
        // Detected rather than waited on forever; the bound only proves that.
        #expect(waited < .seconds(20), "dead server detected after \(waited)")
        await client.close()
    }
}
