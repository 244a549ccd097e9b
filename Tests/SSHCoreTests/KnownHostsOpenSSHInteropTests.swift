import Foundation
import SSHCrypto
import Testing
@_spi(Internals) @testable import SSHCore

/// Proof against the reference implementation: we read what OpenSSH writes
/// (`ssh-keygen -H`), we agree with its lookup (`ssh-keygen -F`), and it
/// reads what we write. A missing ssh-keygen fails these tests.
@Suite struct KnownHostsOpenSSHInteropTests {
    typealias K = TestHostKeys

    /// The keys our lookup finds for `name`, as line texts' keys.
    func keys(_ file: KnownHostsFile, _ name: String) -> Set<[UInt8]> {
        Set(file.entries(matching: name).filter { $0.marker == .none }.map(\.key.blob))
    }

    @Test func namesHashedBySSHKeygenStillMatch() throws {
        try requireSSHKeygen()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = """
            host1,Host2.Example.COM,192.0.2.7 \(K.ed25519A)
            [host3]:2222,[192.0.2.8]:2222 \(K.rsaD) comment here
            host4 \(K.ecdsaP256)
            *.wild.example \(K.ecdsaP384)
            @revoked host1 \(K.ed25519C)
            [2001:db8::1]:2200 \(K.ecdsaP521)
            2001:db8::2 \(K.ed25519B)

            """
        let path = try writeFile(plain, named: "known_hosts", in: directory)
        let before = KnownHostsFile(path: path, text: plain)

        let result = try runTool("ssh-keygen", ["-H", "-f", path])
        #expect(result.status == 0, "ssh-keygen -H failed: \(result.errorText)")
        let hashed = try KnownHostsFile.load(path: path)
        #expect(hashed.skippedLines.isEmpty)
        // ssh-keygen split the lists and hashed every name without a wildcard or marker.
        #expect(hashed.entries.filter(\.isHashed).count == 8)

        let names = ["host1", "host2.example.com", "192.0.2.7", "[host3]:2222", "[192.0.2.8]:2222", "host4",
                     "a.wild.example", "[2001:db8::1]:2200", "2001:db8::2", "host3", "unknown"]
        for name in names {
            #expect(keys(hashed, name) == keys(before, name), "lookup of \(name) changed after ssh-keygen -H")
        }
        #expect(!keys(hashed, "host1").isEmpty)
        #expect(!keys(hashed, "[host3]:2222").isEmpty)
        // The revocation line stays plain and still applies.
        let revokedLine = try #require(hashed.entries.first { $0.marker == .revoked })
        #expect(revokedLine.hostField == "host1")
        let knownHosts = KnownHosts(userFiles: [hashed])
        #expect(knownHosts.status(of: try K.key(K.ed25519C), for: "host1") == .revoked(revokedLine.location))
    }

