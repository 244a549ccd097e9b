import Foundation
@_spi(Internals) import SSHCore
import SSHCrypto
import Testing

/// User certificates against a real sshd that trusts a test CA
/// (`TrustedUserCAKeys`) and has no authorized_keys line for the key: the
/// certificate is what gets ferry in, and the bare key alone is refused.
@Suite struct ClientCertificateTests {
    /// Runs ssh-keygen (a missing one fails the test).
    static func keygen(_ arguments: [String]) async throws {
        let result = try await FixtureCommand.run("/usr/bin/ssh-keygen", arguments, timeout: .seconds(60))
        #expect(result.succeeded, "ssh-keygen \(arguments.joined(separator: " ")): \(result.stderr)")
    }

    @Test(arguments: [["-t", "ed25519"], ["-t", "rsa", "-b", "2048"], ["-t", "ecdsa", "-b", "384"]])
    func certificateAuthenticates(_ keyArguments: [String]) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-cert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let user = try await TestAccount.prepare().name

        try await Self.keygen(["-q", "-t", "ed25519", "-N", "", "-f", directory + "/ca"])
        try await Self.keygen(["-q"] + keyArguments + ["-N", "cert test pass", "-a", "4", "-f", directory + "/key"])
        try await Self.keygen(["-q", "-s", directory + "/ca", "-I", "ferry-cert-test", "-n", user, "-V", "+1h",
                               directory + "/key.pub"])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/ca.pub")

        let fixture = try await SSHDFixture.start(extraConfig: ["TrustedUserCAKeys \(directory)/ca.pub"])
        defer { fixture.stop() }

        let asked = Counter()
        let (identities, skipped) = await IdentityFiles.load(explicit: [directory + "/key"], passphrase: { _ in
            asked.increment()
            return SecureBytes(Array("cert test pass".utf8))
        })
        #expect(skipped.isEmpty, "\(skipped.map(\.reason))")
        #expect(asked.value == 1)
        #expect(identities.count == 2)
        let certified = try #require(identities.first)
        let certificate = try #require(certified.certificate)
        #expect(identities.last?.certificate == nil)

        var configuration = try FerryClient.configuration(for: fixture)
        configuration.credentials = [certified.credential]
        let client = try await SSHClient.connect(configuration)
        let result = try await client.exec("echo certified", timeout: .seconds(20))
        #expect(result.stdout == Array("certified\n".utf8))
        await client.close()

        // The same key without its certificate is not authorized.
        configuration.credentials = [.publicKey(certified.key)]
        await #expect(throws: SSHError.self) { _ = try await SSHClient.connect(configuration) }
        #expect(certificate.principals == [user])
    }
}

/// Counter counts calls from @Sendable closures.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
