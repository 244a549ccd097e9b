import Foundation
import Glibc
import Testing

// Issue 14's rough edges, each as a first-time user meets it, with the
// ferry binary (against sshd where a server is needed): messages that name
// the user's path and say the cause once, real newlines in host-key
// refusals, ssh's DNS wording, subcommand usage with ssh tools' statuses,
// LogLevel, BatchMode's ServerAliveInterval, remote `~`, `get host:file`
// into `.`, scp:// and ssh:// URLs, -4/-6, and scripts/install.

@Suite("issue 14: the CLI's rough edges")
struct CLIEdgesTests {
    static let failed = ExitStatus(code: 1, signaled: false)
    static let sshFailure = ExitStatus(code: 255, signaled: false)

    static func ferry(_ command: String, _ arguments: [String], on sshd: SSHDFixture,
                      options: [String] = []) async throws -> CommandResult {
        try await FerryCLI.run([command] + FerryCLI.connectionArguments(for: sshd, options: options) + arguments)
    }

    /// The repository's root (scripts/, docs/).
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    // MARK: Messages

    @Test("a missing remote file: the path once, the cause in scp's words")
    func missingRemoteFile() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-edges")
        defer { local.remove() }
        let missing = "\(sshd.scratchDirectory)/nope.txt"
        for protocolFlag in [[], ["--scp"]] {
            let get = try await Self.ferry("get", protocolFlag + [Proof.remote(sshd, missing), local.path], on: sshd)
            #expect(get.exit == Self.failed, "\(get.summary)")
            #expect(get.stderr.hasPrefix("ferry: \(missing): No such file or directory\n") || protocolFlag == ["--scp"],
                    "\(get.summary)")
            #expect(get.stderr.contains("No such file or directory"), "\(get.summary)")
            #expect(get.stderr.components(separatedBy: missing).count == 2, "the path once: \(get.stderr)")
            #expect(!get.stderr.contains("stat "), "\(get.summary)")
        }
    }

    @Test("a destination in a missing directory is named as the user gave it, never the partial name")
    func missingDirectoryNamesTheUsersPath() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-edges")
        defer { local.remove() }
        let source = "\(sshd.scratchDirectory)/x.txt"
        try Proof.write(source, Array("x\n".utf8))
        for resume in [[], ["-a"]] {
            let get = try await Self.ferry("get", resume + [Proof.remote(sshd, source), local.file("nope/dir/x.txt")], on: sshd)
            #expect(get.exit == Self.failed, "\(get.summary)")
            #expect(get.stderr.contains("ferry: \(local.file("nope/dir/x.txt")): "), "\(get.summary)")
            #expect(!get.stderr.contains("ferry-part"), "\(get.summary)")
            let put = try await Self.ferry("put", resume + [source, Proof.remote(sshd, "\(sshd.scratchDirectory)/nope/dir/x.txt")], on: sshd)
            #expect(put.exit == Self.failed, "\(put.summary)")
            #expect(put.stderr.contains("ferry: \(sshd.scratchDirectory)/nope/dir/x.txt: "), "\(put.summary)")
            #expect(put.stderr.contains("No such file or directory"), "\(put.summary)")
            #expect(!put.stderr.contains("ferry-part"), "\(put.summary)")
        }
    }

    @Test("a refused host key prints real lines from get, put and exec alike")
    func hostKeyRefusalHasRealNewlines() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let unknown = ["-o", "UserKnownHostsFile=/dev/null"]
        for (command, arguments) in [("get", [Proof.remote(sshd, "x"), "."]), ("put", ["/dev/null", Proof.remote(sshd, "x")]),
                                     ("exec", ["\(sshd.user)@\(sshd.host)", "--", "true"])] {
            let result = try await Self.ferry(command, arguments, on: sshd, options: unknown)
            #expect(result.exit == Self.sshFailure, "\(command): \(result.summary)")
            #expect(!result.stderr.contains("\\n"), "\(command): literal \\n in \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count >= 2, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("key fingerprint is SHA256:"), "\(command): \(result.stderr)")
        }
    }

    @Test("a name that does not resolve reads as ssh's line, not a Swift type name")
    func unresolvableHost() async throws {
        for arguments in [["get", "no-such-host.invalid:x", "."], ["exec", "no-such-host.invalid", "--", "true"],
                          ["get", "-4", "no-such-host.invalid:x", "."]] {
            let result = try await FerryCLI.run(arguments + ["-o", "BatchMode=yes"])
            #expect(result.exit == Self.sshFailure, "\(result.summary)")
            #expect(result.stderr.hasPrefix("ferry: Could not resolve hostname no-such-host.invalid: "), "\(result.summary)")
            #expect(!result.stderr.contains("SocketAddressError"), "\(result.summary)")
        }
    }

    // MARK: Usage

    @Test("usage errors show the subcommand's usage and exit 1 (255 for exec, as ssh)")
    func usageErrors() async throws {
        let cases: [([String], String, Int32)] = [
            (["get"], "Usage: ferry get", 1),
            (["get", "--no-such-option", "h:x"], "Usage: ferry get", 1),
            (["put", "only-one"], "Usage: ferry put", 1),
            (["put", "a", "b"], "Usage: ferry put", 1),
            (["cp", "a"], "Usage: ferry cp", 1),
            (["sync", "a"], "Usage: ferry sync", 1),
            (["sftp"], "Usage: ferry sftp", 1),
            (["get", "-4", "-6", "h:x"], "Usage: ferry get", 1),
            (["exec", "h"], "Usage: ferry exec", 255),
            (["exec"], "Usage: ferry exec", 255),
        ]
        for (arguments, usage, status) in cases {
            let result = try await FerryCLI.run(arguments)
            #expect(result.exit == ExitStatus(code: status, signaled: false), "\(arguments): \(result.summary)")
            #expect(result.stderr.contains(usage), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Usage: ferry [-Q"), "\(arguments): the top-level usage: \(result.stderr)")
        }
        let help = try await FerryCLI.run(["get", "--help"])
        #expect(help.exit == Proof.ok && help.stdout.contains("--recursive"), "\(help.summary)")
    }

    // MARK: LogLevel and BatchMode

    @Test("LogLevel ERROR and QUIET hide the Permanently added warning; DEBUG shows debug lines")
    func logLevel() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-loglevel")
        defer { home.remove() }
        func run(_ level: [String], _ n: Int) async throws -> CommandResult {
            let knownHosts = home.file("known_hosts-\(n)")
            return try await FerryCLI.exec(["true"], on: sshd, options: level + [
                "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "StrictHostKeyChecking=accept-new"])
        }
        let info = try await run([], 0)
        #expect(info.exit == Proof.ok && info.stderr.contains("Permanently added"), "\(info.summary)")
        for (n, level) in ["ERROR", "QUIET", "FATAL", "error"].enumerated() {
            let result = try await run(["-o", "LogLevel=\(level)"], n + 1)
            #expect(result.exit == Proof.ok && !result.stderr.contains("Permanently added"), "\(level): \(result.summary)")
        }
        let debug = try await run(["-o", "LogLevel=DEBUG2"], 10)
        #expect(debug.exit == Proof.ok && debug.stderr.contains("debug1: "), "\(debug.summary)")
        let verbose = try await run(["-o", "LogLevel=VERBOSE"], 11)
        #expect(verbose.stderr.contains("Permanently added") && !verbose.stderr.contains("debug1: "), "\(verbose.summary)")
        // -v on the command line wins over a file's or -o's LogLevel, as in ssh.
        let flag = try await run(["-v", "-o", "LogLevel=ERROR"], 12)
        #expect(flag.stderr.contains("debug1: "), "\(flag.summary)")
    }

    @Test("BatchMode yes makes ServerAliveInterval 300, as ssh -G shows")
    func batchModeServerAlive() async throws {
        for (options, expected) in [([String](), "0"), (["-o", "BatchMode=yes"], "300"),
                                    (["-o", "BatchMode=yes", "-o", "ServerAliveInterval=20"], "20")] {
            let ferry = try await FerryCLI.run(["config", "-F", "none"] + options + ["example.org"])
            #expect(ferry.stdout.contains("\nserveraliveinterval \(expected)\n"), "\(options): \(ferry.summary)")
            let ssh = try await FixtureCommand.run("ssh", ["-G", "-F", "none"] + options + ["example.org"])
            #expect(ssh.stdout.contains("\nserveraliveinterval \(expected)\n"), "ssh -G \(options): \(ssh.stdout)")
        }
    }

    // MARK: Paths

    @Test("remote ~ and ~user expand for get, put, cp, sync and sftp (and over SCP)")
    func remoteTilde() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-tilde")
        defer { local.remove() }
        let home = sshd.server.account.home
        let name = "ferry-tilde-\(UUID().uuidString)"
        let file = "\(home)/\(name).txt"
        try Proof.write(file, Array("home file\n".utf8))
        Proof.giveToAccount(file, sshd)
        defer { for suffix in [".txt", ".up", ".scp", ".cp"] { unlink("\(home)/\(name)\(suffix)") } }
        defer { try? FileManager.default.removeItem(atPath: "\(home)/\(name).dir") }

        let get = try await Self.ferry("get", [Proof.remote(sshd, "~/\(name).txt"), local.file("a")], on: sshd)
        #expect(get.exit == Proof.ok && Proof.contents(local.file("a")) == Array("home file\n".utf8), "\(get.summary)")
        let user = try await Self.ferry("get", [Proof.remote(sshd, "~\(sshd.user)/\(name).txt"), local.file("b")], on: sshd)
        #expect(user.exit == Proof.ok && Proof.contents(local.file("b")) == Array("home file\n".utf8), "\(user.summary)")
        let glob = try await Self.ferry("get", [Proof.remote(sshd, "~/\(name).t?t"), local.file("c")], on: sshd)
        #expect(glob.exit == Proof.ok && Proof.contents(local.file("c")) == Array("home file\n".utf8), "\(glob.summary)")
        let scp = try await Self.ferry("get", ["--scp", Proof.remote(sshd, "~/\(name).txt"), local.file("d")], on: sshd)
        #expect(scp.exit == Proof.ok && Proof.contents(local.file("d")) == Array("home file\n".utf8), "\(scp.summary)")

        let put = try await Self.ferry("put", [local.file("a"), Proof.remote(sshd, "~/\(name).up")], on: sshd)
        #expect(put.exit == Proof.ok && Proof.contents("\(home)/\(name).up") == Array("home file\n".utf8), "\(put.summary)")
        let putSCP = try await Self.ferry("put", ["--scp", local.file("a"), Proof.remote(sshd, "~/\(name).scp")], on: sshd)
        #expect(putSCP.exit == Proof.ok && Proof.contents("\(home)/\(name).scp") == Array("home file\n".utf8), "\(putSCP.summary)")
        let cp = try await Self.ferry("cp", [local.file("a"), Proof.remote(sshd, "~\(sshd.user)/\(name).cp")], on: sshd)
        #expect(cp.exit == Proof.ok && Proof.contents("\(home)/\(name).cp") == Array("home file\n".utf8), "\(cp.summary)")

        try Proof.makeDirectory(local.file("tree"))
        try Proof.write(local.file("tree/f"), Array("f\n".utf8))
        let sync = try await Self.ferry("sync", [local.file("tree"), Proof.remote(sshd, "~/\(name).dir")], on: sshd)
        #expect(sync.exit == Proof.ok && Proof.contents("\(home)/\(name).dir/f") == Array("f\n".utf8), "\(sync.summary)")

        try Proof.write(local.file("batch"), Array("pwd\n".utf8))
        let sftp = try await Self.ferry("sftp", ["-b", local.file("batch"), Proof.remote(sshd, "~/\(name).dir")], on: sshd)
        #expect(sftp.exit == Proof.ok && sftp.stdout.contains("Remote working directory: \(home)/\(name).dir"), "\(sftp.summary)")
    }

    @Test("get host:file without a destination saves into the current directory, as sftp")
    func getIntoCurrentDirectory() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-here")
        defer { local.remove() }
        let source = "\(sshd.scratchDirectory)/here.txt"
        try Proof.write(source, Array("here\n".utf8))
        let ferry = try #require(FerryCLI.executable)
        let line = ([ferry, "get"] + FerryCLI.connectionArguments(for: sshd) + [Proof.remote(sshd, source)]).map(shellQuoted)
        let result = try await FerryCLI.shell("cd \(shellQuoted(local.path)) && " + line.joined(separator: " "))
        #expect(result.exit == Proof.ok, "\(result.summary)")
        #expect(Proof.contents(local.file("here.txt")) == Array("here\n".utf8))
    }

    @Test("scp:// and sftp:// URLs for get, put and cp; ssh:// for exec and config")
    func urls() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-url")
        defer { local.remove() }
        let source = "\(sshd.scratchDirectory)/url.txt"
        try Proof.write(source, Array("url\n".utf8))
        Proof.giveToAccount(sshd.scratchDirectory, sshd)
        let noPort = Proof.connectionArgumentsWithoutPort(for: sshd)
        let authority = "\(sshd.user)@\(sshd.host):\(sshd.port)"
        for (n, (command, url)) in [("get", "scp://\(authority)/\(source)"), ("get", "sftp://\(authority)/\(source)"),
                                    ("cp", "scp://\(authority)/\(source)")].enumerated() {
            let result = try await FerryCLI.run([command] + noPort + [url, local.file("u\(n)")])
            #expect(result.exit == Proof.ok && Proof.contents(local.file("u\(n)")) == Array("url\n".utf8), "\(url): \(result.summary)")
        }
        let put = try await FerryCLI.run(["put"] + noPort + [source, "scp://\(authority)/\(sshd.scratchDirectory)/up.txt"])
        #expect(put.exit == Proof.ok && Proof.contents("\(sshd.scratchDirectory)/up.txt") == Array("url\n".utf8), "\(put.summary)")
        let exec = try await FerryCLI.run(["exec"] + noPort + ["ssh://\(authority)", "--", "echo", "via-url"])
        #expect(exec.exit == Proof.ok && exec.stdout == "via-url\n", "\(exec.summary)")
        let config = try await FerryCLI.run(["config", "-F", "none", "ssh://bob@example.org:2222"])
        #expect(config.stdout.contains("\nuser bob\n") && config.stdout.contains("\nport 2222\n"), "\(config.summary)")
    }

    @Test("-4, -6 and AddressFamily connect over that family only")
    func addressFamily() async throws {
        let sshd = try await SSHDFixture.start()  // listens on 127.0.0.1 only
        defer { sshd.stop() }
        let v4 = try await FerryCLI.exec(["echo", "v4"], on: sshd, options: ["-4"])
        #expect(v4.exit == Proof.ok && v4.stdout == "v4\n", "\(v4.summary)")
        let long = try await FerryCLI.exec(["echo", "v4"], on: sshd, options: ["--ipv4"])
        #expect(long.exit == Proof.ok, "\(long.summary)")
        for options in [["-6"], ["-o", "AddressFamily=inet6"]] {
            let v6 = try await FerryCLI.exec(["true"], on: sshd, options: options)
            #expect(v6.exit == Self.sshFailure, "\(options): \(v6.summary)")
            #expect(v6.stderr.contains("Could not resolve hostname 127.0.0.1: "), "\(options): \(v6.summary)")
        }
        // ::1 over IPv6: nothing listens there, and -4 cannot reach it at all.
        let args = FerryCLI.connectionArguments(for: sshd)
        let loopback6 = try await FerryCLI.run(["exec", "-6"] + args + ["\(sshd.user)@::1", "--", "true"])
        #expect(loopback6.exit == Self.sshFailure && loopback6.stderr.contains("port \(sshd.port): "), "\(loopback6.summary)")
        let mismatch = try await FerryCLI.run(["exec", "-4"] + args + ["\(sshd.user)@::1", "--", "true"])
        #expect(mismatch.exit == Self.sshFailure && mismatch.stderr.contains("Could not resolve hostname ::1: "), "\(mismatch.summary)")
    }

    // MARK: Packaging

    @Test("scripts/install --binary puts the binary, man page and completions under PREFIX")
    func installScript() async throws {
        let ferry = try #require(FerryCLI.executable)
        let prefix = try FixtureDirectory.create(prefix: "ferry-prefix")
        defer { prefix.remove() }
        let script = Self.repository.appendingPathComponent("scripts/install").path
        let result = try await FixtureCommand.run(script, ["--binary", ferry, prefix.path], timeout: .seconds(60))
        #expect(result.exit == Proof.ok, "\(result.summary)")
        #expect(FileManager.default.isExecutableFile(atPath: prefix.file("bin/ferry")))
        let page = try #require(Proof.contents(prefix.file("share/man/man1/ferry.1")), "no man page")
        let man = String(decoding: page, as: UTF8.self)
        for text in [".Dt FERRY 1", "Em get", "Em put", "Em sync", "Em sftp", "Em exec", "Fl P , -port", "Fl r , -recursive",
                     "Fl 4 , -ipv4", "Fl i , -identity"] {
            #expect(man.contains(text), "man page lacks \(text)")
        }
        for (path, marker) in [("share/bash-completion/completions/ferry", "complete"), ("share/zsh/site-functions/_ferry", "#compdef ferry"),
                               ("share/fish/vendor_completions.d/ferry.fish", "complete -c 'ferry'")] {
            let text = Proof.contents(prefix.file(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(text.contains(marker) && text.contains("recursive"), "\(path)")
        }
        let refused = try await FixtureCommand.run(script, ["--binary", "/nonexistent/ferry", prefix.path])
        #expect(refused.exit != Proof.ok, "\(refused.summary)")
    }
}
