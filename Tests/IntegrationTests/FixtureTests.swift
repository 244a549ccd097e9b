import Foundation
import Glibc
import Testing

// Proof that the real-server fixtures work, with OpenSSH's ssh and sftp as
// the reference clients: when ferry's client later fails against one of these
// servers, the failure is ferry's.
//
// A missing server binary fails these tests (scripts/bootstrap installs
// them); only the lack of root — which the dropbear and tinysshd fixtures
// need for their dedicated account — disables tests.

private let needsRoot = "dropbear and tinysshd read ~/.ssh/authorized_keys of a dedicated account (ferrytest), which only root can create"

@Suite("sshd fixture")
struct SSHDFixtureTests {
    @Test("OpenSSH's ssh logs in with the fixture's key and runs a command")
    func login() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        #expect(sshd.identification.hasPrefix("SSH-2.0-OpenSSH_"))
        #expect(sshd.host == "127.0.0.1" && sshd.port > 0)
        try await expectLogin(sshd)
    }

    @Test("known_hosts holds every host key type sshd offers")
    func everyHostKey() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        #expect(sshd.hostKeys.map(\.keyTypeName) == SSHKeyType.allCases.map(\.keyTypeName))
        #expect(sshd.knownHosts.split(separator: "\n").allSatisfy { $0.hasPrefix("[127.0.0.1]:\(sshd.port) ") })
        try await expectEveryHostKeyTrusted(sshd, algorithms: SSHKeyType.allCases.map(\.signatureAlgorithm))
    }

    @Test("ECDSA and RSA client keys are authorized on request")
    func clientKeyTypes() async throws {
        let sshd = try await SSHDFixture.start(clientKeyTypes: [.ecdsaP256, .rsa3072, .ecdsaP521])
        defer { sshd.stop() }
        #expect(sshd.clientKeys.map(\.type) == [.ecdsaP256, .rsa3072, .ecdsaP521])
        #expect(sshd.clientKeyPath == sshd.clientKeyPath(.ecdsaP256))
        for key in sshd.clientKeys {
            try await expectLogin(sshd, identity: key.privateKeyPath)
        }
    }

    @Test("extraConfig is applied: with Ciphers aes128-ctr, chacha20-poly1305 is refused")
    func extraConfigApplied() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["Ciphers aes128-ctr"])
        defer { sshd.stop() }
        #expect(sshd.configuration.contains("\nCiphers aes128-ctr\n"))
        let refused = try await OpenSSHClient.run("true", on: sshd, options: ["-c", "chacha20-poly1305@openssh.com"])
        #expect(!refused.succeeded && refused.stderr.contains("no matching cipher"), "\(refused.summary)")
        try await expectLogin(sshd, options: ["-c", "aes128-ctr"])
    }

    @Test("an extraConfig line replaces the default for its keyword")
    func extraConfigOverridesDefault() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: [
            "PasswordAuthentication yes", "Subsystem sftp /usr/lib/openssh/sftp-server",
        ])
        defer { sshd.stop() }
        #expect(!sshd.configuration.contains("PasswordAuthentication no"))
        #expect(!sshd.configuration.contains("internal-sftp"))
        try await expectSFTPRoundTrip(sshd)
    }

    @Test("a bad configuration line fails the start at once with sshd's message")
    func badConfigFailsFast() async throws {
        // At once: from the `sshd -t` check, before any server starts — not
        // after waiting out the start timeout for a server that never answers.
        let clock = ContinuousClock()
        let began = clock.now
        let error = await #expect(throws: FixtureError.self) {
            _ = try await SSHDFixture.start(extraConfig: ["NoSuchOption yes"], startTimeout: .seconds(60))
        }
        #expect(clock.now - began < .seconds(30))
        let message = error?.message ?? ""
        #expect(message.contains("sshd rejected the configuration (sshd -t)"), "\(message)")
        #expect(message.contains("Bad configuration option: NoSuchOption"), "\(message)")
        await #expect(throws: FixtureError.self, "the fixture owns Port") {
            _ = try await SSHDFixture.start(extraConfig: ["Port 22"])
        }
    }

    @Test("password authentication: off by default, on request with the documented password",
          .enabled(if: TestAccount.runningAsRoot, "only the dedicated account (root) has a known password"))
    func passwordAuthentication() async throws {
        let password = TestAccount.dedicatedPassword
        let off = try await SSHDFixture.start()
        defer { off.stop() }
        try await expectPasswordLogin(off, password: password, accepted: false)
        let on = try await SSHDFixture.start(passwordAuthentication: true)
        defer { on.stop() }
        try await expectPasswordLogin(on, password: password, accepted: true)
        try await expectPasswordLogin(on, password: "wrong", accepted: false)
    }

    @Test("SFTP (internal-sftp) writes into the scratch directory as the account")
    func sftp() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        try await expectSFTPRoundTrip(sshd)
    }

    @Test("stop ends the server and its sessions and removes its files")
    func stopLeavesNothing() async throws {
        try await expectStopLeavesNothing(try await SSHDFixture.start())
    }

    @Test("a start whose port is taken moves to another port")
    func takenPort() async throws {
        try await expectStartSurvivesTakenPort { try await SSHDFixture.start(preferredPort: $0) }
    }
}

