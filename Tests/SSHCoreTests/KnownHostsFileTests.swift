import SSHCrypto
import Testing
@_spi(Internals) @testable import SSHCore

/// Parsing of single known_hosts files: every line form, markers, skipped
/// lines, and hostile input.
@Suite struct KnownHostsFileTests {
    typealias K = TestHostKeys

    @Test func parsesPlainListsCommentsAndBlankLinesKeepingLineNumbers() throws {
        let text = """
            # a comment
            host1,host2,192.0.2.7 \(K.ed25519A) my laptop

               \t# indented comment
            [host3]:2222 \(K.rsaD)
            \t  host4 \(K.ecdsaP256)
            """
        let file = KnownHostsFile(path: "/kh", text: text)
        #expect(file.skippedLines.isEmpty)
        #expect(file.entries.map(\.location.line) == [2, 5, 6])
        #expect(file.entries.map(\.location.path) == ["/kh", "/kh", "/kh"])
        let first = try #require(file.entries.first)
        #expect(first.hostField == "host1,host2,192.0.2.7")
        #expect(first.marker == .none)
        #expect(first.key == (try K.key(K.ed25519A)))
        #expect(first.key.comment == "my laptop")
        #expect(first.location.description == "/kh:2")
        #expect(file.entries(matching: "host2").map(\.location.line) == [2])
        #expect(file.entries(matching: "192.0.2.7").map(\.location.line) == [2])
        #expect(file.entries(matching: "host4").map(\.location.line) == [6])
    }

    @Test func bracketedPortEntriesMatchOnlyThatPort() {
        let file = KnownHostsFile(path: "/kh", text: "[host]:2222 \(K.ed25519A)\nhost \(K.ed25519B)\n")
        #expect(file.entries(matching: "[host]:2222").map(\.location.line) == [1])
        #expect(file.entries(matching: "host").map(\.location.line) == [2])
        #expect(file.entries(matching: "[host]:22").isEmpty)
        #expect(file.entries(matching: "[host]:2223").isEmpty)
    }

    @Test func everyKeyTypeParses() throws {
        let text = K.all.enumerated().map { "h\($0.offset) \($0.element)" }.joined(separator: "\n")
        let file = KnownHostsFile(path: "/kh", text: text)
        #expect(file.skippedLines.isEmpty)
        #expect(file.entries.map(\.key.type) == [.ed25519, .ed25519, .ed25519, .rsa, .rsa, .ecdsaP256, .ecdsaP384, .ecdsaP521])
    }

    @Test(arguments: [
        // (patterns, name, matches)
        ("*", "anything.example.com", true),
        ("*.example.com", "a.example.com", true),
        ("*.example.com", "example.com", false),
        ("host?", "host1", true),
        ("host?", "host12", false),
        ("h*t", "host", true),
        ("h*t", "hosts", false),
        ("*.example.com,!bad.example.com", "bad.example.com", false),
        ("*.example.com,!bad.example.com", "good.example.com", true),
        ("!bad.example.com,*.example.com", "bad.example.com", false),
        ("!bad.example.com", "good.example.com", false),
        ("HOST.Example.COM", "host.example.com", true),
        ("host.example.com", "HOST.EXAMPLE.COM", true),
        ("[host]:2222", "[host]:2222", true),
        ("[host]:*", "[host]:2222", true),
        ("192.0.2.*", "192.0.2.77", true),
        ("192.0.2.*,!192.0.2.13", "192.0.2.13", false),
        ("a,,b", "b", true),
        ("**a**", "xxa", true),
        ("*?", "", false),
    ])
    func wildcardsAndNegation(patterns: String, name: String, matches: Bool) {
        let file = KnownHostsFile(path: "/kh", text: "\(patterns) \(K.ed25519A)")
        #expect(file.entries.count == 1)
        #expect(file.entries.first?.matches(name) == matches)
    }

    @Test func aSubpatternTooLongForOpenSSHMatchesNothing() {
        let long = String(repeating: "a", count: 1023)
        #expect(HostPatternList(Array("\(long),host".utf8)).match(Array("host".utf8)) == .none)
        #expect(HostPatternList(Array("host,\(long)".utf8)).match(Array("host".utf8)) == .none)
        #expect(HostPatternList(Array("!host,\(long)".utf8)).match(Array("host".utf8)) == .excluded)
        let fits = String(repeating: "a", count: 1022)
        #expect(HostPatternList(Array("\(fits),host".utf8)).match(Array("host".utf8)) == .matched)
    }

