import Foundation
import Glibc
import Testing

/// What get and put show while they run (issue 14): the progress meter on
/// a terminal (through a pseudo-terminal made by script(1)), none on a
/// pipe unless --progress, none with -q; a line per file at -v, protocol
/// detail at -vv/-vvv; JSON Lines with --json, parsed, for get and put,
/// with and without a failing file. A slow link (a throttling relay as
/// ProxyCommand) makes the transfer last long enough for the meter.
@Suite("ferry get/put output: progress meter, -v, --json", .serialized)
struct TransferOutputCLITests {
    /// What only the meter prints: its ETA column (" 00:07 ETA"). A bare
    /// "ETA" also turns up in a temporary directory's random name.
    static let meter = " ETA"

    /// A relay between ferry and the fixture's sshd that moves at most
    /// `rate` bytes per second each way.
    static let relay = """
        import os, socket, sys, threading, time
        host, port, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
        s = socket.create_connection((host, port))
        def up():
            while True:
                d = os.read(0, 16384)
                if not d:
                    s.shutdown(socket.SHUT_WR)
                    return
                s.sendall(d)
                time.sleep(len(d) / rate)
        threading.Thread(target=up, daemon=True).start()
        while True:
            d = s.recv(16384)
            if not d:
                break
            k = len(d)
            while d:
                n = os.write(1, d)
                d = d[n:]
            time.sleep(k / rate)
        """

    /// `-o ProxyCommand=…` through the relay at `rate` bytes per second.
    static func slowLink(_ sshd: SSHDFixture, _ work: FixtureDirectory, rate: Int) throws -> [String] {
        let script = work.file("relay.py")
        try Proof.write(script, Array(relay.utf8))
        return ["-o", "ProxyCommand=python3 \(script) %h %p \(rate)"]
    }

    /// Runs ferry with its standard error (and output) on a pseudo-terminal
    /// made by script(1); returns what the terminal received.
    static func onTerminal(_ arguments: [String]) async throws -> CommandResult {
        let ferry = try #require(FerryCLI.executable, "the ferry executable was not found")
        let inner = ([ferry] + arguments).map(shellQuoted).joined(separator: " ")
        return try await FerryCLI.shell("COLUMNS=120 script -q -e -c \(shellQuoted(inner)) /dev/null", timeout: .seconds(90))
    }

    /// A remote file of `count` bytes in the fixture's scratch directory.
    static func remoteFile(_ sshd: SSHDFixture, _ name: String, bytes count: Int) throws -> String {
        let path = "\(sshd.scratchDirectory)/\(name)"
        try Proof.write(path, Proof.bytes(count, seed: UInt64(count)))
        Proof.giveToAccount(path, sshd)
        return path
    }

    @Test("a terminal gets a meter (percent, sizes, files, rate, ETA), cleared for the summary; -q none")
    func meterOnTerminal() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let work = try FixtureDirectory.create(prefix: "progress-tty", traversable: true)
        defer { work.remove() }
        let remote = try Self.remoteFile(sshd, "big.bin", bytes: 1_500_000)
        let link = try Self.slowLink(sshd, work, rate: 750_000)
        let arguments = ["get"] + FerryCLI.connectionArguments(for: sshd, options: link) + [Proof.remote(sshd, remote), work.file("big.bin")]
        let shown = try await Self.onTerminal(arguments)
        #expect(shown.succeeded, "\(shown.summary)")
        let text = shown.stdout
        #expect(text.contains(Self.meter) && text.contains("%") && text.contains("/s") && text.contains("1 files"), "\(text)")
        #expect(text.contains("big.bin"), "the current file's name: \(text)")
        // The meter redraws in place and is cleared before the summary.
        #expect(text.contains("\r"), "\(text)")
        let clear = try #require(text.range(of: "\u{1B}[K", options: .backwards))
        let summary = try #require(text.range(of: "1 file, 1500000 bytes"))
        #expect(clear.upperBound <= summary.lowerBound, "\(text)")
        #expect(Proof.size(work.file("big.bin")) == 1_500_000)

