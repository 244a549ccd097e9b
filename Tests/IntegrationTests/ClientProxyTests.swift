import Foundation
import Testing

/// ProxyJump (`-J`, two hops deep) and ProxyCommand (with OpenSSH's
/// `ssh -W %h:%p`), through the CLI against three sshd fixtures. Each hop is
/// verified against known_hosts and authenticated as its own host.
@Suite("ProxyJump and ProxyCommand")
struct ClientProxyTests {
    /// A config that gives every hop the fixtures' key and known_hosts, with
    /// strict checking, as a user's ~/.ssh/config would.
    func writeConfig(_ fixtures: [SSHDFixture], in directory: FixtureDirectory) throws -> String {
        let knownHosts = fixtures.map(\.knownHosts).joined(separator: "\n")
        let knownHostsPath = try directory.write("known_hosts", knownHosts + "\n", mode: 0o600)
        let config = """
            Host *
              User \(fixtures[0].user)
              IdentityFile \(fixtures[0].clientKeyPath)
              UserKnownHostsFile \(knownHostsPath)
              StrictHostKeyChecking yes
              BatchMode yes
            """
        return try directory.write("config", config + "\n", mode: 0o600)
    }

    @Test func proxyJumpTwoHopsDeep() async throws {
        let first = try await SSHDFixture.start()
        defer { first.stop() }
        let second = try await SSHDFixture.start()
        defer { second.stop() }
        let target = try await SSHDFixture.start()
        defer { target.stop() }
        let files = try FixtureDirectory.create(prefix: "proxyjump", traversable: true)
        defer { files.remove() }
        let config = try writeConfig([first, second, target], in: files)
        let jumps = "127.0.0.1:\(first.port),127.0.0.1:\(second.port)"
        let result = try await FerryCLI.run(["exec", "-F", config, "-J", jumps, "-P", String(target.port), "127.0.0.1",
                                             "--", "echo arrived; echo $SSH_CONNECTION"])
        #expect(result.exit.code == 0, "\(result.summary)\n--- first ---\n\(first.log)\n--- second ---\n\(second.log)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "arrived")
        // The target saw the connection come from the second hop's relay, on its own port.
        #expect(lines.count == 2 && lines[1].hasSuffix(" \(target.port)"), "\(result.stdout)")
        // Each hop authenticated the test account on its own.
        #expect(first.log.contains("Accepted publickey for \(first.user)"))
        #expect(second.log.contains("Accepted publickey for \(second.user)"))
        #expect(target.log.contains("Accepted publickey for \(target.user)"))
    }

    @Test func proxyJumpRefusesAnUnknownHop() async throws {
        let jump = try await SSHDFixture.start()
        defer { jump.stop() }
        let target = try await SSHDFixture.start()
        defer { target.stop() }
        let files = try FixtureDirectory.create(prefix: "proxyjump-unknown", traversable: true)
        defer { files.remove() }
        // known_hosts lists only the target: the jump host is unknown.
        let config = try writeConfig([target], in: files)
        let result = try await FerryCLI.run(["exec", "-F", config, "-J", "127.0.0.1:\(jump.port)", "-P", String(target.port),
                                             "127.0.0.1", "--", "true"])
        #expect(result.exit.code == 255, "\(result.summary)")
        #expect(!target.log.contains("Accepted publickey"), "the target must not be reached through an unverified hop")
    }

    @Test func proxyCommandWithOpenSSHW() async throws {
        let jump = try await SSHDFixture.start()
        defer { jump.stop() }
        let target = try await SSHDFixture.start()
        defer { target.stop() }
        let files = try FixtureDirectory.create(prefix: "proxycommand", traversable: true)
        defer { files.remove() }
        let config = try writeConfig([jump, target], in: files)
        let proxy = "ssh -F \(config) -p \(jump.port) -W %h:%p 127.0.0.1"
        let result = try await FerryCLI.run(["exec", "-F", config, "-o", "ProxyCommand=\(proxy)", "-P", String(target.port),
                                             "127.0.0.1", "--", "echo via proxy"])
        #expect(result.exit.code == 0 && result.stdout == "via proxy\n", "\(result.summary)")
        #expect(jump.log.contains("Accepted publickey"))
    }

    @Test func proxyCommandThatFailsIsAClearError() async throws {
        let result = try await FerryCLI.run(["exec", "-F", "none", "-o", "ProxyCommand=exit 1", "-o", "BatchMode=yes",
                                             "127.0.0.1", "--", "true"])
        #expect(result.exit.code == 255, "\(result.summary)")
        #expect(result.stderr.contains("ferry:"), "\(result.stderr)")
    }
}