    @Test func hashedNamesMatchTheirHostOnly() throws {
        let salt = [UInt8](repeating: 7, count: 20)
        let field = String(decoding: HashedHostName.encode(name: Array("[host]:2222".utf8), salt: salt), as: UTF8.self)
        #expect(field.hasPrefix("|1|BwcHBwcHBwcHBwcHBwcHBwcHBwc=|"))
        let file = KnownHostsFile(path: "/kh", text: "\(field) \(K.ed25519A)\n")
        let entry = try #require(file.entries.first)
        #expect(entry.isHashed)
        #expect(entry.matches("[host]:2222"))
        #expect(!entry.matches("host"))
        #expect(!entry.matches("[host]:2223"))
        // Hashed fields are one name, not a list or a pattern.
        let listed = KnownHostsFile(path: "/kh", text: "\(field),other \(K.ed25519A)\n")
        #expect(listed.entries.first?.matches("[host]:2222") == false)
        #expect(listed.entries.first?.matches("other") == false)
    }

    @Test func freshHashesUseRandomSalts() throws {
        let one = try HashedHostName.make(name: "host")
        let two = try HashedHostName.make(name: "host")
        #expect(one != two)
        for field in [one, two] {
            let hashed = try #require(HashedHostName(field: Array(field.utf8)))
            #expect(hashed.salt.count == 20)
            #expect(hashed.matches(Array("host".utf8)))
        }
    }

    @Test func markersAreParsedAndKept() throws {
        let text = """
            @revoked * \(K.rsaD)
            @cert-authority *.example.com \(K.ed25519A)
            @cert-authority\t*.example.org\t\(K.ed25519B.replacingOccurrences(of: " ", with: "\t"))
            @bogus host \(K.ed25519C)
            @revoked @revoked host \(K.ed25519C)
            @revoked
            @revoked\thost \(K.ed25519C)
            """
        let file = KnownHostsFile(path: "/kh", text: text)
        #expect(file.entries.map(\.marker) == [.revoked, .certAuthority, .certAuthority])
        #expect(file.entries.map(\.hostField) == ["*", "*.example.com", "*.example.org"])
        // Line 7, "@revoked<TAB>host key…": OpenSSH ends a marker at the
        // first space anywhere on the line (a tab only if there is no space),
        // so the marker word becomes "@revoked<TAB>host" and the line is
        // invalid — `ssh-keygen -F` agrees.
        #expect(file.skippedLines.map(\.location.line) == [4, 5, 6, 7])
        #expect(file.skippedLines.allSatisfy { $0.reason == .invalidMarker })
    }

