import Foundation
import Glibc
import Testing

// `ferry exec` forwards its standard input as ssh does: piped or redirected
// bytes reach the remote command whole, followed by EOF; -n sends none and
// leaves our stdin unread; and the command's end, not the input's, ends
// ferry (`yes | ferry exec host -- head -1`, a stdin nobody writes to).

@Suite("ferry exec standard input against sshd")
struct ClientExecInputTests {
    @Test("piped stdin reaches the command, then EOF: cat ends and the next command runs")
    func pipedInput() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let ferry = try FerryCLI.execLine(["cat; echo done"], on: sshd)
        let result = try await FerryCLI.shell("printf 'piped\\n' | \(ferry)")
        #expect(result.succeeded && result.stdout == "piped\ndone\n", "\(result.summary)")

        let files = try FixtureDirectory.create(prefix: "exec-input")
        defer { files.remove() }
        let path = try files.write("small", String(repeating: "0123456789", count: 100), mode: 0o600)
        let count = try await FerryCLI.shell("\(try FerryCLI.execLine(["wc", "-c"], on: sshd)) < \(shellQuoted(path))")
        #expect(count.succeeded && count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1000", "\(count.summary)")
    }

    @Test("20 MiB through < file and 5 MiB through a pipe arrive intact (sha256), well past sshd's 2 MiB window")
    func largeInputArrivesIntact() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let files = try FixtureDirectory.create(prefix: "exec-large")
        defer { files.remove() }
        for (name, size) in [("big", 20 << 20), ("piped", 5 << 20)] {
            try await FixtureCommand.check("/bin/sh", ["-c", "head -c \(size) /dev/urandom > \(shellQuoted(files.file(name)))"])
        }
        let sha = try FerryCLI.execLine(["sha256sum"], on: sshd)
        for (name, script) in [("big", "\(sha) < \(shellQuoted(files.file("big")))"),
                               ("piped", "cat \(shellQuoted(files.file("piped"))) | \(sha)")] {
            let local = try await FixtureCommand.run("sha256sum", [files.file(name)])
            let expected = try #require(local.stdout.split(separator: " ").first.map(String.init))
            let remote = try await FerryCLI.shell(script, timeout: .seconds(120))
            #expect(remote.succeeded && remote.stdout == "\(expected)  -\n", "\(name): expected \(expected)\n\(remote.summary)")
        }
    }

    @Test("the window bounds what is read: a command that does not read leaves most of a 32 MiB stdin unread")
    func readingFollowsTheWindow() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let files = try FixtureDirectory.create(prefix: "exec-window")
        defer { files.remove() }
        let size = 32 << 20
        _ = try files.write("input", [UInt8](repeating: 0x61, count: size), mode: 0o600)
        // ferry and wc share one open file: wc counts what ferry left unread.
        let ferry = try FerryCLI.execLine(["sleep 2"], on: sshd)
        let result = try await FerryCLI.shell("{ \(ferry); wc -c; } < \(shellQuoted(files.file("input")))")
        let left = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        // sshd's window (2 MiB) plus one chunk and the remote pipe's buffer: far below 32 MiB.
        #expect(result.succeeded && left.map { $0 >= size - (4 << 20) && $0 < size } == true,
                "ferry read \(left.map { size - $0 } ?? -1) bytes\n\(result.summary)")
    }

    @Test("-n: the command reads EOF at once, and our stdin is left for the next reader")
    func noInput() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let ferry = try FerryCLI.execLine(["cat; echo done"], on: sshd, options: ["-n"])
        let result = try await FerryCLI.shell("printf 'not for the command\\n' | { \(ferry); cat; }")
        #expect(result.succeeded && result.stdout == "done\nnot for the command\n", "\(result.summary)")
    }

    @Test("yes | ferry exec host -- head -1: ferry ends when the command does, with its status")
    func commandEndsBeforeInput() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let clock = ContinuousClock()
        for (command, status) in [("head -1", Int32(0)), ("head -1; exit 3", 3)] {
            let began = clock.now
            let result = try await FerryCLI.shell("yes | \(try FerryCLI.execLine([command], on: sshd))", timeout: .seconds(60))
            #expect(!result.timedOut && result.exit == ExitStatus(code: status, signaled: false) && result.stdout == "y\n",
                    "\(result.summary)")
            // Far below the 60 s limit: ferry did not wait for `yes` to end.
            #expect(clock.now - began < .seconds(30), "took \(clock.now - began)")
        }
    }

    @Test("a stdin that never ends (an idle pipe, as a terminal), is closed or is write-only (nohup) does not hold or fail ferry")
    func idleOrClosedInput() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        guard let executable = FerryCLI.executable else { Issue.record("ferry binary not built"); return }
        let scratch = try FixtureDirectory.create(prefix: "exec-idle")
        defer { scratch.remove() }
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }  // the write end stays open, unwritten, until ferry is done
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = scratch.path
        environment.removeValue(forKey: "SSH_AUTH_SOCK")
        let arguments = ["exec"] + FerryCLI.connectionArguments(for: sshd) + ["\(sshd.user)@\(sshd.host)", "--", "echo", "hi"]
        let child = try ChildProcess.spawn(executable, arguments, environment: environment, stdinDescriptor: ends[0],
                                           stdout: scratch.file("stdout"), stderr: scratch.file("stderr"))
        var status = await child.wait(timeout: .seconds(30))
        if status == nil {
            child.send(SIGKILL)
            status = await child.wait(timeout: .seconds(10))
        }
        let stdout = FileManager.default.contents(atPath: scratch.file("stdout")).map { String(decoding: $0, as: UTF8.self) }
        let stderr = FileManager.default.contents(atPath: scratch.file("stderr")).map { String(decoding: $0, as: UTF8.self) }
        #expect(status == ExitStatus(code: 0, signaled: false) && stdout == "hi\n",
                "\(String(describing: status)): \(stdout ?? "") \(stderr ?? "")")

        let line = try FerryCLI.execLine(["cat; echo done"], on: sshd)
        let closed = try await FerryCLI.shell("\(line) <&-")
        #expect(closed.succeeded && closed.stdout == "done\n", "\(closed.summary)")
        // Open write-only, as nohup leaves it: no input, not a failed read.
        let writeOnly = try await FerryCLI.shell("\(line) 0>/dev/null")
        #expect(writeOnly.succeeded && writeOnly.stdout == "done\n", "\(writeOnly.summary)")
    }
}