@Suite("dropbear fixture", .enabled(if: TestAccount.runningAsRoot, "\(needsRoot)"))
struct DropbearFixtureTests {
    @Test("OpenSSH's ssh logs in with the fixture's key and runs a command")
    func login() async throws {
        let dropbear = try await DropbearFixture.start()
        defer { dropbear.stop() }
        #expect(dropbear.identification.hasPrefix("SSH-2.0-dropbear"))
        try await expectLogin(dropbear)
    }

    @Test("known_hosts holds every host key dropbear offers")
    func everyHostKey() async throws {
        let dropbear = try await DropbearFixture.start()
        defer { dropbear.stop() }
        #expect(dropbear.hostKeys.count == 4)
        // dropbear signs with RSA as rsa-sha2-256 only.
        try await expectEveryHostKeyTrusted(
            dropbear, algorithms: ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "rsa-sha2-256"])
    }

    @Test("ECDSA and RSA client keys are authorized on request")
    func clientKeyTypes() async throws {
        let dropbear = try await DropbearFixture.start(clientKeyTypes: [.ecdsaP384, .rsa3072])
        defer { dropbear.stop() }
        for key in dropbear.clientKeys {
            try await expectLogin(dropbear, identity: key.privateKeyPath)
        }
    }

    @Test("password authentication: off by default, on request with the documented password")
    func passwordAuthentication() async throws {
        let off = try await DropbearFixture.start()
        defer { off.stop() }
        try await expectPasswordLogin(off, password: TestAccount.dedicatedPassword, accepted: false)
        let on = try await DropbearFixture.start(passwordAuthentication: true)
        defer { on.stop() }
        try await expectPasswordLogin(on, password: TestAccount.dedicatedPassword, accepted: true)
    }

    @Test("SFTP writes into the scratch directory as the account")
    func sftp() async throws {
        let dropbear = try await DropbearFixture.start()
        defer { dropbear.stop() }
        try await expectSFTPRoundTrip(dropbear)
    }

    @Test("stop ends the server and its sessions, removes its files and its authorized_keys lines")
    func stopLeavesNothing() async throws {
        try await expectStopLeavesNothing(try await DropbearFixture.start())
    }

    @Test("a start whose port is taken moves to another port")
    func takenPort() async throws {
        try await expectStartSurvivesTakenPort { try await DropbearFixture.start(preferredPort: $0) }
    }
}

@Suite("tinysshd fixture", .enabled(if: TestAccount.runningAsRoot, "\(needsRoot)"))
struct TinySSHFixtureTests {
    @Test("OpenSSH's ssh logs in with the fixture's key and runs a command")
    func login() async throws {
        let tinyssh = try await TinySSHFixture.start()
        defer { tinyssh.stop() }
        #expect(tinyssh.identification.hasPrefix("SSH-2.0-tinyssh"))
        #expect(tinyssh.hostKeys.map(\.keyTypeName) == ["ssh-ed25519"])
        try await expectLogin(tinyssh)
    }

    @Test("only chacha20-poly1305 is offered, as documented")
    func onlyChaCha20Poly1305() async throws {
        let tinyssh = try await TinySSHFixture.start()
        defer { tinyssh.stop() }
        let refused = try await OpenSSHClient.run("true", on: tinyssh, options: ["-c", "aes128-ctr"])
        #expect(!refused.succeeded && refused.stderr.contains("no matching cipher"), "\(refused.summary)")
        try await expectLogin(tinyssh, options: ["-c", "chacha20-poly1305@openssh.com",
                                                 "-o", "KexAlgorithms=curve25519-sha256"])
    }

