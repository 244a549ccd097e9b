import Foundation
import Glibc
import Testing

// `ferry exec` as a user runs it, against sshd: what ssh promises — the
// remote exit status as ours, stdout and stderr apart and byte-exact, the
// command line interpreted by the remote shell exactly as ssh's is — and
// the failures: timeout, wrong key, nobody listening, banners and -q.

@Suite("ferry exec against sshd")
struct ClientCLITests {
    @Test("exit status passes through (0, 1, 42); stdout and stderr stay apart")
    func exitStatusAndStreams() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        for status in [0, 1, 42] {
            let result = try await FerryCLI.exec(["echo out-\(status); echo err-\(status) >&2; exit \(status)"], on: sshd)
            #expect(result.exit == ExitStatus(code: Int32(status), signaled: false), "\(result.summary)")
            #expect(result.stdout == "out-\(status)\n" && result.stderr == "err-\(status)\n", "\(result.summary)")
        }
    }

    @Test("output is binary-safe: all 256 byte values, on stdout and on stderr")
    func binaryOutput() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        // The server is local: the file is written here and read there.
        let everyByte = (0..<4).flatMap { _ in (0...255).map(UInt8.init) }
        let path = "\(sshd.scratchDirectory)/bytes.bin"
        try Data(everyByte).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        let result = try await FerryCLI.execRaw(["cat \(path); cat \(path) >&2"], on: sshd)
        #expect(result.exit == ExitStatus(code: 0, signaled: false), "exit \(String(describing: result.exit))")
        #expect(result.stdout == everyByte, "stdout: \(result.stdout.count) bytes")
        #expect(result.stderr == everyByte, "stderr: \(result.stderr.count) bytes: \(String(decoding: result.stderr, as: UTF8.self))")
    }

    @Test("a command with quotes and spaces reaches the remote shell as ssh sends it")
    func quoting() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let commands: [[String]] = [
            [#"printf '<%s>' 'a b' "c'd" "e\"f" '  two  spaces  ' \$HOME"#],
            ["printf", "%s,", "one", "two words"],  // joined with spaces, as ssh does: "one,two,words,"
            ["echo", "'single quoted'", "\"double quoted\"", "back\\\\slash"],
        ]
        for command in commands {
            let ssh = try await OpenSSHClient.run(command.joined(separator: " "), on: sshd)
            let ferry = try await FerryCLI.exec(command, on: sshd)
            #expect(ssh.succeeded && ferry.exit == ssh.exit && ferry.stdout == ssh.stdout && ferry.stderr == ssh.stderr,
                    "\(command): ssh printed \(ssh.stdout.debugDescription), ferry \(ferry.stdout.debugDescription)\n\(ferry.summary)")
        }
        let direct = try await FerryCLI.exec([#"printf '<%s>' 'a b' "c'd" "e\"f""#], on: sshd)
        #expect(direct.stdout == #"<a b><c'd><e"f>"#, "\(direct.summary)")
    }

    @Test("--timeout 1 on sleep 30 fails in about a second with 255, and the remote command is gone")
    func timeout() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        // A sleep no other test runs, to find it among the server's processes.
        let seconds = "30.\(Int.random(in: 100_000...999_999))"
        let clock = ContinuousClock()
        let began = clock.now
        let result = try await FerryCLI.run(["exec", "--timeout", "1"] + FerryCLI.connectionArguments(for: sshd)
                                            + ["\(sshd.user)@\(sshd.host)", "--", "sleep", seconds])
        let elapsed = clock.now - began
        #expect(result.exit == ExitStatus(code: 255, signaled: false), "\(result.summary)")
        #expect(result.stderr.contains("timed out"), "\(result.stderr)")
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(20), "took \(elapsed)")  // well short of the remote sleep 30
        #expect(sshd.log.contains("Starting session: command"), "the command ran before the timeout")

        // The remote sleep ends (SIGTERM by the signal request, or the closed
        // channel) within a few seconds.
        let deadline = clock.now.advanced(by: .seconds(5))
        var survivors: [Int32] = []
        repeat {
            survivors = sshd.serverProcesses.filter { commandLine(of: $0).contains(seconds) }
            if survivors.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        } while clock.now < deadline
        #expect(survivors.isEmpty, "still running: \(survivors.map { "\($0) \(commandLine(of: $0))" })\n\(tail(sshd.log))")
        let pgrep = try await FixtureCommand.run("pgrep", ["-f", "sleep \(seconds)"])
        #expect(pgrep.stdout.isEmpty, "pgrep found \(pgrep.stdout)")
    }

    @Test("a key the server does not know: Permission denied (publickey). and 255")
    func wrongKey() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "wrong-key")
        defer { scratch.remove() }
        let key = try await KeyMaterial.generate(.ed25519, by: .sshKeygen)
        let path = try scratch.write("id_ed25519", key.privateKeyFile, mode: 0o600)
        let result = try await FerryCLI.exec(["echo", "should-not-run"], on: sshd, identity: path)
        #expect(result.exit == ExitStatus(code: 255, signaled: false) && result.stdout.isEmpty, "\(result.summary)")
        #expect(result.stderr.contains("Permission denied (publickey)."), "\(result.stderr)")
    }

    @Test("a key file readable by others is refused with ssh's warning; a 0600 copy of it logs in")
    func unprotectedKey() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "open-key")
        defer { scratch.remove() }
        let text = try String(contentsOfFile: sshd.clientKeyPath, encoding: .utf8)
        let open = try scratch.write("open_key", text, mode: 0o644)
        let closed = try scratch.write("closed_key", text, mode: 0o600)
        let warning = """
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
            @         WARNING: UNPROTECTED PRIVATE KEY FILE!          @
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
            Permissions 0644 for '\(open)' are too open.
            It is required that your private key files are NOT accessible by others.
            This private key will be ignored.
            """
        let noAgent = ["-o", "IdentityAgent=none"]

        let refused = try await FerryCLI.exec(["echo", "should-not-run"], on: sshd, identity: open, options: noAgent)
        #expect(refused.exit == ExitStatus(code: 255, signaled: false) && refused.stdout.isEmpty, "\(refused.summary)")
        #expect(refused.stderr.contains(warning) && refused.stderr.contains("Permission denied (publickey)."), "\(refused.stderr)")

        let fine = try await FerryCLI.exec(["echo", "logged-in"], on: sshd, identity: closed, options: noAgent)
        #expect(fine.succeeded && fine.stdout == "logged-in\n" && !fine.stderr.contains("UNPROTECTED"), "\(fine.summary)")

        // The refused key is skipped, not fatal: the next identity is tried.
        let line = try FerryCLI.execLine(["echo", "second"], on: sshd, identities: [open, closed], options: noAgent)
        let both = try await FerryCLI.shell(line)
        #expect(both.succeeded && both.stdout == "second\n" && both.stderr.contains(warning), "\(both.summary)")

        // -q silences the warning, as LogLevel QUIET does ssh's.
        let quiet = try await FerryCLI.exec(["true"], on: sshd, identity: open, options: noAgent + ["-q"])
        #expect(quiet.exit == ExitStatus(code: 255, signaled: false) && !quiet.stderr.contains("UNPROTECTED"), "\(quiet.summary)")
    }

    @Test("nobody listening: a clear connection-refused message and 255, at once")
    func connectionRefused() async throws {
        let port = try PortPicker.freePort()
        let clock = ContinuousClock()
        let began = clock.now
        let result = try await FerryCLI.run(["exec", "-P", String(port), "-o", "BatchMode=yes",
                                             "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/dev/null",
                                             "ferrytest@127.0.0.1", "--", "true"])
        #expect(result.exit == ExitStatus(code: 255, signaled: false), "\(result.summary)")
        #expect(result.stderr.contains("127.0.0.1") && result.stderr.contains("\(port)")
                && result.stderr.lowercased().contains("connection refused"), "\(result.stderr)")
        // Refused at once rather than retried or hung: any bound far below the
        // 30 s connect timeout proves it without timing the (shared) machine.
        #expect(clock.now - began < .seconds(25))
        // Worded as ssh words it: "connect to host 127.0.0.1 port N: Connection refused".
        #expect(result.stderr.contains("connect to host 127.0.0.1 port \(port): Connection refused"), "\(result.stderr)")
        #expect(!result.stderr.contains("reset") && !result.stderr.contains("errno"), "\(result.stderr)")
    }

    @Test("sshd's Banner is shown on stderr, and -q suppresses it")
    func banner() async throws {
        let files = try FixtureDirectory.create(prefix: "banner", traversable: true)
        defer { files.remove() }
        let text = "Authorized use only: ferry banner test \(UUID().uuidString)\n"
        let bannerPath = try files.write("banner", text, mode: 0o644)
        let sshd = try await SSHDFixture.start(extraConfig: ["Banner \(bannerPath)"])
        defer { sshd.stop() }
        let loud = try await FerryCLI.exec(["echo", "hi"], on: sshd)
        #expect(loud.succeeded && loud.stdout == "hi\n" && loud.stderr.contains(text), "\(loud.summary)")
        let quiet = try await FerryCLI.exec(["echo", "hi"], on: sshd, options: ["-q"])
        #expect(quiet.succeeded && quiet.stdout == "hi\n" && quiet.stderr.isEmpty, "\(quiet.summary)")
    }
}