        let quiet = try await Self.onTerminal(["get", "-q"] + FerryCLI.connectionArguments(for: sshd, options: link)
                                              + [Proof.remote(sshd, remote), work.file("quiet.bin")])
        #expect(quiet.succeeded, "\(quiet.summary)")
        #expect(!quiet.stdout.contains(Self.meter) && !quiet.stdout.contains("bytes in"), "-q: \(quiet.stdout)")
    }

    @Test("no meter when standard error is not a terminal, unless --progress")
    func meterOnlyOnTerminalOrAsked() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let work = try FixtureDirectory.create(prefix: "progress-pipe", traversable: true)
        defer { work.remove() }
        let source = work.file("up.bin")
        try Proof.write(source, Proof.bytes(1_000_000, seed: 3))
        let link = try Self.slowLink(sshd, work, rate: 700_000)
        let destination = Proof.remote(sshd, "\(sshd.scratchDirectory)/up.bin")
        let plain = try await FerryCLI.run(["put"] + FerryCLI.connectionArguments(for: sshd, options: link) + [source, destination])
        #expect(plain.succeeded, "\(plain.summary)")
        #expect(!plain.stderr.contains(Self.meter) && !plain.stderr.contains("\r"), "\(plain.summary)")
        let forced = try await FerryCLI.run(["put", "--progress"] + FerryCLI.connectionArguments(for: sshd, options: link)
                                            + [source, destination])
        #expect(forced.succeeded, "\(forced.summary)")
        #expect(forced.stderr.contains(Self.meter) && forced.stderr.contains("up.bin"), "\(forced.summary)")
        #expect(forced.stdout.contains("1 file, 1000000 bytes"), "\(forced.summary)")
    }

    @Test("-v lists each file as it completes; -vv adds the SFTP session; -vvv each file's start")
    func verboseLines() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let work = try FixtureDirectory.create(prefix: "progress-v", traversable: true)
        defer { work.remove() }
        let tree = "\(sshd.scratchDirectory)/tree"
        try Proof.makeDirectory(tree)
        Proof.giveToAccount(tree, sshd)
        for (name, size) in [("one.txt", 10), ("two.bin", 20_000), ("three.dat", 0)] {
            _ = try Self.remoteFile(sshd, "tree/\(name)", bytes: size)
        }
        let v = try await Proof.ferry("get", ["-v", "-r", Proof.remote(sshd, tree), work.file("v")], on: sshd)
        #expect(v.succeeded, "\(v.summary)")
        let lines = Proof.lines(v.stderr)
        for (name, size) in [("one.txt", "10B"), ("two.bin", "20.0kB"), ("three.dat", "0B")] {
            let line = lines.first { $0.hasPrefix(work.file("v/\(name)")) }
            #expect(line.map { $0.contains("  \(size)  ") && $0.hasSuffix("s") } == true,
                    "\(name): \(v.stderr)")
        }
        #expect(!v.stderr.contains("debug2:"), "\(v.stderr)")
        let quietV = try await Proof.ferry("get", ["-r", Proof.remote(sshd, tree), work.file("none")], on: sshd)
        #expect(!quietV.stderr.contains("one.txt"), "no -v, no file lines: \(quietV.stderr)")

        let vv = try await Proof.ferry("get", ["-vv", "-r", Proof.remote(sshd, tree), work.file("vv")], on: sshd)
        #expect(vv.succeeded, "\(vv.summary)")
        #expect(vv.stderr.contains("debug2: SFTP version 3"), "\(vv.stderr)")
        #expect(vv.stderr.contains("debug2: server extension posix-rename@openssh.com"), "\(vv.stderr)")
        #expect(!vv.stderr.contains("debug3:"), "\(vv.stderr)")
        // Its own close at the end is not a failure.
        #expect(!vv.stderr.contains("connection failed"), "\(vv.stderr)")
        #expect(vv.stderr.contains("debug2: connection closed by this client"), "\(vv.stderr)")
        let vvv = try await Proof.ferry("get", ["-vvv", "-r", Proof.remote(sshd, tree), work.file("vvv")], on: sshd)
        #expect(vvv.succeeded, "\(vvv.summary)")
        #expect(vvv.stderr.contains("debug3: \(work.file("vvv/two.bin")): started, 20000 bytes"), "\(vvv.stderr)")
    }

    /// The JSON objects of `stdout`, one per line; records an issue for a
    /// line that is not one.
    static func events(_ stdout: String) -> [[String: Any]] {
        Proof.lines(stdout).compactMap { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            if object == nil { Issue.record("not a JSON object on stdout: \(line)") }
            return object
        }
    }

    static func files(_ events: [[String: Any]], _ status: String) -> [[String: Any]] {
        events.filter { $0["event"] as? String == "file" && $0["status"] as? String == status }
    }

    @Test("--json get: start with the totals, one event per file (a failing one too), a summary; only JSON on stdout")
    func jsonGet() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let work = try FixtureDirectory.create(prefix: "progress-json", traversable: true)
        defer { work.remove() }
        let tree = "\(sshd.scratchDirectory)/tree"
        try Proof.makeDirectory(tree)
        Proof.giveToAccount(tree, sshd)
        _ = try Self.remoteFile(sshd, "tree/a.txt", bytes: 100)
        _ = try Self.remoteFile(sshd, "tree/b.bin", bytes: 70_000)
        let good = try await Proof.ferry("get", ["--json", "-r", Proof.remote(sshd, tree), work.file("good")], on: sshd)
        #expect(good.succeeded, "\(good.summary)")
        var events = Self.events(good.stdout)
        #expect(events.first?["event"] as? String == "start", "\(good.stdout)")
        #expect(events.first?["files_total"] as? Int == 2 && events.first?["bytes_total"] as? Int == 70_100, "\(good.stdout)")
        let finished = Self.files(events, "finished")
        #expect(Set(finished.compactMap { $0["path"] as? String }) == [work.file("good/a.txt"), work.file("good/b.bin")], "\(good.stdout)")
        #expect(finished.first { ($0["path"] as? String)?.hasSuffix("b.bin") == true }?["bytes"] as? Int == 70_000)
        #expect(finished.allSatisfy { $0["seconds"] is Double || $0["seconds"] is Int }, "\(good.stdout)")
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary" && summary["status"] as? String == "ok"
                && summary["files"] as? Int == 2 && summary["bytes"] as? Int == 70_100 && summary["failed"] as? Int == 0, "\(good.stdout)")
        #expect(!good.stdout.contains("bytes in"), "no human summary on stdout: \(good.stdout)")

        // A file the account cannot read: a failed event with its path and the error.
        try Proof.write("\(tree)/secret", Array("no".utf8), mode: 0o600)
        let bad = try await Proof.ferry("get", ["--json", "-r", Proof.remote(sshd, tree), work.file("bad")], on: sshd)
        #expect(bad.exit == Proof.someFailed, "\(bad.summary)")
        events = Self.events(bad.stdout)
        #expect(events.first?["files_total"] as? Int == 3, "\(bad.stdout)")
        let failed = Self.files(events, "failed")
        #expect(failed.count == 1, "\(bad.stdout)")
        #expect(failed.first?["path"] as? String == work.file("bad/secret"), "\(bad.stdout)")
        #expect((failed.first?["error"] as? String)?.lowercased().contains("permission denied") == true, "\(bad.stdout)")
        #expect(Self.files(events, "finished").count == 2, "\(bad.stdout)")
        #expect(events.last?["event"] as? String == "summary" && events.last?["status"] as? String == "failed"
                && events.last?["failed"] as? Int == 1, "\(bad.stdout)")
        #expect(bad.stderr.contains("secret"), "the human error still on stderr: \(bad.summary)")

        let refused = try await Proof.ferry("get", ["--json", Proof.remote(sshd, "\(tree)/a.txt"), "-"], on: sshd)
        #expect(refused.exit.code != 0 && refused.stderr.contains("--json"), "\(refused.summary)")
    }

    @Test("--json put: a file that cannot land is a failed event; progress events throttled and parsed")
    func jsonPut() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let work = try FixtureDirectory.create(prefix: "progress-jput", traversable: true)
        defer { work.remove() }
        try Proof.write(work.file("a.txt"), Array("alpha\n".utf8))
        try Proof.write(work.file("b.txt"), Array("beta\n".utf8))
        try Proof.write(work.file("big.bin"), Proof.bytes(1_000_000, seed: 9))
        let out = "\(sshd.scratchDirectory)/out"
        try Proof.makeDirectory(out)
        Proof.giveToAccount(out, sshd)
        // b.txt's destination is a directory: that file fails, a.txt lands.
        try Proof.makeDirectory("\(out)/b.txt")
        let result = try await Proof.ferry("put", ["--json", work.file("a.txt"), work.file("b.txt"), Proof.remote(sshd, out)], on: sshd)
        #expect(result.exit == Proof.someFailed, "\(result.summary)")
        let events = Self.events(result.stdout)
        #expect(events.first?["event"] as? String == "start" && events.first?["files_total"] as? Int == 2
                && events.first?["bytes_total"] as? Int == 11, "\(result.stdout)")
        #expect(Self.files(events, "finished").map { $0["path"] as? String } == ["\(out)/a.txt"], "\(result.stdout)")
        let failed = Self.files(events, "failed")
        #expect(failed.map { $0["path"] as? String } == ["\(out)/b.txt"], "\(result.stdout)")
        #expect((failed.first?["error"] as? String)?.contains("is a directory") == true, "\(result.stdout)")
        #expect(events.last?["event"] as? String == "summary" && events.last?["files"] as? Int == 1
                && events.last?["failed"] as? Int == 1, "\(result.stdout)")

        // Over a slow link: progress events, at most a few a second, growing.
        let link = try Self.slowLink(sshd, work, rate: 500_000)
        let slow = try await FerryCLI.run(["put", "--json"] + FerryCLI.connectionArguments(for: sshd, options: link)
                                          + [work.file("big.bin"), Proof.remote(sshd, out)])
        #expect(slow.succeeded, "\(slow.summary)")
        let slowEvents = Self.events(slow.stdout)
        let progress = slowEvents.filter { $0["event"] as? String == "progress" }
        #expect(!progress.isEmpty, "\(slow.stdout)")
        let bytes = progress.compactMap { $0["bytes"] as? Int }
        #expect(bytes == bytes.sorted() && bytes.allSatisfy { $0 <= 1_000_000 }, "\(slow.stdout)")
        let times = progress.compactMap { ($0["seconds"] as? NSNumber)?.doubleValue }
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= 0.099 }, "more than 10 a second: \(times)")
        #expect(progress.allSatisfy { $0["bytes_total"] as? Int == 1_000_000 && $0["files_total"] as? Int == 1 }, "\(slow.stdout)")
        #expect(slowEvents.last?["event"] as? String == "summary", "\(slow.stdout)")
        #expect(!slow.stderr.contains(Self.meter), "no meter with --json on a pipe: \(slow.stderr)")
    }

    @Test("ferry sftp: the progress command turns the meter on in a batch (off by default there, as sftp)")
    func sftpProgressCommand() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let work = try FixtureDirectory.create(prefix: "progress-sftp", traversable: true)
        defer { work.remove() }
        let remote = try Self.remoteFile(sshd, "big.bin", bytes: 1_000_000)
        let link = try Self.slowLink(sshd, work, rate: 600_000)
        let on = work.file("on.batch")
        try Proof.write(on, Array("progress\nget \(remote) \(work.file("on.bin"))\n".utf8))
        let off = work.file("off.batch")
        try Proof.write(off, Array("get \(remote) \(work.file("off.bin"))\n".utf8))
        let shownOn = try await Self.onTerminal(["sftp", "-b", on] + FerryCLI.connectionArguments(for: sshd, options: link)
                                                + ["\(sshd.user)@\(sshd.host)"])
        #expect(shownOn.succeeded, "\(shownOn.summary)")
        #expect(shownOn.stdout.contains("Progress meter enabled") && shownOn.stdout.contains(Self.meter), "\(shownOn.stdout)")
        #expect(Proof.size(work.file("on.bin")) == 1_000_000)
        let shownOff = try await Self.onTerminal(["sftp", "-b", off] + FerryCLI.connectionArguments(for: sshd, options: link)
                                                 + ["\(sshd.user)@\(sshd.host)"])
        #expect(shownOff.succeeded, "\(shownOff.summary)")
        #expect(!shownOff.stdout.contains(Self.meter), "\(shownOff.stdout)")
    }
}
