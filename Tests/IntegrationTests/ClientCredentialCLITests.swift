import Foundation
import Testing

/// The CLI's credential sources against sshd: keys held only by ssh-agent,
/// and an encrypted key file whose passphrase comes from SSH_ASKPASS.
@Suite struct ClientCredentialCLITests {
    func baseEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = "/nonexistent-ferry-home"  // no default keys or config
        environment.removeValue(forKey: "SSH_AUTH_SOCK")
        return environment
    }

    func commonArguments(_ fixture: SSHDFixture) -> [String] {
        ["-F", "none", "-P", String(fixture.port), "-o", "UserKnownHostsFile=\(fixture.knownHostsPath)",
         "-o", "StrictHostKeyChecking=yes", "\(fixture.user)@127.0.0.1"]
    }

    @Test func aKeyHeldOnlyByTheAgentLogsIn() async throws {
        let fixture = try await SSHDFixture.start()
        defer { fixture.stop() }
        let files = try FixtureDirectory.create(prefix: "agent", traversable: true)
        defer { files.remove() }
        let socket = files.file("agent.sock")
        let agent = try await FixtureCommand.run("ssh-agent", ["-a", socket])
        #expect(agent.exit.code == 0, "\(agent.summary)")
        defer { _ = try? FileManager.default.removeItem(atPath: socket) }
        let pid = agent.stdout.components(separatedBy: "SSH_AGENT_PID=").dropFirst().first.flatMap { Int32($0.prefix(while: \.isNumber)) }
        defer { if let pid { kill(pid, SIGKILL) } }
        var environment = baseEnvironment()
        environment["SSH_AUTH_SOCK"] = socket
        let added = try await FixtureCommand.run("ssh-add", ["-q", fixture.clientKeyPath], environment: environment)
        #expect(added.exit.code == 0, "\(added.summary)")

        guard let ferry = FerryCLI.executable else { Issue.record("ferry binary not built"); return }
        let result = try await FixtureCommand.run(ferry, ["exec"] + commonArguments(fixture) + ["--", "echo from agent"],
                                                  environment: environment)
        #expect(result.exit.code == 0 && result.stdout == "from agent\n", "\(result.summary)\n\(fixture.log)")
        // IdentitiesOnly: the agent's keys are not offered, so nothing is left to try.
        let only = try await FixtureCommand.run(ferry, ["exec", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"]
                                                + commonArguments(fixture) + ["--", "true"], environment: environment)
        #expect(only.exit.code == 255 && only.stderr.contains("Permission denied"), "\(only.summary)")
    }

    @Test func anEncryptedKeyIsUnlockedThroughAskpass() async throws {
        let files = try FixtureDirectory.create(prefix: "enckey", traversable: true)
        defer { files.remove() }
        let key = files.file("id_ecdsa")
        let made = try await FixtureCommand.run("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "correct horse", "-a", "4", "-f", key])
        #expect(made.exit.code == 0, "\(made.summary)")
        let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8)
        let fixture = try await SSHDFixture.start()
        defer { fixture.stop() }
        // sshd reads AuthorizedKeysFile at each login: authorize the new key.
        let authorized = try FileHandle(forWritingTo: URL(fileURLWithPath: fixture.directory + "/authorized_keys"))
        try authorized.seekToEnd()
        try authorized.write(contentsOf: Data(publicKey.utf8))
        try authorized.close()
        guard let ferry = FerryCLI.executable else { Issue.record("ferry binary not built"); return }

        for (passphrase, shouldLogIn) in [("correct horse", true), ("wrong", false)] {
            let askpass = try files.write("askpass-\(shouldLogIn)", "#!/bin/sh\necho '\(passphrase)'\n", mode: 0o700)
            var environment = baseEnvironment()
            environment["SSH_ASKPASS"] = askpass
            environment["SSH_ASKPASS_REQUIRE"] = "force"
            environment["DISPLAY"] = ":0"
            let result = try await FixtureCommand.run(
                ferry, ["exec", "-i", key, "-o", "IdentitiesOnly=yes"] + commonArguments(fixture) + ["--", "echo unlocked"],
                environment: environment)
            if shouldLogIn {
                #expect(result.exit.code == 0 && result.stdout == "unlocked\n", "\(result.summary)")
            } else {
                #expect(result.exit.code == 255, "\(result.summary)")
                #expect(result.stderr.contains("passphrase") || result.stderr.contains("Permission denied"), "\(result.stderr)")
            }
        }
    }

    /// As ssh: an identity file whose key the agent holds is used through the
    /// agent, so its passphrase is never asked.
    @Test func anEncryptedKeyTheAgentHoldsIsNotUnlocked() async throws {
        let files = try FixtureDirectory.create(prefix: "agentenc", traversable: true)
        defer { files.remove() }
        let key = files.file("id_ed25519")
        let made = try await FixtureCommand.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "passphrase", "-a", "4", "-f", key])
        #expect(made.exit.code == 0, "\(made.summary)")
        let fixture = try await SSHDFixture.start()
        defer { fixture.stop() }
        let authorized = try FileHandle(forWritingTo: URL(fileURLWithPath: fixture.directory + "/authorized_keys"))
        try authorized.seekToEnd()
        try authorized.write(contentsOf: Data(try String(contentsOfFile: key + ".pub", encoding: .utf8).utf8))
        try authorized.close()

        let socket = files.file("agent.sock")
        let agent = try await FixtureCommand.run("ssh-agent", ["-a", socket])
        let pid = agent.stdout.components(separatedBy: "SSH_AGENT_PID=").dropFirst().first.flatMap { Int32($0.prefix(while: \.isNumber)) }
        defer { if let pid { kill(pid, SIGKILL) } }
        let marker = files.file("askpass-was-run")
        let askpass = try files.write("askpass", "#!/bin/sh\necho run >> '\(marker)'\necho passphrase\n", mode: 0o700)
        var environment = baseEnvironment()
        environment["SSH_AUTH_SOCK"] = socket
        environment["SSH_ASKPASS"] = askpass
        environment["SSH_ASKPASS_REQUIRE"] = "force"
        environment["DISPLAY"] = ":0"
        let added = try await FixtureCommand.run("ssh-add", ["-q", key], environment: environment)
        #expect(added.exit.code == 0, "\(added.summary)")
        try? FileManager.default.removeItem(atPath: marker)  // ssh-add itself ran askpass

        guard let ferry = FerryCLI.executable else { Issue.record("ferry binary not built"); return }
        let result = try await FixtureCommand.run(
            ferry, ["exec", "-i", key, "-o", "IdentitiesOnly=yes"] + commonArguments(fixture) + ["--", "echo via agent"],
            environment: environment)
        #expect(result.exit.code == 0 && result.stdout == "via agent\n", "\(result.summary)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the passphrase was asked although the agent holds the key")
    }
}
