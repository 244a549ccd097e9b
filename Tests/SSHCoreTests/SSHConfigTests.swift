import Foundation
@_spi(Internals) import SSHCore
import Testing

/// One ssh_config case: the main file, extra files, the hosts to resolve and
/// `-o` options to apply first.
struct ConfigCase: CustomTestStringConvertible, Sendable {
    let name: String
    let text: String
    var files: [String: String] = [:]
    var hosts: [String] = ["foo"]
    var options: [String] = []
    var testDescription: String { name }
}

let localUserName = SSHConfigContext.current(host: "x").localUser

/// The corpus: each case is resolved by ferry and by `ssh -G` and must agree.
let configCorpus: [ConfigCase] = [
    ConfigCase(name: "basic", text: """
        Host foo
          HostName foo.example.com
          Port 2222
          User alice
        """, hosts: ["foo", "bar"]),
    ConfigCase(name: "wildcards", text: """
        Host *.example.com db?
          User wild
          Port 2200
        Host *
          User fallback
        """, hosts: ["a.example.com", "db1", "db12", "example.com"]),
    ConfigCase(name: "negation", text: """
        Host * !bad* !secret.example.com
          User normal
        Host *
          User other
        """, hosts: ["good", "bad1", "secret.example.com", "Secret.example.com"]),
    ConfigCase(name: "negation-only never matches", text: """
        Host !foo
          Port 1111
        """, hosts: ["foo", "bar"]),
    ConfigCase(name: "host patterns are case-sensitive", text: """
        Host FOO
          User upper
        Host foo
          User lower
        """, hosts: ["FOO", "foo", "FoO"]),
    ConfigCase(name: "first value wins across blocks", text: """
        Host foo
          Port 1
          IdentityFile /keys/first
        Host f*
          Port 2
          User second
          IdentityFile /keys/second
        Host *
          Port 3
          User third
          IdentityFile /keys/first
        """, hosts: ["foo", "fab"]),
    ConfigCase(name: "match host sees HostName", text: """
        Host short
          HostName %h.example.com
        Match host short.example.com
          User matched
        Match host SHORT
          Port 2022
        """, hosts: ["short", "SHORT"]),
    ConfigCase(name: "match originalhost", text: """
        Host alias
          HostName real.example.com
        Match originalhost alias,!nope
          User original
        Match originalhost real.example.com
          Port 9999
        """, hosts: ["alias", "nope"]),
    ConfigCase(name: "match user", text: """
        Host foo
          User alice
        Match user alice,bob
          Port 2201
        Match user !carol
          ServerAliveInterval 30
        """, hosts: ["foo", "bar"], options: []),
    ConfigCase(name: "match localuser", text: """
        Match localuser \(localUserName)
          Port 2300
        Match localuser nobody-here
          User nobody
        Match !localuser nobody-here
          User somebody
        """, hosts: ["foo"]),
    ConfigCase(name: "match all", text: """
        Host foo
          Port 2400
        Match all
          User everyone
        Match !all
          Port 1
        """, hosts: ["foo", "bar"]),
    ConfigCase(name: "match exec", text: """
        Match exec "test %h = foo"
          User execd
        Match exec false
          Port 1
        Match !exec false host foo
          Port 2500
        Match exec true
          Compression yes
        """, hosts: ["foo", "bar"]),
    ConfigCase(name: "match final and canonical", text: """
        Host foo
          HostName foo.final.example
        Match canonical
          User canon
        Match final host foo.final.example
          Port 2600
        Host foo.final.example
          IdentitiesOnly yes
        """, hosts: ["foo", "bar"]),
    ConfigCase(name: "include absolute glob", text: """
        Include @ROOT@/conf.d/*.conf
        Host *
          Port 2
        """, files: ["conf.d/10-a.conf": "Host foo\n  Port 2700\n", "conf.d/20-b.conf": "Host *\n  User fromb\n",
                     "conf.d/skip.txt": "Host *\n  User skipped\n"], hosts: ["foo", "bar"]),
    ConfigCase(name: "include relative to ~/.ssh", text: """
        Host foo
          Include rel/*.conf
        Host *
          Include ~/.ssh/tail
        """, files: ["~/.ssh/rel/a.conf": "User relative\nMatch all\nPort 2800\n", "~/.ssh/tail": "Compression yes\n"],
        hosts: ["foo", "bar"]),
    ConfigCase(name: "include inside unmatched block is parse-only", text: """
        Host nomatch
          Include @ROOT@/inner.conf
        Host *
          User outer
        """, files: ["inner.conf": "Host *\n  Port 2900\n"], hosts: ["foo"]),
    ConfigCase(name: "include nested and first wins", text: """
        Include @ROOT@/one.conf
        Port 3
        """, files: ["one.conf": "Include @ROOT@/two.conf\nUser one\n", "two.conf": "Port 3000\nUser two\n"]),
    ConfigCase(name: "tokens", text: """
        Host foo
          HostName target.example
          User tok
          Port 3100
          IdentityFile ~/.ssh/%r@%h-%p_%n%%
          CertificateFile %d/cert-%u-%i
          UserKnownHostsFile ~/kh/%h:%p %d/kh2-%r-%n-%u-%i-%l-%L-%C %%x ${HOME}/kh3
          IdentityAgent ~/agent-%h-%r
          ProxyCommand nc -X 5 %h %p # not a comment
        """),
    ConfigCase(name: "algorithm lists", text: """
        Host foo
          Ciphers -aes128-ctr,aes192*
          MACs ^hmac-sha1,hmac-sha2-512
          KexAlgorithms +diffie-hellman-group14-sha1
          HostKeyAlgorithms +ssh-rsa
          PubkeyAcceptedAlgorithms -ecdsa*
        Host bar
          Ciphers aes256-ctr,aes128-gcm@openssh.com
          MACs hmac-sha2-256
          KexAlgorithms curve25519-sha256,diffie-hellman-group14-sha256
          HostKeyAlgorithms ^rsa-sha2-256
          PubkeyAcceptedAlgorithms ssh-ed25519
        """, hosts: ["foo", "bar"]),
    ConfigCase(name: "quoted values", text: """
        Host "foo"
          UserKnownHostsFile "/tmp/with space/kh" '/tmp/single quoted' /tmp/esc\\ aped
          IdentityFile "/keys/a key"
          User "quoted"
          ProxyJump jumpuser@jump.example.com:2222
        """),
    ConfigCase(name: "equals syntax", text: """
        Host=foo
        Port=3200
        User = eq
        HostName= eq.example.com
        Compression =yes
        ServerAliveCountMax= 7
        """),
    ConfigCase(name: "keywords are case-insensitive", text: """
        HOST foo
          HOSTNAME Mixed.Example.COM
          pOrT 3300
          StrictHostKeyChecking ACCEPT-NEW
          CHECKHOSTIP Yes
          loglevel verbose
        """),
    ConfigCase(name: "comments and blank lines", text: """
        # leading comment

        Host foo # trailing comment
          # indented comment
          Port 3400 # comment after value
        \t
          User commented
        """),
    ConfigCase(name: "ignore unknown", text: """
        IgnoreUnknown Foo*,UseKeychain
        Host foo
          UseKeychain yes
          FooBar whatever
          Port 3500
        """),
    ConfigCase(name: "known keywords ferry ignores", text: """
        Host foo
          ForwardAgent yes
          ControlMaster auto
          ControlPath ~/.ssh/cm-%C
          SendEnv LANG LC_*
          ServerAliveInterval 15
          Protocol 2
        """),
    ConfigCase(name: "many supported keywords", text: """
        Host foo
          AddressFamily inet
          BatchMode no
          CheckHostIP yes
          Compression yes
          HashKnownHosts yes
          IdentitiesOnly yes
          KbdInteractiveAuthentication no
          PasswordAuthentication no
          PubkeyAuthentication unbound
          StrictHostKeyChecking no
          ServerAliveCountMax 5
          ServerAliveInterval 1m30s
          HostKeyAlias MyAlias
          PreferredAuthentications publickey,password
          GlobalKnownHostsFile /etc/a /etc/b
          UserKnownHostsFile none
          ConnectTimeout 1h
          RekeyLimit 2G 10m
          LogLevel DEBUG3
        Host bar
          StrictHostKeyChecking yes
          PubkeyAuthentication no
          RekeyLimit 512M
          ChallengeResponseAuthentication no
          ProxyCommand none
        """, hosts: ["foo", "bar"]),
    ConfigCase(name: "proxyjump beats later proxycommand", text: """
        Host foo
          ProxyJump a.example,b.example
        Host *
          ProxyCommand ssh -W %h:%p gw
        """, hosts: ["foo", "bar"]),
    ConfigCase(name: "command-line options come first", text: """
        Host foo
          Port 3600
          User file
          Ciphers aes256-ctr
        """, options: ["Port=3700", "User cmdline"]),
    // Issue 14: BatchMode implies ServerAliveInterval 300 unless it is set
    // (readconf.c fill_default_options); AddressFamily and LogLevel as given.
    ConfigCase(name: "batchmode implies serveraliveinterval 300", text: """
        Host foo
          BatchMode yes
        Host bar
          BatchMode yes
          ServerAliveInterval 15
        Host baz
          BatchMode yes
          ServerAliveInterval 0
        """, hosts: ["foo", "bar", "baz", "other"]),
    ConfigCase(name: "batchmode from -o", text: "", options: ["BatchMode=yes"]),
    ConfigCase(name: "addressfamily and loglevel", text: """
        Host foo
          AddressFamily inet6
          LogLevel ERROR
        Host *
          AddressFamily inet
          LogLevel debug2
        """, hosts: ["foo", "bar"]),
]