    @Test func sshKeygenFindAgreesWithOurLookup() throws {
        try requireSSHKeygen()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        // Hashed lines made by OpenSSH and by us, then a corpus of patterns.
        let toHash = try writeFile("alpha.example.com,[alpha.example.com]:2022 \(K.ed25519A)\n", named: "tohash", in: directory)
        #expect(try runTool("ssh-keygen", ["-H", "-f", toHash]).status == 0)
        let opensshHashed = String(decoding: try Data(contentsOf: URL(fileURLWithPath: toHash)), as: UTF8.self)
        let ourHashed = try KnownHostsWriter.lines(names: ["beta.example.com", "[beta.example.com]:2022"], key: try K.key(K.rsaD), hashed: true)

        let corpus = opensshHashed + ourHashed.joined(separator: "\n") + "\n" + """
            # patterns
            *.example.com,!bad.example.com \(K.ed25519B)
            !good.example.com,*.example.com \(K.ecdsaP256)
            host?.example.org \(K.ed25519C)
            h*t.example.org \(K.rsaE)
            [*.example.net]:* \(K.ecdsaP384)
            [gamma.example.net]:2222 \(K.ecdsaP521)
            gamma.example.net \(K.ed25519A)
            GAMMA.EXAMPLE.NET \(K.ed25519B)
            192.0.2.*,!192.0.2.66 \(K.ed25519C)
            @revoked * \(K.rsaE)
            @cert-authority *.example.org \(K.ed25519B)
            2001:db8::* \(K.ed25519A)
            [2001:db8::5]:2200 \(K.ed25519B)

            """
        let path = try writeFile(corpus, named: "known_hosts", in: directory)
        let file = try KnownHostsFile.load(path: path)
        #expect(file.skippedLines.isEmpty)

        let names = [
            "alpha.example.com", "[alpha.example.com]:2022", "beta.example.com", "[beta.example.com]:2022",
            "bad.example.com", "good.example.com", "other.example.com", "example.com",
            "host1.example.org", "host12.example.org", "hot.example.org", "host.example.org",
            "[gamma.example.net]:2222", "[delta.example.net]:22", "gamma.example.net", "[gamma.example.net]:2223",
            "192.0.2.1", "192.0.2.66", "192.0.2.166", "2001:db8::5", "[2001:db8::5]:2200", "nothing",
        ]
        for name in names {
            let openssh = try sshKeygenFoundLines(name, file: path)
            let ours = file.entries(matching: name).map(\.location.line)
            #expect(ours == openssh.lines, "ssh-keygen -F \(name): OpenSSH lines \(openssh.lines), ours \(ours)")
            #expect((openssh.status == 0) == !ours.isEmpty, "ssh-keygen -F \(name) exit status \(openssh.status)")
        }
    }

    @Test func sshKeygenFindsTheEntriesWeWrite() throws {
        try requireSSHKeygen()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("known_hosts").path
        let key = try K.key(K.ed25519A)
        let rsa = try K.key(K.rsaD)

        let cases: [(host: String, port: Int, alias: String?, hashed: Bool, key: SSHPublicKey, query: String)] = [
            ("127.0.0.1", 2222, nil, false, key, "[127.0.0.1]:2222"),
            ("127.0.0.1", 2222, nil, true, rsa, "[127.0.0.1]:2222"),
            ("Plain.Example.COM", 22, nil, false, key, "plain.example.com"),
            ("hashed.example.com", 22, nil, true, rsa, "hashed.example.com"),
            ("whatever", 2200, "MyAlias", false, key, "myalias"),
            ("whatever", 2200, "hashed-alias", true, key, "hashed-alias"),
            ("::1", 2222, nil, true, key, "[::1]:2222"),
        ]
        // The file starts without a final newline: appending must not glue lines.
        try Data("# no newline at the end".utf8).write(to: URL(fileURLWithPath: path))
        for item in cases {
            let line = try KnownHostsWriter.line(host: item.host, port: item.port, hostKeyAlias: item.alias,
                                                 key: item.key, hashed: item.hashed)
            try KnownHostsWriter.append([line], to: path)
        }
        let written = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(written.hasPrefix("# no newline at the end\n"))
        #expect(written.hasSuffix("\n"))

        for (index, item) in cases.enumerated() {
            let lineNumber = index + 2
            let found = try sshKeygenFoundLines(item.query, file: path)
            #expect(found.status == 0, "ssh-keygen -F \(item.query) did not find our entry: \(found.errorText)")
            #expect(found.lines.contains(lineNumber), "ssh-keygen -F \(item.query) found lines \(found.lines), expected \(lineNumber)")
            let ours = try KnownHostsFile.load(path: path)
            #expect(ours.entries(matching: item.query).contains { $0.location.line == lineNumber && $0.key == item.key })
        }
        // And with the fingerprint ssh-keygen prints for the line.
        let listing = try runTool("ssh-keygen", ["-l", "-F", "[127.0.0.1]:2222", "-f", path])
        #expect(listing.output.contains(key.fingerprintSHA256))
        #expect(listing.output.contains(rsa.fingerprintSHA256))
        // Nothing we wrote is a plain entry for port 22 of 127.0.0.1.
        #expect(try sshKeygenFoundLines("127.0.0.1", file: path).lines.isEmpty)
    }
}
