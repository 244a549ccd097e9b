import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SSHCrypto
import Testing
@_spi(Internals) @testable import SSHCore

/// Lookup over several files, as ssh's check_key_in_hostkeys decides.
@Suite struct KnownHostsLookupTests {
    typealias K = TestHostKeys

    func file(_ path: String, _ lines: String...) -> KnownHostsFile {
        KnownHostsFile(path: path, text: lines.joined(separator: "\n"))
    }

    func at(_ path: String, _ line: Int) -> KnownHostsLocation { KnownHostsLocation(path: path, line: line) }

    @Test func lookupNamesFollowPutHostPort() {
        #expect(KnownHosts.lookupName(host: "Example.COM", port: 22) == "example.com")
        #expect(KnownHosts.lookupName(host: "example.com", port: 2222) == "[example.com]:2222")
        #expect(KnownHosts.lookupName(host: "::1", port: 2222) == "[::1]:2222")
        #expect(KnownHosts.lookupName(host: "::1", port: 22) == "::1")
        #expect(KnownHosts.lookupName(host: "example.com", port: 2222, hostKeyAlias: "Backup") == "backup")
    }

    /// ssh's order_hostkeyalgs: key types on record for the host come first.
    @Test func knownKeyTypesArePreferred() {
        let defaults = AlgorithmPreferences.defaultHostKey
        let known = KnownHosts(userFiles: [file("/u",
            "[a.example]:2222 \(K.rsaD)",
            "@revoked [b.example]:2222 \(K.rsaD)",
            "c.example \(K.rsaD)")])
        #expect(known.preferringKnownKeyTypes(defaults, host: "a.example", port: 2222)
                == ["rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"])
        #expect(known.preferringKnownKeyTypes(defaults, host: "b.example", port: 2222) == defaults, "a revoked line is no preference")
        #expect(known.preferringKnownKeyTypes(defaults, host: "c.example", port: 2222) == defaults, "another port's key is not looked at")
        #expect(known.preferringKnownKeyTypes(defaults, host: "d.example", port: 22) == defaults)
        #expect(known.preferringKnownKeyTypes(defaults, host: "x", port: 1, hostKeyAlias: "c.example").first == "rsa-sha2-512")
    }

    @Test func matchChangedUnknownRevokedInOneFile() throws {
        let known = KnownHosts(userFiles: [file("/u",
            "a.example \(K.ed25519A)",
            "a.example \(K.rsaD)",
            "@revoked * \(K.ed25519C)",
            "c.example \(K.ed25519C)")])
        #expect(known.status(of: try K.key(K.ed25519A), for: "a.example") == .match(at("/u", 1)))
        #expect(known.status(of: try K.key(K.rsaD), for: "a.example") == .match(at("/u", 2)))
        // A different Ed25519 key: changed, naming the last differing line (as ssh does).
        let changed = known.status(of: try K.key(K.ed25519B), for: "a.example")
        #expect(changed == .changed(keyType: .ed25519, previous: at("/u", 2), previousKey: try K.key(K.rsaD)))
        #expect(known.status(of: try K.key(K.ed25519B), for: "b.example") == .unknown)
        // Revoked wins even over a matching line.
        #expect(known.status(of: try K.key(K.ed25519C), for: "c.example") == .revoked(at("/u", 3)))
        #expect(known.status(of: try K.key(K.ed25519C), for: "b.example") == .revoked(at("/u", 3)))
    }

    @Test func aKeyOfAnotherTypeOnRecordIsAChangeAsInOpenSSH() throws {
        // Verified against ssh 9.2: with only an RSA key on record and an
        // Ed25519 key offered, ssh prints "REMOTE HOST IDENTIFICATION HAS
        // CHANGED … Offending RSA key" and refuses under strict checking.
        let known = KnownHosts(userFiles: [file("/u", "host \(K.rsaD)")])
        let status = known.status(of: try K.key(K.ed25519A), for: "host")
        #expect(status == .changed(keyType: .ed25519, previous: at("/u", 1), previousKey: try K.key(K.rsaD)))
        #expect(status.isKeyTypeChange)
        let sameType = known.status(of: try K.key(K.rsaE), for: "host")
        #expect(!sameType.isKeyTypeChange)
    }

    @Test func revokedLinesApplyOnlyToTheHostsTheyList() throws {
        let known = KnownHosts(userFiles: [file("/u",
            "@revoked other.example \(K.ed25519A)",
            "host.example \(K.ed25519A)")])
        #expect(known.status(of: try K.key(K.ed25519A), for: "host.example") == .match(at("/u", 2)))
        #expect(known.status(of: try K.key(K.ed25519A), for: "other.example") == .revoked(at("/u", 1)))
    }

    @Test func certAuthorityLinesAreNotHostKeys() throws {
        let known = KnownHosts(userFiles: [file("/u", "@cert-authority *.example \(K.ed25519A)")])
        #expect(known.status(of: try K.key(K.ed25519A), for: "h.example") == .unknown)
        #expect(known.status(of: try K.key(K.ed25519B), for: "h.example") == .unknown)
        #expect(known.entries(matching: "h.example").map(\.marker) == [.certAuthority])
    }

    @Test func negationExcludesALineEvenWhenAnotherPatternMatches() throws {
        let known = KnownHosts(userFiles: [file("/u", "*.example,!bad.example \(K.ed25519A)")])
        #expect(known.status(of: try K.key(K.ed25519A), for: "good.example") == .match(at("/u", 1)))
        #expect(known.status(of: try K.key(K.ed25519B), for: "bad.example") == .unknown)
    }

    @Test func userFilesThenGlobalFilesAndAnyMatchingLineWins() throws {
        let user1 = file("/u1", "host \(K.ed25519B)")
        let user2 = file("/u2", "# nothing")
        let global1 = file("/g1", "host \(K.ed25519A)")
        let global2 = file("/g2", "host \(K.ed25519C)")
        let known = KnownHosts(userFiles: [user1, user2], globalFiles: [global1, global2])
        #expect(known.files.map(\.path) == ["/u1", "/u2", "/g1", "/g2"])
        #expect(known.entries(matching: "host").map(\.location) == [at("/u1", 1), at("/g1", 1), at("/g2", 1)])
        // The stale user line does not hide the right key in the global file.
        #expect(known.status(of: try K.key(K.ed25519A), for: "host") == .match(at("/g1", 1)))
        #expect(known.status(of: try K.key(K.ed25519B), for: "host") == .match(at("/u1", 1)))
        // No file has it: changed, naming the last line consulted.
        #expect(known.status(of: try K.key(K.rsaD), for: "host")
            == .changed(keyType: .rsa, previous: at("/g2", 1), previousKey: try K.key(K.ed25519C)))
        // A revocation in a global file applies to a key the user file accepts.
        let revoking = KnownHosts(userFiles: [user1], globalFiles: [file("/g", "@revoked host \(K.ed25519B)")])
        #expect(revoking.status(of: try K.key(K.ed25519B), for: "host") == .revoked(at("/g", 1)))
    }

    @Test func hostKeyAliasReplacesTheName() throws {
        let known = KnownHosts(userFiles: [file("/u",
            "backup \(K.ed25519A)",
            "[real.example]:2222 \(K.ed25519B)")])
        let a = try K.key(K.ed25519A)
        #expect(known.status(of: a, host: "real.example", port: 2222, hostKeyAlias: "backup") == .match(at("/u", 1)))
        #expect(known.status(of: a, host: "anything", port: 22, hostKeyAlias: "BACKUP") == .match(at("/u", 1)))
        // Without the alias, the real name's key is what counts.
        #expect(known.status(of: a, host: "real.example", port: 2222)
            == .changed(keyType: .ed25519, previous: at("/u", 2), previousKey: try K.key(K.ed25519B)))
        #expect(known.status(of: try K.key(K.ed25519B), host: "real.example", port: 2222, hostKeyAlias: "other") == .unknown)
    }

    @Test func aKeyRecordedForPort22IsAcceptedForAnotherPortWithNothingOnRecord() throws {
        let known = KnownHosts(userFiles: [file("/u", "host \(K.ed25519A)", "@revoked host \(K.ed25519C)")])
        #expect(known.status(of: try K.key(K.ed25519A), host: "host", port: 2222) == .match(at("/u", 1)))
        // A different key under the bare name is no change for port 2222…
        #expect(known.status(of: try K.key(K.ed25519B), host: "host", port: 2222) == .unknown)
        // …but a revocation there still applies.
        #expect(known.status(of: try K.key(K.ed25519C), host: "host", port: 2222) == .revoked(at("/u", 2)))
        // Not with an alias, and not when the port has its own entry.
        #expect(known.status(of: try K.key(K.ed25519A), host: "host", port: 2222, hostKeyAlias: "alias") == .unknown)
        let withPort = KnownHosts(userFiles: [file("/u", "host \(K.ed25519A)", "[host]:2222 \(K.ed25519B)")])
        #expect(withPort.status(of: try K.key(K.ed25519A), host: "host", port: 2222)
            == .changed(keyType: .ed25519, previous: at("/u", 2), previousKey: try K.key(K.ed25519B)))
    }

    @Test func malformedLinesAreSkippedWithoutHidingOthers() throws {
        // A one-byte Ed25519 key: good Base64, bad key — found only when built.
        let shortKey = Base64.encode([0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 1, 0])
        let known = KnownHosts(userFiles: [file("/u",
            "host ssh-ed25519 AAAA###",
            "host frobnicate AAAA",
            "@what host \(K.ed25519B)",
            "host ssh-ed25519 \(shortKey)",
            "host \(K.ed25519A)")])
        #expect(known.status(of: try K.key(K.ed25519A), for: "host") == .match(at("/u", 5)))
        // The invalid key is no "key on record": as for ssh, the host is new.
        let onlyInvalid = KnownHosts(userFiles: [file("/u", "host ssh-ed25519 \(shortKey)")])
        #expect(onlyInvalid.status(of: try K.key(K.ed25519A), for: "host") == .unknown)
        #expect(known.userFiles[0].skippedLines.map(\.location.line) == [1, 2, 3, 4])
        #expect(known.userFiles[0].entries.map(\.location.line) == [5])
    }

    @Test func loadingTreatsMissingFilesAsEmptyAndReportsUnreadableOnes() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try writeFile("host \(K.ed25519A)\n", named: "kh", in: directory)
        let missing = directory.appendingPathComponent("missing").path
        let notAFile = directory.path
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // The FIFO has no writer: opening it must neither hang nor count as a file.
        let known = KnownHosts.load(userFiles: [missing, good], globalFiles: [notAFile, "/dev/null", fifo])
        #expect(known.userFiles.map(\.exists) == [false, true])
        #expect(known.loadErrors.count == 2)
        #expect(known.loadErrors.allSatisfy { $0.message.contains("is not a regular file") })
        #expect(known.loadErrors.first?.code == .io)
        #expect(known.status(of: try K.key(K.ed25519A), for: "host") == .match(KnownHostsLocation(path: good, line: 1)))
    }
}