@Suite struct SSHConfigOpenSSHComparisonTests {
    @Test(arguments: configCorpus)
    func agreesWithSSHG(_ c: ConfigCase) throws {
        let fixture = try SSHConfigFixture(c.text, files: c.files)
        defer { fixture.remove() }
        for host in c.hosts {
            let ours = try fixture.ferry(host, options: c.options)
            let theirs = try fixture.ssh(host, options: c.options)
            #expect(theirs.status == 0, "ssh -G \(host) failed: \(theirs.errorText)")
            let namesIdentities = ours.contains("identityfile /") || c.text.lowercased().contains("identityfile")
            let a = SSHGComparison.normalise(ours, compareIdentityFiles: namesIdentities)
            let b = SSHGComparison.normalise(theirs.output, compareIdentityFiles: namesIdentities)
            #expect(a == b, "\(c.name) / \(host):\n\(zip(a, b).filter { $0 != $1 }.map { "ferry: \($0)\nssh:   \($1)" }.joined(separator: "\n"))\ncounts \(a.count) \(b.count)")
        }
    }

    /// Errors OpenSSH refuses are refused by ferry too, naming file and line.
    @Test(arguments: [
        ("Host foo\n  Bogus yes\n", 2),
        ("Port 22\nHost *\n  Port 0\n", 3),
        ("Host nomatch\n  Port notanumber\n", 2),
        ("User\n", 1),
        ("Host foo\n  IdentityFile a b\n", 2),
        ("Match nosuchcriterion x\n", 1),
        ("Match all host foo\n", 1),
        ("Match host\n", 1),
        ("IgnoreUnknown Bar\nFooBar yes\n", 2),
        ("User \"unterminated\n", 1),
    ])
    func refusesWhatSSHRefuses(_ text: String, _ line: Int) throws {
        let fixture = try SSHConfigFixture(text)
        defer { fixture.remove() }
        let theirs = try fixture.ssh("foo")
        #expect(theirs.status != 0, "ssh accepted \(text.debugDescription)")
        do {
            _ = try fixture.ferry("foo")
            Issue.record("ferry accepted \(text.debugDescription)")
        } catch let error as SSHError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("\(fixture.main) line \(line):"), "\(error.message)")
        }
    }

    @Test func ignoredKeywordsAreRecorded() throws {
        let fixture = try SSHConfigFixture("IgnoreUnknown Foo*\nHost *\n  ForwardAgent yes\n  FooBar 1\n")
        defer { fixture.remove() }
        var o = ClientOptions()
        let report = try SSHConfigFile.resolve(into: &o, context: fixture.context(host: "foo"))
        #expect(report.ignored.count == 2)
        #expect(report.ignored.contains { $0.contains("line 3") && $0.contains("forwardagent") })
        #expect(report.ignored.contains { $0.contains("line 4") && $0.contains("foobar") })
        #expect(report.filesRead == [fixture.main])
    }

    @Test func includeLoopsTerminate() throws {
        let fixture = try SSHConfigFixture("Include @ROOT@/config\nPort 22\n",
                                           files: ["a.conf": "Include @ROOT@/b.conf\n", "b.conf": "Include @ROOT@/a.conf\n"])
        defer { fixture.remove() }
        #expect(throws: SSHError.self) { try fixture.ferry("foo") }
        let other = try SSHConfigFixture("Include @ROOT@/a.conf\n",
                                         files: ["a.conf": "Include @ROOT@/b.conf\n", "b.conf": "Include @ROOT@/a.conf\n"])
        defer { other.remove() }
        #expect(throws: SSHError.self) { try other.ferry("foo") }
        #expect(try other.ssh("foo").status != 0)
    }

    @Test func missingExplicitFileIsAnErrorAndNoneReadsNothing() throws {
        var o = ClientOptions()
        var ctx = SSHConfigContext(originalHost: "h", configFile: "/nonexistent/ferry/config", localUser: "u",
                                   homeDirectory: "/nonexistent", userID: 1, localHostName: "l")
        #expect(throws: SSHError.self) { try SSHConfigFile.resolve(into: &o, context: ctx) }
        ctx.configFile = "none"
        let report = try SSHConfigFile.resolve(into: &o, context: ctx)
        #expect(report.filesRead.isEmpty && o.hostName == "h")
    }
}