    @Test("SFTP writes into the scratch directory as the account")
    func sftp() async throws {
        let tinyssh = try await TinySSHFixture.start()
        defer { tinyssh.stop() }
        try await expectSFTPRoundTrip(tinyssh)
    }

    @Test("stop ends the listener and its sessions, removes its files and its authorized_keys lines")
    func stopLeavesNothing() async throws {
        try await expectStopLeavesNothing(try await TinySSHFixture.start())
    }

    @Test("a start whose port is taken moves to another port")
    func takenPort() async throws {
        try await expectStartSurvivesTakenPort { try await TinySSHFixture.start(preferredPort: $0) }
    }
}

@Suite("fixture infrastructure")
struct FixtureInfrastructureTests {
    @Test("servers started at the same moment all come up, each on its own port")
    func parallelStarts() async throws {
        let fixtures = try await withThrowingTaskGroup(of: (any SSHServerFixture).self) { group in
            for _ in 0..<3 { group.addTask { try await SSHDFixture.start() } }
            if TestAccount.runningAsRoot {
                for _ in 0..<2 { group.addTask { try await DropbearFixture.start() } }
                for _ in 0..<2 { group.addTask { try await TinySSHFixture.start() } }
            }
            var started: [any SSHServerFixture] = []
            for try await fixture in group { started.append(fixture) }
            return started
        }
        defer { for fixture in fixtures { fixture.stop() } }
        #expect(Set(fixtures.map(\.port)).count == fixtures.count)
        for fixture in fixtures {
            try await expectLogin(fixture)
        }
    }

    @Test("what a test process that dies leaves running or on disk is cleaned up by the watchdog")
    func orphanWatchdog() async throws {
        let watchdog = OrphanWatchdog()
        func sleeper(group: Bool) throws -> ChildProcess {
            try ChildProcess.spawn("/bin/sleep", ["60"], stdout: "/dev/null", newProcessGroup: group)
        }
        let orphanGroup = try sleeper(group: true)
        let orphan = try sleeper(group: false)
        let reaped = try sleeper(group: true)
        let abandoned = try FixtureDirectory.create(prefix: "watchdog")
        let removed = try FixtureDirectory.create(prefix: "watchdog")
        defer {
            for child in [orphanGroup, orphan, reaped] where child.exitStatus == nil {
                child.send(SIGKILL)
                _ = child.waitBlocking(timeout: .seconds(5))
            }
            abandoned.remove()
            removed.remove()
        }
        watchdog.register(orphanGroup.pid, group: true)
        watchdog.register(orphan.pid, group: false)
        watchdog.register(reaped.pid, group: true)
        watchdog.unregister(reaped.pid, group: true)
        watchdog.register(directory: abandoned.path)
        watchdog.register(directory: removed.path)
        watchdog.unregister(directory: removed.path)
        watchdog.close()  // what the test process's death does

        let terminated = ExitStatus(code: SIGTERM, signaled: true)
        #expect(await orphanGroup.wait(timeout: .seconds(5)) == terminated)
        #expect(await orphan.wait(timeout: .seconds(5)) == terminated)
        #expect(reaped.exitStatus == nil, "an unregistered process is left alone")
        let watchdogProcess = try #require(watchdog.process)
        #expect(await watchdogProcess.wait(timeout: .seconds(5)) == ExitStatus(code: 0, signaled: false))
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(FileManager.default.fileExists(atPath: removed.path), "an unregistered directory is left alone")
    }

    @Test("the port picker hands out distinct free loopback ports")
    func portPicker() throws {
        let ports = try (0..<20).map { _ in try PortPicker.freePort() }
        #expect(Set(ports).count == ports.count)
        #expect(ports.allSatisfy { $0 > 1024 && $0 < 65536 })
    }

    @Test("a command that overruns its timeout is killed and reported")
    func commandTimeout() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        let result = try await FixtureCommand.run("sleep", ["30"], timeout: .milliseconds(300))
        #expect(result.timedOut && !result.succeeded)
        // Killed, not left to sleep its 30 s: a bound well below 30 s proves it
        // without timing the machine (which is shared and slow under load).
        #expect(clock.now - began < .seconds(20))
        let echoed = try await FixtureCommand.run("sh", ["-c", "cat; echo err >&2; exit 3"], input: "in")
        #expect(echoed.stdout == "in" && echoed.stderr == "err\n" && echoed.exit.code == 3)
        await #expect(throws: FixtureError.self) {
            _ = try await FixtureCommand.run("ferry-no-such-program", [])
        }
    }
}
