import Foundation
@_spi(Internals) import SSHCore
import SSHCrypto
import Locking
import Testing

/// IdentityFiles: passphrases are asked only for encrypted files and asked
/// again after a wrong one; a declined or failed key is reported, not
/// fatal; certificates beside a key or named as CertificateFile come first.
@Suite struct IdentityFilesTests {
    static let pass = "identity pass"

    /// A directory with `plain` (unencrypted ed25519), `locked` (encrypted
    /// ecdsa) and a CA that signed `plain.pub` into `plain-cert.pub`.
    static func makeKeys() throws -> URL {
        try requireSSHKeygen()
        let dir = try makeTemporaryDirectory()
        func keygen(_ arguments: [String]) throws {
            let result = try runTool("ssh-keygen", ["-q"] + arguments)
            #expect(result.status == 0, "ssh-keygen \(arguments): \(result.errorText)")
        }
        try keygen(["-t", "ed25519", "-N", "", "-f", dir.path + "/plain"])
        try keygen(["-t", "ecdsa", "-N", pass, "-a", "2", "-f", dir.path + "/locked"])
        try keygen(["-t", "ed25519", "-N", "", "-f", dir.path + "/ca"])
        try keygen(["-s", dir.path + "/ca", "-I", "id", "-n", "me", dir.path + "/plain.pub"])
        try keygen(["-s", dir.path + "/ca", "-I", "id", "-n", "me", dir.path + "/locked.pub"])
        return dir
    }

    /// A provider that answers from `answers` in turn and records the paths asked about.
    final class Provider: Sendable {
        let asked = Locked<[String]>([])
        let answers: [String?]
        init(_ answers: [String?]) { self.answers = answers }
        var callback: IdentityFiles.PassphraseProvider {
            { path in
                let index = self.asked.withLock { $0.append(path); return $0.count - 1 }
                guard index < self.answers.count, let answer = self.answers[index] else { return nil }
                return SecureBytes(Array(answer.utf8))
            }
        }
    }

    @Test func asksOnlyForEncryptedFilesAndRetries() async throws {
        let dir = try Self.makeKeys()
        defer { try? FileManager.default.removeItem(at: dir) }
        let provider = Provider(["wrong one", Self.pass])
        let (identities, skipped) = await IdentityFiles.load(
            explicit: [dir.path + "/plain", dir.path + "/locked"], passphrase: provider.callback)
        #expect(skipped.isEmpty, "\(skipped.map(\.reason))")
        #expect(provider.asked.withLock { $0 } == [dir.path + "/locked", dir.path + "/locked"])
        // plain: certificate first, then bare; locked: certificate, then bare.
        #expect(identities.map(\.path) == [dir.path + "/plain", dir.path + "/plain", dir.path + "/locked", dir.path + "/locked"])
        #expect(identities.map { $0.certificate != nil } == [true, false, true, false])
        #expect(identities[2].key.type == .ecdsaP256)
    }

    @Test func wrongPassphrasesUpToTheLimitThenDeclineAreReported() async throws {
        let dir = try Self.makeKeys()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stubborn = Provider(["no", "still no", "never"])
        var result = await IdentityFiles.load(explicit: [dir.path + "/locked"], passphrase: stubborn.callback,
                                              maxPassphraseAttempts: 2)
        #expect(result.identities.isEmpty)
        #expect(stubborn.asked.withLock { $0.count } == 2)
        #expect(result.skipped.count == 1)
        #expect(result.skipped.first?.reason.contains("passphrase") == true)
        #expect(result.skipped.first?.reason.contains("still no") == false)

        result = await IdentityFiles.load(explicit: [dir.path + "/locked"], passphrase: Provider([nil]).callback)
        #expect(result.identities.isEmpty)
        #expect(result.skipped.first?.reason.contains("no passphrase given") == true)

        result = await IdentityFiles.load(explicit: [dir.path + "/locked"], passphrase: nil)
        #expect(result.identities.isEmpty && result.skipped.count == 1)
        // The synchronous loader reports encrypted keys instead of asking.
        let sync = IdentityFiles.load(explicit: [dir.path + "/locked", dir.path + "/plain"])
        #expect(sync.keys.count == 1 && sync.skipped.count == 1)
    }

    @Test func certificateFilesArePairedWithTheirKeys() async throws {
        let dir = try Self.makeKeys()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        try fm.moveItem(atPath: dir.path + "/plain-cert.pub", toPath: dir.path + "/elsewhere.pub")
        try fm.removeItem(atPath: dir.path + "/locked-cert.pub")
        // A certificate for the other key sits beside `plain`: refused, named.
        try fm.copyItem(atPath: dir.path + "/elsewhere.pub", toPath: dir.path + "/locked-cert.pub")
        try "garbage\n".write(toFile: dir.path + "/broken.pub", atomically: true, encoding: .utf8)
        let (identities, skipped) = await IdentityFiles.load(
            explicit: [dir.path + "/plain", dir.path + "/locked"],
            certificateFiles: [dir.path + "/elsewhere.pub", dir.path + "/broken.pub", dir.path + "/missing.pub"],
            passphrase: Provider([Self.pass]).callback)
        #expect(identities.map { $0.certificate != nil } == [true, false, false])
        let reasons = skipped.map(\.reason)
        #expect(reasons.count == 3, "\(reasons)")
        #expect(reasons.contains { $0.contains("locked-cert.pub") && $0.contains("does not match") })
        #expect(reasons.contains { $0.contains("broken.pub") })
        #expect(reasons.contains { $0.contains("missing.pub") })
    }
}