@Suite struct SSHConfigUnitTests {
    @Test func splitsLinesAsOpenSSH() throws {
        let line = try #require(try SSHConfigParser.parse(Array("  Keyword = \"a b\" c\\ d 'e#f' #comment".utf8)))
        #expect(line.keyword == "keyword")
        #expect(line.arguments == ["a b", "c d", "e#f"])
        #expect(try SSHConfigParser.parse(Array("   # just a comment".utf8)) == nil)
        #expect(try SSHConfigParser.parse(Array("".utf8)) == nil)
        #expect(try SSHConfigParser.parse(Array("Port=22".utf8))?.arguments == ["22"])
        #expect(throws: SSHConfigParser.Problem.self) { try SSHConfigParser.parse(Array("Port".utf8)) }
    }

    @Test func expandsTokens() throws {
        let t = ConfigTokens(host: "h.example", originalHost: "h", port: 2222, remoteUser: "r", localUser: "u",
                             homeDirectory: "/home/u", userID: 1000, localHostName: "box.local", environment: ["X": "y"])
        #expect(try t.expand("%h %n %p %r %u %d %i %l %L %k %% ${X}") == "h.example h 2222 r u /home/u 1000 box.local box h % y")
        #expect(try t.expand("%C").count == 40)
        #expect(throws: SSHError.self) { try t.expand("%z") }
        #expect(throws: SSHError.self) { try t.expand("trailing %") }
        #expect(throws: SSHError.self) { try t.expand("${UNSET_VARIABLE_X}") }
        #expect(throws: SSHError.self) { try t.expand("${X") }
        #expect(ConfigTokens.expandTilde("~/a", home: "/h") == "/h/a")
    }