    @Test func unusableLinesAreSkippedAndReportedButOthersStillCount() throws {
        let text = """
            good1 \(K.ed25519A)
            dss ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7gB00b/JmYLdrmVClpJ+f6AR7ECLCT7up1/63xhv4O1fnxqimFQ8E+4P208UewwI1VBNaFpEy9nXzrith1yrv8iIDGZ3RSAHHAAAAFQCXYFCPFSMLzLKSuYKi64QL8Fgc9QAAAIEA9+GghdabPd7LvKtcNrhXuXmUr7v6OuqC+VdMCz0HgmdRWVeOutRZT+ZxBxCBgLRJFnEj6EwoFhO3zwkyjMim4TwWeotUfI0o4KOuHiuzpnWRbqN/C/ohNWLx+2J6ASQ7zKTxvqhRkImog9/hWuWfBpKLZl6Ae1UlZAFMO/7PSSoAAACBAPPGpIS7wWQvFXYcEy/AJ1cUN1VlcCpjIxLgDTYT4yiIK3hNUUv3cphQWWuM2HFPFWb8XdsXutjzyPC2KusczOw8Ps7+BMdMSUtrdi6D1Ob+Hyfa10FRnfxYsmFJmIGbPmcHHQvsq4XBeCD4r47G0YA0wAzNMUMbsiFH9U00/cZZ
            unknown foo-bar AAAAB3NzaC1kc3MAAACB
            badb64 ssh-ed25519 AAAA!!!not-base64
            mismatch ssh-rsa \(K.ed25519A.split(separator: " ")[1])
            truncated
            hostonly    # comment where the key should be
            |1|notbase64|xyz \(K.ed25519A)
            |2|AAAA|xyz \(K.ed25519A)
            |1|c2hvcnQ=|xyz \(K.ed25519A)
            sk sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIE
            good2 \(K.rsaE)
            """
        let file = KnownHostsFile(path: "/kh", text: text)
        #expect(file.entries.map(\.location.line) == [1, 12])
        let reasons = Dictionary(uniqueKeysWithValues: file.skippedLines.map { ($0.location.line, $0.reason) })
        #expect(reasons[2] == .unsupportedKeyType("ssh-dss"))
        #expect(reasons[3] == .unsupportedKeyType("foo-bar"))
        if case .invalidKey? = reasons[4] {} else { Issue.record("bad base64: \(String(describing: reasons[4]))") }
        if case .invalidKey? = reasons[5] {} else { Issue.record("type mismatch: \(String(describing: reasons[5]))") }
        #expect(reasons[6] == .missingKey)
        #expect(reasons[7] == .missingKey)
        #expect(reasons[8] == .badHostHash)
        #expect(reasons[9] == .badHostHash)
        #expect(reasons[10] == .badHostHash)
        #expect(reasons[11] == .unsupportedKeyType("sk-ssh-ed25519@openssh.com"))
        #expect(file.skippedLines.count == 10)
        #expect(file.skippedLines.first?.description.hasPrefix("/kh:2: unsupported key type") == true)
    }

    @Test func windowsLineEndsNulsAndAMissingFinalNewlineAreHandled() {
        let file = KnownHostsFile(path: "/kh", contents: Array("a \(K.ed25519A)\r\nb \(K.ed25519B) c\u{0}omment\r\nc \(K.ed25519C)".utf8))
        #expect(file.skippedLines.isEmpty)
        #expect(file.entries.map(\.hostField) == ["a", "b", "c"])
        #expect(file.entries[1].key.comment == "c")
        #expect(file.entries.map(\.location.line) == [1, 2, 3])
    }

    @Test func randomBytesNeverTrap() {
        var generator = SplitMix64(seed: 0x6b6e_6f77_6e5f_686f)
        var total = 0
        for round in 0..<3000 {
            let count = Int(generator.next() % 600)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 3 == 0 {
                // Bias toward the syntax: separators, markers, pipes, wildcards.
                let alphabet = Array(" \t\n,!*?|@#[]:1AZaz=+/".utf8)
                bytes = bytes.map { alphabet[Int($0) % alphabet.count] }
            }
            let file = KnownHostsFile(path: "/fuzz", contents: bytes)
            total += file.entries.count + file.skippedLines.count
            _ = file.entries(matching: "host")
        }
        #expect(total >= 0)
    }

    @Test func mutatedValidFilesNeverTrap() throws {
        let salt = [UInt8](repeating: 1, count: 20)
        let hashed = String(decoding: HashedHostName.encode(name: Array("host".utf8), salt: salt), as: UTF8.self)
        let seed = Array("""
            @revoked * \(K.rsaD)
            \(hashed) \(K.ed25519A) c
            *.example.com,!x.example.com,[h]:2222 \(K.ecdsaP384)
            @cert-authority *.ca \(K.ecdsaP521)

            """.utf8)
        var generator = SplitMix64(seed: 42)
        for _ in 0..<1500 {
            var bytes = seed
            for _ in 0..<(1 + generator.next() % 8) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
            }
            let file = KnownHostsFile(path: "/fuzz", contents: bytes)
            for name in ["host", "a.example.com", "[h]:2222", "x.ca"] { _ = file.entries(matching: name) }
        }
    }

    @Test func pathologicalPatternsMatchInPolynomialTime() {
        // Exponential for a naive backtracking matcher; instant here.
        let pattern = String(repeating: "*a", count: 400) + "b"
        let name = String(repeating: "a", count: 1000)
        let file = KnownHostsFile(path: "/kh", text: "\(pattern) \(K.ed25519A)")
        #expect(file.entries.first?.matches(name) == false)
        #expect(file.entries.first?.matches(name + "b") == true)
    }
}

