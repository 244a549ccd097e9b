import Foundation
import Glibc
import Testing

// `ferry sync` end to end against a real OpenSSH sshd (internal-sftp,
// exec through /bin/sh), both directions: first sync, no-change resync,
// changes with --delete, dry run, --checksum with hashing over exec,
// filters, unreadable files, a file changing during the sync, and kill -9
// mid-sync then a rerun. Trees hold 0-byte and multi-MiB files and names
// with spaces, quotes, newlines and non-ASCII.

@Suite("ferry sync against sshd", .serialized)
struct SyncCLITests {
    /// Every entry under `root`: relative path → "dir", "link:target" or
    /// "file:sha256@mtime". Partial files are listed too (none may be left).
    static func snapshot(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            guard let st = Proof.status("\(root)/\(relative)") else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: result[relative] = "dir"
            case S_IFLNK: result[relative] = "link"
            default:
                let contents = Proof.contents("\(root)/\(relative)") ?? []
                result[relative] = "file:\(contents.count):\(contents.hashValue)@\(st.st_mtim.tv_sec)"
            }
        }
        return result
    }

    /// Writes `contents` at `root/relative` (parents made), with `mtime`.
    static func write(_ root: String, _ relative: String, _ contents: [UInt8], mtime: Int = 1_650_000_000,
                      for sshd: SSHDFixture? = nil) throws {
        let path = "\(root)/\(relative)"
        try Proof.makeDirectory((path as NSString).deletingLastPathComponent)
        try Proof.write(path, contents)
        Proof.setTimes(path, access: mtime, modification: mtime)
        if let sshd { giveTree(root, sshd) }
    }

    /// Gives every entry under `root` to the fixture's account.
    static func giveTree(_ root: String, _ sshd: SSHDFixture) {
        Proof.giveToAccount(root, sshd)
        for relative in FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [] {
            lchown("\(root)/\(relative)", sshd.server.account.uid, sshd.server.account.gid)
        }
    }

    /// A tree with awkward names and sizes.
    static func makeTree(_ root: String, for sshd: SSHDFixture? = nil) throws {
        try write(root, "empty", [])
        try write(root, "big.bin", Proof.bytes(3 << 20, seed: 5))
        try write(root, "with space/it's \"quoted\"", Array("quotes".utf8))
        try write(root, "new\nline", Array("newline".utf8))
        try write(root, "caf\u{e9}/\u{65e5}\u{672c}\u{8a9e}.txt", Array("unicode".utf8))
        for d in 0..<3 {
            for f in 0..<20 { try write(root, "d\(d)/f\(f)", Proof.bytes(100 + f * 37, seed: UInt64(d * 100 + f))) }
        }
        try Proof.makeDirectory("\(root)/emptydir")
        if let sshd { giveTree(root, sshd) }
    }

    /// The itemized lines of `stdout` that start with `word`.
    static func lines(_ stdout: String, _ word: String) -> [String] {
        Proof.lines(stdout).filter { $0.hasPrefix(word + " ") }.map { String($0.dropFirst(8)) }.sorted()
    }

    /// The numbers of the summary line: checked, transferred, deleted, bytes.
    static func summary(_ stdout: String) -> (checked: Int, transferred: Int, deleted: Int, bytes: UInt64)? {
        guard let last = Proof.lines(stdout).last,
              let pattern = try? Regex(#"^([0-9]+) checked, ([0-9]+) transferred, ([0-9]+) deleted, ([0-9]+) bytes in [0-9.]+ s \([0-9.]+ MB/s\)"#),
              let match = try? pattern.prefixMatch(in: last) else { return nil }
        func number(_ index: Int) -> UInt64? { match.output[index].substring.flatMap { UInt64($0) } }
        guard let c = number(1), let t = number(2), let d = number(3), let b = number(4) else { return nil }
        return (Int(c), Int(t), Int(d), b)
    }

    static let fileCount = 65

    @Test("both ways: first sync, no-change resync, changes with --delete, dry run")
    func bothWays() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "sync-cli")
        defer { local.remove() }
        let remoteRoot = "\(sshd.scratchDirectory)/up"
        try Self.makeTree(local.file("src"))

        // Upload into a target that does not exist yet; a trailing slash on
        // the source means the same as none.
        let first = try await Proof.ferry("sync", [local.file("src") + "/", Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(first.exit == Proof.ok && first.stderr.isEmpty, "\(first.summary)")
        #expect(Self.lines(first.stdout, "new").count == Self.fileCount)
        #expect(Self.summary(first.stdout)?.transferred == Self.fileCount, "\(first.stdout)")
        #expect(Self.snapshot(remoteRoot) == Self.snapshot(local.file("src")))

        let again = try await Proof.ferry("sync", [local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(again.exit == Proof.ok && again.stderr.isEmpty, "\(again.summary)")
        let quiet = Self.summary(again.stdout)
        #expect(quiet?.checked == Self.fileCount && quiet?.transferred == 0 && quiet?.bytes == 0, "\(again.stdout)")
        #expect(Proof.lines(again.stdout).count == 1, "nothing but the summary: \(again.stdout)")

        // Download the server's copy back: identical to the source.
        let down = try await Proof.ferry("sync", [Proof.remote(sshd, remoteRoot), local.file("down")], on: sshd)
        #expect(down.exit == Proof.ok && down.stderr.isEmpty, "\(down.summary)")
        #expect(Self.snapshot(local.file("down")) == Self.snapshot(local.file("src")))
        let downAgain = try await Proof.ferry("sync", [Proof.remote(sshd, remoteRoot), local.file("down")], on: sshd)
        #expect(Self.summary(downAgain.stdout)?.transferred == 0, "\(downAgain.stdout)")

        // Changed, added, removed; a dry run first changes nothing.
        try Self.write(local.file("src"), "d0/f0", Proof.bytes(100, seed: 999), mtime: 1_650_000_100)
        try Self.write(local.file("src"), "d1/added", Array("added".utf8))
        try FileManager.default.removeItem(atPath: local.file("src/d2"))
        try FileManager.default.removeItem(atPath: local.file("src/new\nline"))
        let before = Self.snapshot(remoteRoot)
        let dry = try await Proof.ferry("sync", ["-n", "--delete", local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(dry.exit == Proof.ok, "\(dry.summary)")
        #expect(Self.snapshot(remoteRoot) == before, "a dry run changed the target")
        #expect(Self.lines(dry.stdout, "updated") == ["d0/f0"])
        #expect(Self.lines(dry.stdout, "new") == ["d1/added"])
        #expect(Self.lines(dry.stdout, "deleted").count == 22, "\(dry.stdout)")
        #expect(Self.lines(dry.stdout, "deleted").contains("new\\nline"), "names are escaped on their line")

        let synced = try await Proof.ferry("sync", ["--delete", local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(synced.exit == Proof.ok && synced.stderr.isEmpty, "\(synced.summary)")
        #expect(Self.summary(synced.stdout)?.deleted == 22 && Self.summary(synced.stdout)?.transferred == 2, "\(synced.stdout)")
        #expect(Self.snapshot(remoteRoot) == Self.snapshot(local.file("src")))

        let pulled = try await Proof.ferry("sync", ["--delete", "-q", Proof.remote(sshd, remoteRoot), local.file("down")], on: sshd)
        #expect(pulled.exit == Proof.ok && pulled.stdout.isEmpty && pulled.stderr.isEmpty, "-q prints nothing: \(pulled.summary)")
        #expect(Self.snapshot(local.file("down")) == Self.snapshot(local.file("src")))
    }

    @Test("over several channels and connections, find over exec racing SFTP listing: both ways identical, a resync does nothing")
    func sessionsAndFind() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "sync-sessions")
        defer { local.remove() }
        let remoteRoot = "\(sshd.scratchDirectory)/up"
        try Self.makeTree(local.file("src"))
        for d in 0..<4 {
            for f in 0..<30 { try Self.write(local.file("src"), "many/d\(d)/f\(f)", Proof.bytes(1000 + f * 91, seed: UInt64(d * 1000 + f))) }
        }
        let count = Self.fileCount + 120
        let spread = ["--channels", "3", "--connections", "2"]

        let up = try await Proof.ferry("sync", spread + [local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(up.exit == Proof.ok && up.stderr.isEmpty, "\(up.summary)")
        #expect(Self.summary(up.stdout)?.transferred == count, "\(up.stdout)")
        #expect(Self.snapshot(remoteRoot) == Self.snapshot(local.file("src")))

        // The target exists now: find lists it (names with newlines,
        // quotes and non-ASCII included) while SFTP does too, the first
        // answer taken; either way nothing differs.
        let again = try await Proof.ferry("sync", spread + ["-v", local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(again.exit == Proof.ok, "\(again.summary)")
        #expect(Self.summary(again.stdout).map { $0.checked == count && $0.transferred == 0 } == true, "\(again.stdout)")

        try Self.write(local.file("src"), "many/d1/f7", Array("changed".utf8), mtime: 1_650_000_500)
        try FileManager.default.removeItem(atPath: local.file("src/many/d2"))
        let changed = try await Proof.ferry("sync", spread + ["--delete", local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(changed.exit == Proof.ok && changed.stderr.isEmpty, "\(changed.summary)")
        #expect(Self.lines(changed.stdout, "updated") == ["many/d1/f7"], "\(changed.stdout)")
        #expect(Self.summary(changed.stdout)?.deleted == 31, "\(changed.stdout)")
        #expect(Self.snapshot(remoteRoot) == Self.snapshot(local.file("src")))

        let down = try await Proof.ferry("sync", spread + ["-v", Proof.remote(sshd, remoteRoot), local.file("down")], on: sshd)
        #expect(down.exit == Proof.ok, "\(down.summary)")
        #expect(Self.snapshot(local.file("down")) == Self.snapshot(local.file("src")))
        let downAgain = try await Proof.ferry("sync", spread + [Proof.remote(sshd, remoteRoot), local.file("down")], on: sshd)
        #expect(downAgain.exit == Proof.ok && Self.summary(downAgain.stdout)?.transferred == 0, "\(downAgain.summary)")
    }

    @Test("--checksum finds a same-size, same-mtime change both ways, hashing on the server over exec")
    func checksum() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "sync-sum")
        defer { local.remove() }
        let remoteRoot = "\(sshd.scratchDirectory)/r"
        try Self.makeTree(local.file("src"))
        try Self.makeTree(remoteRoot, for: sshd)
        // Same size and time, other bytes, on each side.
        try Self.write(remoteRoot, "d1/f3", Proof.bytes(100 + 3 * 37, seed: 77), for: sshd)
        try Self.write(remoteRoot, "with space/it's \"quoted\"", Array("QUOTES".utf8), for: sshd)

        let plain = try await Proof.ferry("sync", ["-n", local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(Self.summary(plain.stdout)?.transferred == 0, "size and time agree: \(plain.stdout)")
        let dry = try await Proof.ferry("sync", ["-n", "--checksum", Proof.remote(sshd, remoteRoot), local.file("src")], on: sshd)
        #expect(dry.exit == Proof.ok && dry.stderr.isEmpty, "hashed over exec, no fallback notice: \(dry.summary)")
        #expect(Self.lines(dry.stdout, "updated") == ["d1/f3", "with space/it's \"quoted\""], "\(dry.stdout)")

        let up = try await Proof.ferry("sync", ["--checksum", local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(up.exit == Proof.ok && up.stderr.isEmpty, "\(up.summary)")
        #expect(Self.lines(up.stdout, "updated") == ["d1/f3", "with space/it's \"quoted\""], "\(up.stdout)")
        #expect(Self.snapshot(remoteRoot) == Self.snapshot(local.file("src")))
    }

    @Test("unreadable files are reported, exit 1, and nothing is deleted; filters keep excluded files")
    func failuresAndFilters() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "sync-fail")
        defer { local.remove() }
        let remoteRoot = "\(sshd.scratchDirectory)/r"
        try Self.write(remoteRoot, "ok", Array("fine".utf8), for: sshd)
        try Self.write(remoteRoot, "secret", Array("no".utf8))
        chown("\(remoteRoot)/secret", 0, 0)
        chmod("\(remoteRoot)/secret", 0o600)
        try Self.write(local.file("down"), "extra", Array("keep".utf8))

        let down = try await Proof.ferry("sync", ["--delete", Proof.remote(sshd, remoteRoot), local.file("down")], on: sshd)
        #expect(down.exit == Proof.someFailed, "\(down.summary)")
        #expect(down.stderr.contains("secret") && down.stderr.contains("skipping deletion"), "\(down.stderr)")
        #expect(Proof.exists(local.file("down/extra")) && Proof.exists(local.file("down/ok")))
        #expect(!Proof.exists(local.file("down/secret")))

        // Upload into a directory the account cannot write: one line per
        // file, the others go on, nothing deleted.
        try Self.write(local.file("src"), "locked/a", Array("a".utf8))
        try Self.write(local.file("src"), "open/b", Array("b".utf8))
        try Self.write(local.file("src"), "keep.log", Array("log".utf8))
        try Self.write(local.file("src"), "drop.log", Array("log".utf8))
        try Proof.makeDirectory("\(sshd.scratchDirectory)/up/locked")
        Self.giveTree("\(sshd.scratchDirectory)/up", sshd)
        try Self.write("\(sshd.scratchDirectory)/up", "stale", Array("stale".utf8), for: sshd)
        chown("\(sshd.scratchDirectory)/up/locked", 0, 0)
        let up = try await Proof.ferry("sync", ["--delete", local.file("src"), Proof.remote(sshd, "\(sshd.scratchDirectory)/up")], on: sshd)
        #expect(up.exit == Proof.someFailed, "\(up.summary)")
        #expect(Proof.exists("\(sshd.scratchDirectory)/up/open/b") && Proof.exists("\(sshd.scratchDirectory)/up/stale"))
        chown("\(sshd.scratchDirectory)/up/locked", sshd.server.account.uid, sshd.server.account.gid)

        // Filters from the command line and a file; excluded files on the
        // target survive --delete.
        try Proof.write(local.file("rules"), Array("# logs\n*.log\n".utf8))
        try Self.write("\(sshd.scratchDirectory)/up", "old.log", Array("old".utf8), for: sshd)
        let filtered = try await Proof.ferry("sync", ["--delete", "--include", "keep.log", "--exclude-from", local.file("rules"),
                                                      local.file("src"), Proof.remote(sshd, "\(sshd.scratchDirectory)/up")], on: sshd)
        #expect(filtered.exit == Proof.ok, "\(filtered.summary)")
        #expect(Proof.names("\(sshd.scratchDirectory)/up") == ["drop.log", "keep.log", "locked", "old.log", "open"],
                "drop.log and old.log are excluded, so --delete keeps them; stale is gone: \(filtered.stdout)")
    }

    @Test("killed with SIGKILL mid-sync, a rerun finishes to an identical tree; a file changing during a sync is caught by the next")
    func killedThenRerun() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "sync-kill")
        defer { local.remove() }
        try Proof.makeDirectory(local.file("src"))
        for i in 0..<4 { try await Proof.makeRandomFile(local.file("src/f\(i).bin"), bytes: 16 << 20, seed: UInt8(i + 1)) }
        try Self.makeTree(local.file("src/small"))
        let remoteRoot = "\(sshd.scratchDirectory)/up"
        try Proof.makeDirectory(remoteRoot)
        Proof.giveToAccount(remoteRoot, sshd)

        let home = try FixtureDirectory.create(prefix: "sync-kill-home")
        defer { home.remove() }
        let child = try Proof.spawnFerry("sync", ["-q", local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd, home: home)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(60))
        while Proof.partialFiles(under: remoteRoot).compactMap({ Proof.size("\(remoteRoot)/\($0)") }).max() ?? 0 < 4 << 20,
              child.exitStatus == nil, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        child.send(SIGKILL)
        _ = await child.wait(timeout: .seconds(10))
        // The server notices the closed connection and ends the session
        // (no write of the killed session still landing during the rerun).
        let quiet = clock.now.advanced(by: .seconds(15))
        while sshd.serverProcesses.count > 1 && clock.now < quiet { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!Proof.partialFiles(under: remoteRoot).isEmpty, "killed before any partial file: \(home.read("stderr") ?? "")")
        // Every file under its final name is whole.
        for i in 0..<4 where Proof.exists("\(remoteRoot)/f\(i).bin") {
            #expect(Proof.size("\(remoteRoot)/f\(i).bin") == 16 << 20)
        }
        let kept = Proof.partialFiles(under: remoteRoot).compactMap { Proof.size("\(remoteRoot)/\($0)") }.reduce(0, +)

        let rerun = try await Proof.ferry("sync", ["--delete", local.file("src"), Proof.remote(sshd, remoteRoot)], on: sshd)
        #expect(rerun.exit == Proof.ok && rerun.stderr.isEmpty, "\(rerun.summary)")
        #expect(Proof.partialFiles(under: remoteRoot).isEmpty)
        let total = Self.snapshot(local.file("src")).filter { $0.value.hasPrefix("file:") }.keys
            .compactMap { Proof.size(local.file("src/\($0)")) }.reduce(0, +)
        #expect(Self.summary(rerun.stdout).map { $0.bytes <= total - kept } == true,
                "the partial files (\(kept) bytes) were continued, not sent again: \(rerun.stdout.suffix(300))")
        for i in 0..<4 {
            #expect(try await Proof.sha256("\(remoteRoot)/f\(i).bin") == (try await Proof.sha256(local.file("src/f\(i).bin"))))
        }
        #expect(Self.snapshot(remoteRoot) == Self.snapshot(local.file("src")))

        // Downloading while the server's copy of one file keeps changing:
        // the sync ends cleanly, and the next one makes the trees equal.
        let writer = Task.detached {
            var round = 0
            while !Task.isCancelled, round < 2000 {
                round += 1
                try? Self.write(remoteRoot, "small/d0/f1", Proof.bytes(100 + round % 50, seed: UInt64(round)),
                                mtime: 1_650_000_000 + round)
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        let during = try await Proof.ferry("sync", [Proof.remote(sshd, remoteRoot), local.file("down")], on: sshd)
        writer.cancel()
        _ = await writer.value
        Self.giveTree(remoteRoot, sshd)
        #expect(during.exit == Proof.ok, "\(during.summary)")
        let after = try await Proof.ferry("sync", [Proof.remote(sshd, remoteRoot), local.file("down")], on: sshd)
        #expect(after.exit == Proof.ok, "\(after.summary)")
        #expect(Self.snapshot(local.file("down")) == Self.snapshot(remoteRoot))
    }
}