    /// Random bytes and random lines of config vocabulary never trap; errors are SSHErrors.
    @Test func fuzzNeverTraps() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var rng = SplitMix64(seed: 0x5EED_C0F1)
        let words = ["Host", "Match", "Include", "Port", "User", "HostName", "IdentityFile", "Ciphers", "exec", "all",
                     "host", "user", "final", "canonical", "!", "*", "?", "\"", "'", "=", "#", "%h", "%", "${", "}",
                     "\\", "22", "yes", "none", "+aes128-ctr", "-x", "^", ",", "IgnoreUnknown", "ProxyCommand",
                     "UserKnownHostsFile", "RekeyLimit", "\(directory.path)/*", "~", "originalhost", "localuser", "\t"]
        let file = directory.appendingPathComponent("config")
        for round in 0..<400 {
            var bytes: [UInt8] = []
            if round % 2 == 0 {
                bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                for _ in 0..<Int(rng.next() % 12) {
                    let n = Int(rng.next() % 6)
                    let line = (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }
                        .joined(separator: rng.next() % 3 == 0 ? "" : " ")
                    bytes += Array(line.utf8) + [10]
                }
            }
            try Data(bytes).write(to: file)
            var o = ClientOptions()
            let ctx = SSHConfigContext(originalHost: "fuzz", configFile: file.path, localUser: "u",
                                       homeDirectory: directory.path, userID: 1, localHostName: "l",
                                       environment: [:], runCommand: { _ in 0 })
            do {
                try SSHConfigFile.resolve(into: &o, context: ctx)
                _ = try? SSHConfigDump.render(o, context: ctx)
            } catch is SSHError {
            }
        }
    }
}
