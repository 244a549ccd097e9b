import Foundation
@_spi(Internals) import SSHCore
import SSHCrypto
import Testing

// Host key checking against a real sshd, through the CLI (`ferry exec -o
// StrictHostKeyChecking=… -o UserKnownHostsFile=…`) and through the library
// (`HostKeyVerifier` as SSHClient's verifyHostKey): a changed key is refused
// with a message naming it, accept-new records an entry OpenSSH's ssh then
// trusts, and strict checking refuses an unknown host.

/// known_hosts text for `fixture` holding `keys` (fixture keys) for its
/// "[127.0.0.1]:port" name, after a comment line.
private func knownHosts(for fixture: some SSHServerFixture, keys: [SSHPublicKey]) -> String {
    "# ferry test: line 1 is this comment\n" + knownHostsText(host: fixture.host, port: fixture.port, keys: keys)
}

/// A fresh Ed25519 key that is not the server's.
private func impostorKey() async throws -> SSHPublicKey {
    try await KeyMaterial.generate(.ed25519, by: .sshKeygen).publicKey
}

/// The options that point ferry's CLI at `file` with `mode`.
private func hostKeyOptions(_ file: String, _ mode: String) -> [String] {
    ["-o", "StrictHostKeyChecking=\(mode)", "-o", "UserKnownHostsFile=\(file)"]
}

@Suite("host key checking against sshd")
struct ClientHostKeyTests {
    // MARK: CLI

