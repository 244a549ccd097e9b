import Foundation
import Glibc
import Testing

// Issue 14's resume, Ctrl-C and rate limit, as a user meets them: the
// ferry binary against sshd.

@Suite("get/put: -a says what it does, Ctrl-C keeps what -a continues, -l/--bwlimit")
struct ResumeRateCLITests {
    static let hint = "partial file kept; run the same command with -a to continue"

    /// Starts `ferry command`, waits until `partial` holds `threshold`
    /// bytes, sends SIGINT, and returns how ferry ended and its stderr.
    static func interrupt(_ command: String, _ arguments: [String], on sshd: SSHDFixture, partial: String,
                          threshold: UInt64) async throws -> (ExitStatus?, String) {
        let home = try FixtureDirectory.create(prefix: "ferry-sigint")
        defer { home.remove() }
        let child = try Proof.spawnFerry(command, arguments, on: sshd, home: home)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(60))
        while (Proof.size(partial) ?? 0) < threshold, child.exitStatus == nil, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        child.send(SIGINT)
        let status = await child.wait(timeout: .seconds(20))
        if status == nil { child.send(SIGKILL) }
        return (status, home.read("stderr") ?? "")
    }

    @Test("Ctrl-C during get and put: exit 130, nothing under the final name, one hint; -a finishes sha256-identical")
    func interruptThenResume() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-sigint-files")
        defer { local.remove() }
        let size = 48 << 20
        let source = "\(sshd.scratchDirectory)/big.bin"
        try await Proof.makeRandomFile(source, bytes: size, seed: 14)
        let expected = try await Proof.sha256(source)

        // get, limited so that it is surely still running when interrupted.
        let target = local.file("big.bin")
        let partial = local.file(".big.bin.ferry-part")
        let (status, stderr) = try await Self.interrupt("get", ["--bwlimit", "16M", Proof.remote(sshd, source), target],
                                                         on: sshd, partial: partial, threshold: 4 << 20)
        #expect(status == ExitStatus(code: 130, signaled: false), "get: \(status.map { "\($0)" } ?? "still running")\n\(stderr)")
        #expect(!Proof.exists(target), "an interrupted get left a file under the final name")
        let kept = try #require(Proof.size(partial), "the interrupted get kept no partial file\n\(stderr)")
        #expect(kept > 0 && kept < UInt64(size))
        #expect(Proof.lines(stderr) == ["ferry: interrupted", "ferry: 1 " + Self.hint], "get stderr:\n\(stderr)")

        let resumed = try await Proof.ferry("get", ["-a", Proof.remote(sshd, source), target], on: sshd)
        #expect(resumed.exit == Proof.ok && resumed.stderr.isEmpty, "\(resumed.summary)")
        #expect(Proof.lines(resumed.stdout).first == "Resuming download of \(source) to \(target) at \(kept) bytes", "\(resumed.summary)")
        #expect(Proof.summary(resumed.stdout)?.bytes == UInt64(size) - kept, "\(resumed.summary)")
        #expect(try await Proof.sha256(target) == expected)
        #expect(!Proof.exists(partial))

        // put: the partial file is on the server.
        let remoteTarget = "\(sshd.scratchDirectory)/up.bin"
        let remotePartial = "\(sshd.scratchDirectory)/.up.bin.ferry-part"
        let (putStatus, putStderr) = try await Self.interrupt("put", ["-l", "131072", target, Proof.remote(sshd, remoteTarget)],
                                                               on: sshd, partial: remotePartial, threshold: 4 << 20)
        #expect(putStatus == ExitStatus(code: 130, signaled: false), "put: \(putStatus.map { "\($0)" } ?? "still running")\n\(putStderr)")
        #expect(!Proof.exists(remoteTarget), "an interrupted put left a file under the final name")
        let sent = try #require(Proof.size(remotePartial), "the interrupted put kept no partial file\n\(putStderr)")
        #expect(Proof.lines(putStderr) == ["ferry: interrupted", "ferry: 1 " + Self.hint], "put stderr:\n\(putStderr)")
        let put = try await Proof.ferry("put", ["-a", target, Proof.remote(sshd, remoteTarget)], on: sshd)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(put.summary)")
        #expect(Proof.lines(put.stdout).first == "Resuming upload of \(target) to \(remoteTarget) at \(sent) bytes", "\(put.summary)")
        #expect(try await Proof.sha256(remoteTarget) == expected)
        #expect(!Proof.exists(remotePartial))
    }

    @Test("Ctrl-C during sync both ways: exit 130, nothing under the final name, no deletion, one hint; a rerun finishes identical")
    func syncInterruptThenRerun() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-sigint-sync")
        defer { local.remove() }
        let size = 48 << 20
        let remoteRoot = "\(sshd.scratchDirectory)/tree"
        try Proof.makeDirectory(remoteRoot)
        try await Proof.makeRandomFile("\(remoteRoot)/big.bin", bytes: size, seed: 15)
        Proof.giveToAccount(remoteRoot, sshd)
        let expected = try await Proof.sha256("\(remoteRoot)/big.bin")
        let syncHint = "ferry: 1 partial file kept; run the same command to continue"

        // Down, with a file that --delete would remove once the sync is
        // complete: an interrupted one is not complete.
        let down = local.file("down")
        try Proof.makeDirectory(down)
        try Proof.write("\(down)/extra", Array("not on the server".utf8))
        let (status, stderr) = try await Self.interrupt("sync", ["--delete", "--bwlimit", "16M", Proof.remote(sshd, remoteRoot), down],
                                                         on: sshd, partial: "\(down)/.big.bin.ferry-part", threshold: 4 << 20)
        #expect(status == ExitStatus(code: 130, signaled: false), "sync down: \(status.map { "\($0)" } ?? "still running")\n\(stderr)")
        #expect(Proof.lines(stderr) == ["ferry: interrupted", syncHint], "sync down stderr:\n\(stderr)")
        #expect(!Proof.exists("\(down)/big.bin"), "an interrupted sync left a file under the final name")
        #expect(Proof.exists("\(down)/extra"), "an interrupted sync deleted")
        let kept = try #require(Proof.size("\(down)/.big.bin.ferry-part"), "the interrupted sync kept no partial file\n\(stderr)")
        #expect(kept > 0 && kept < UInt64(size))

        let rerun = try await Proof.ferry("sync", ["--delete", Proof.remote(sshd, remoteRoot), down], on: sshd)
        #expect(rerun.exit == Proof.ok && rerun.stderr.isEmpty, "\(rerun.summary)")
        #expect(try await Proof.sha256("\(down)/big.bin") == expected)
        #expect(Proof.names(down) == ["big.bin"], "the rerun left \(Proof.names(down) ?? [])")

        // Up: the partial file is on the server.
        let upRoot = "\(sshd.scratchDirectory)/up"
        let (putStatus, putStderr) = try await Self.interrupt("sync", ["--bwlimit", "16M", down, Proof.remote(sshd, upRoot)],
                                                               on: sshd, partial: "\(upRoot)/.big.bin.ferry-part", threshold: 4 << 20)
        #expect(putStatus == ExitStatus(code: 130, signaled: false), "sync up: \(putStatus.map { "\($0)" } ?? "still running")\n\(putStderr)")
        #expect(Proof.lines(putStderr) == ["ferry: interrupted", syncHint], "sync up stderr:\n\(putStderr)")
        #expect(!Proof.exists("\(upRoot)/big.bin"), "an interrupted sync left a file under the final name")
        #expect(Proof.size("\(upRoot)/.big.bin.ferry-part") != nil, "the interrupted sync kept no partial file\n\(putStderr)")
        let upAgain = try await Proof.ferry("sync", [down, Proof.remote(sshd, upRoot)], on: sshd)
        #expect(upAgain.exit == Proof.ok && upAgain.stderr.isEmpty, "\(upAgain.summary)")
        #expect(try await Proof.sha256("\(upRoot)/big.bin") == expected)
        #expect(Proof.names(upRoot) == ["big.bin"], "the rerun left \(Proof.names(upRoot) ?? [])")
    }

    @Test("-a continues what sftp or scp left under the final name, skips a complete file, replaces a longer one")
    func finalNameResume() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-final-resume")
        defer { local.remove() }
        let size = (3 << 20) + 4321
        let contents = Proof.bytes(size, seed: 9)
        let source = "\(sshd.scratchDirectory)/file.bin"
        try Proof.write(source, contents)
        let target = local.file("file.bin")
        let have = 1 << 20
        try Proof.write(target, Array(contents[..<have]))

        let get = try await Proof.ferry("get", ["-a", Proof.remote(sshd, source), target], on: sshd)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "\(get.summary)")
        #expect(Proof.lines(get.stdout).first == "Resuming download of \(source) to \(target) at \(have) bytes", "\(get.summary)")
        #expect(Proof.summary(get.stdout)?.bytes == UInt64(size - have), "\(get.summary)")
        Proof.expectHolds(target, contents, "get -a of a shorter file")
        #expect(Proof.names(local.path) == ["file.bin"])

        let again = try await Proof.ferry("get", ["-a", Proof.remote(sshd, source), target], on: sshd)
        #expect(again.exit == Proof.ok, "\(again.summary)")
        #expect(again.stderr == "ferry: \(target): already complete, skipped\n", "\(again.summary)")
        let skipped = Proof.summary(again.stdout)
        #expect(skipped?.files == 0 && skipped?.bytes == 0, "\(again.summary)")
        let quiet = try await Proof.ferry("get", ["-a", "-q", Proof.remote(sshd, source), target], on: sshd)
        #expect(quiet.exit == Proof.ok && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.summary)")

        try Proof.write(target, contents + Array("tail".utf8))
        let longer = try await Proof.ferry("get", ["-a", Proof.remote(sshd, source), target], on: sshd)
        #expect(longer.exit == Proof.ok, "\(longer.summary)")
        #expect(longer.stderr.contains("larger than the source"), "\(longer.summary)")
        #expect(Proof.summary(longer.stdout)?.bytes == UInt64(size), "\(longer.summary)")
        Proof.expectHolds(target, contents, "get -a of a longer file")

        let remoteTarget = "\(sshd.scratchDirectory)/put.bin"
        try Proof.write(remoteTarget, Array(contents[..<have]))
        Proof.giveToAccount(remoteTarget, sshd)
        let put = try await Proof.ferry("put", ["-a", target, Proof.remote(sshd, remoteTarget)], on: sshd)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(put.summary)")
        #expect(Proof.lines(put.stdout).first == "Resuming upload of \(target) to \(remoteTarget) at \(have) bytes", "\(put.summary)")
        #expect(Proof.summary(put.stdout)?.bytes == UInt64(size - have), "\(put.summary)")
        Proof.expectHolds(remoteTarget, contents, "put -a of a shorter file")
        let putAgain = try await Proof.ferry("put", ["-a", target, Proof.remote(sshd, remoteTarget)], on: sshd)
        #expect(putAgain.exit == Proof.ok && putAgain.stderr.contains("already complete, skipped"), "\(putAgain.summary)")
    }

    @Test("--bwlimit and -l hold the rate down (a lower bound only: never faster than the limit)")
    func rateLimitIsHonoured() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-bwlimit")
        defer { local.remove() }
        let size = 6 << 20
        let source = "\(sshd.scratchDirectory)/limited.bin"
        try await Proof.makeRandomFile(source, bytes: size, seed: 15)
        // 4 MiB/s: at least 1.4 s for 6 MiB (less what the bucket holds at the start).
        let get = try await Proof.ferry("get", ["--bwlimit", "4M", Proof.remote(sshd, source), local.file("a")], on: sshd)
        #expect(get.exit == Proof.ok, "\(get.summary)")
        #expect((Proof.summary(get.stdout)?.seconds ?? 0) >= 1.4, "\(get.summary)")
        // -l 32768 Kbit/s = 4 MiB/s, as scp counts it.
        let put = try await Proof.ferry("put", ["-l", "32768", local.file("a"), Proof.remote(sshd, "\(sshd.scratchDirectory)/b")], on: sshd)
        #expect(put.exit == Proof.ok, "\(put.summary)")
        #expect((Proof.summary(put.stdout)?.seconds ?? 0) >= 1.4, "\(put.summary)")
        #expect(try await Proof.sha256("\(sshd.scratchDirectory)/b") == (try await Proof.sha256(source)))
        let bad = try await Proof.ferry("get", ["--bwlimit", "fast", Proof.remote(sshd, source), local.file("c")], on: sshd)
        #expect(bad.exit != Proof.ok && bad.stderr.contains("--bwlimit"), "\(bad.summary)")
    }
}