    @Test("CLI: a different key on record is refused with exit 255, naming type, fingerprint and file:line")
    func cliChangedKey() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "hostkeys")
        defer { scratch.remove() }
        let file = try scratch.write("known_hosts", knownHosts(for: sshd, keys: [try await impostorKey()]))
        let before = scratch.read("known_hosts")
        let served = try ferryHostKey(sshd, .ed25519)

        let result = try await FerryCLI.exec(["echo", "should-not-run"], on: sshd, options: hostKeyOptions(file, "yes"))
        #expect(result.exit.code == 255 && !result.exit.signaled && result.stdout.isEmpty, "\(result.summary)")
        #expect(result.stderr.contains("ssh-ed25519") || result.stderr.contains("ED25519"), "key type: \(result.stderr)")
        #expect(result.stderr.contains(served.fingerprintSHA256), "fingerprint \(served.fingerprintSHA256): \(result.stderr)")
        #expect(result.stderr.contains("\(file):2"), "file:line \(file):2: \(result.stderr)")
        #expect(result.stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"), "\(result.stderr)")
        // accept-new does not accept a changed key either.
        let acceptNew = try await FerryCLI.exec(["true"], on: sshd, options: hostKeyOptions(file, "accept-new"))
        #expect(acceptNew.exit.code == 255, "\(acceptNew.summary)")
        #expect(scratch.read("known_hosts") == before, "known_hosts must not be modified")
        #expect(!sshd.log.contains("Accepted publickey"), "ferry must not authenticate to an untrusted server")
    }

    @Test("CLI: accept-new records the key in an empty known_hosts; OpenSSH's ssh then trusts it strictly",
          arguments: [false, true])
    func cliAcceptNew(hashed: Bool) async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "hostkeys")
        defer { scratch.remove() }
        let file = try scratch.write("known_hosts", "")

        let first = try await FerryCLI.exec(["echo", "first"], on: sshd,
                                            options: hostKeyOptions(file, "accept-new") + ["-o", "HashKnownHosts=\(hashed ? "yes" : "no")"])
        #expect(first.succeeded && first.stdout == "first\n", "\(first.summary)")
        let recorded = scratch.read("known_hosts") ?? ""
        let lines = recorded.split(separator: "\n")
        #expect(lines.count == 1, "one entry: \(recorded)")
        if hashed {
            #expect(recorded.hasPrefix("|1|"), "hashed entry: \(recorded)")
        } else {
            #expect(recorded.hasPrefix("[127.0.0.1]:\(sshd.port) "), "entry names [127.0.0.1]:port: \(recorded)")
        }
        // The recorded key is one the server really has.
        let recordedKey = try SSHCrypto.SSHPublicKey(openSSHLine: String(lines.first?.split(separator: " ").dropFirst().joined(separator: " ") ?? ""))
        #expect(sshd.hostKeys.contains { $0.blob == recordedKey.blob })

        // ssh negotiates the recorded key type (it prefers known ones) and accepts it.
        let ssh = try await OpenSSHClient.run("echo trusted", on: sshd,
                                              options: ["-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(file)",
                                                        "-o", "HostKeyAlgorithms=\(recordedKey.keyType)"])
        #expect(ssh.succeeded && ssh.stdout == "trusted\n", "\(ssh.summary)")
        // And ferry, now strict, accepts it too.
        let again = try await FerryCLI.exec(["echo", "again"], on: sshd, options: hostKeyOptions(file, "yes"))
        #expect(again.succeeded && again.stdout == "again\n", "\(again.summary)")
        #expect(scratch.read("known_hosts") == recorded, "nothing more is recorded")
    }

    @Test("CLI: StrictHostKeyChecking=yes refuses an unknown host with exit 255")
    func cliStrictUnknown() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "hostkeys")
        defer { scratch.remove() }
        let file = try scratch.write("known_hosts", "")
        let served = try ferryHostKey(sshd, .ed25519)
        let result = try await FerryCLI.exec(["echo", "should-not-run"], on: sshd, options: hostKeyOptions(file, "yes"))
        #expect(result.exit.code == 255 && result.stdout.isEmpty, "\(result.summary)")
        #expect(result.stderr.contains("not known") && result.stderr.contains(served.fingerprintSHA256), "\(result.stderr)")
        #expect(scratch.read("known_hosts") == "", "strict checking records nothing")
    }

    // MARK: Library

    @Test("HostKeyVerifier: changed key refused, accept-new records, yes refuses unknown")
    func verifier() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "hostkeys")
        defer { scratch.remove() }
        let served = try ferryHostKey(sshd, .ed25519)

        func connect(_ mode: StrictHostKeyChecking, file: String) async throws -> SSHClient {
            let verifier = HostKeyVerifier(policy: HostKeyPolicy(
                strictHostKeyChecking: mode, userKnownHostsFiles: [file], globalKnownHostsFiles: [],
                hashKnownHosts: false, homeDirectory: scratch.path))
            var configuration = try FerryClient.configuration(for: sshd)
            let (host, port) = (sshd.host, sshd.port)
            configuration.verifyHostKey = { key in _ = try await verifier.verify(key, host: host, port: port) }
            return try await SSHClient.connect(configuration)
        }

        // Changed.
        let changed = try scratch.write("changed", knownHosts(for: sshd, keys: [try await impostorKey()]))
        for mode in [StrictHostKeyChecking.yes, .acceptNew, .ask] {
            do {
                let client = try await connect(mode, file: changed)
                await client.close()
                Issue.record("\(mode): connected to a server whose key changed")
            } catch let error as SSHError {
                expectConnectFailure(error, .hostKeyRejected,
                                     containing: [served.fingerprintSHA256, "\(changed):2", "ssh-ed25519"], "\(mode)")
            }
        }

        // Unknown, strict.
        let empty = try scratch.write("empty", "")
        do {
            let client = try await connect(.yes, file: empty)
            await client.close()
            Issue.record("yes: connected to an unknown host")
        } catch let error as SSHError {
            expectConnectFailure(error, .hostKeyRejected, containing: [served.fingerprintSHA256], "yes, unknown host")
        }
        #expect(scratch.read("empty") == "")

        // Unknown, accept-new: recorded, and then trusted strictly.
        let client = try await connect(.acceptNew, file: empty)
        await expectProbe(client, "accept-new")
        await client.close()
        #expect(scratch.read("empty") == "[127.0.0.1]:\(sshd.port) \(served.keyType) \(Base64.encode(served.blob))\n",
                "\(scratch.read("empty") ?? "")")
        let strict = try await connect(.yes, file: empty)
        await expectProbe(strict, "strict after accept-new")
        await strict.close()
        let ssh = try await OpenSSHClient.run("true", on: sshd, options: [
            "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(empty)", "-o", "HostKeyAlgorithms=ssh-ed25519"])
        #expect(ssh.succeeded, "\(ssh.summary)")
    }

    @Test("CLI: with only the server's RSA key on record, ferry (like ssh) negotiates RSA and connects")
    func cliPrefersKnownKeyType() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "hostkeys")
        defer { scratch.remove() }
        let rsa = try #require(sshd.hostKeys.first { $0.keyTypeName == "ssh-rsa" })
        let file = try scratch.write("known_hosts", knownHostsText(host: sshd.host, port: sshd.port, keys: [rsa]))
        let options = ["-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(file)"]
        let ssh = try await OpenSSHClient.run("echo ssh", on: sshd, options: options)
        #expect(ssh.succeeded, "OpenSSH's ssh: \(ssh.summary)")
        let ferry = try await FerryCLI.exec(["echo", "ferry"], on: sshd, options: options + ["-v"])
        #expect(ferry.succeeded && ferry.stdout == "ferry\n", "\(ferry.summary)")
        #expect(ferry.stderr.contains("host key rsa-sha2-512"), "negotiated the known type: \(ferry.stderr)")
    }
}
