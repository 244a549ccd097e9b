import Foundation
import Glibc
import SFTP
import SFTPTestSupport
import Locking
import Testing
@testable import Transfer

/// `sync` against OpenSSH's sftp-server over pipes, both directions: both
/// roots live in one temporary directory, one reached locally, the other
/// through the server.
@Suite struct SyncTests {
    /// The two ways a sync runs; each test runs both.
    enum Way: CaseIterable, Sendable {
        case download, upload

        func direction(_ dir: TemporaryDirectory, from source: String, to target: String) -> SyncDirection {
            switch self {
            case .download: .download(dir.sftp(source), LocalPath(dir.file(target)))
            case .upload: .upload(LocalPath(dir.file(source)), dir.sftp(target))
            }
        }
    }

    /// Changes and events a sync reported.
    final class Log: Sendable {
        private let state = Locked<([SyncChange], [TransferEvent])>(([], []))
        func change(_ change: SyncChange) { state.withLock { $0.0.append(change) } }
        func event(_ event: TransferEvent) { state.withLock { $0.1.append(event) } }
        var changes: [SyncChange] { state.withLock { $0.0 } }
        func paths(_ kind: SyncChange.Kind) -> [String] { changes.filter { $0.kind == kind }.map(\.path).sorted() }
        /// Whether a file's copy has started.
        var started: Bool { state.withLock { $0.1.contains { if case .started = $0 { true } else { false } } } }
        var notices: [String] {
            state.withLock { $0.1.compactMap { if case .notice(_, let message) = $0 { message } else { nil } } }
        }
    }

    static func sync(_ client: SFTPClient, _ way: Way, _ dir: TemporaryDirectory, _ options: SyncOptions = SyncOptions(),
                     from source: String = "src", to target: String = "dst", hasher: (any RemoteHashing)? = nil) async -> (SyncReport, Log) {
        let log = Log()
        let transfer = FileTransfer(client: client, options: TransferOptions(blockLength: 1024, maxOutstanding: 4)) { log.event($0) }
        let report = await transfer.sync(way.direction(dir, from: source, to: target), options: options, remoteHasher: hasher) { log.change($0) }
        return (report, log)
    }

    /// Writes `contents` at `path` (parents made) with modification time `mtime`.
    static func write(_ path: String, _ contents: String, mtime: Int = 1_600_000_000) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        setTime(path, mtime)
    }

    static func setTime(_ path: String, _ mtime: Int) {
        var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// Every entry under `root`: relative path → "dir", "link:target" or
    /// "file:contents@mtime".
    static func snapshot(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            let path = "\(root)/\(relative)"
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: result[relative] = "dir"
            case S_IFLNK: result[relative] = "link:" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
            default:
                let contents = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "?"
                result[relative] = "file:\(contents)@\(st.st_mtim.tv_sec)"
            }
        }
        return result
    }

    static func makeSource(_ dir: TemporaryDirectory) throws {
        try write(dir.file("src/a.txt"), "alpha")
        try write(dir.file("src/empty"), "")
        try write(dir.file("src/sub/b.txt"), "bravo")
        try write(dir.file("src/sub/deeper/c.txt"), "charlie")
        try write(dir.file("src/with space/it's \"quoted\".txt"), "quotes")
        try write(dir.file("src/caf\u{e9}/\u{65e5}\u{672c}.txt"), "unicode")
        try write(dir.file("src/new\nline"), "newline")
        try FileManager.default.createDirectory(atPath: dir.file("src/emptydir"), withIntermediateDirectories: true)
    }

    @Test(arguments: Way.allCases) func firstSyncThenNothingToDo(way: Way) async throws {
        try await withSFTPServer { client, dir in
            try Self.makeSource(dir)
            let (first, log) = await Self.sync(client, way, dir)
            #expect(first.succeeded)
            #expect(first.transferred == 7)
            #expect(first.checked == 7)
            #expect(Self.snapshot(dir.file("dst")) == Self.snapshot(dir.file("src")))
            #expect(log.paths(.newFile).count == 7)
            #expect(log.paths(.newDirectory).contains("emptydir/"))
            #expect(log.paths(.newDirectory).contains("./"))  // the target root was made
            let (second, again) = await Self.sync(client, way, dir)
            #expect(second.succeeded)
            #expect(second.checked == 7)
            #expect(second.transferred == 0)
            #expect(second.bytes == 0)
            #expect(again.changes.isEmpty)
        }
    }

    @Test(arguments: Way.allCases) func changedAddedAndRemovedWithDelete(way: Way) async throws {
        try await withSFTPServer { client, dir in
            try Self.makeSource(dir)
            _ = await Self.sync(client, way, dir)
            try Self.write(dir.file("src/a.txt"), "ALPHA", mtime: 1_600_000_100)  // same size, newer
            try Self.write(dir.file("src/sub/b.txt"), "bravo!")  // other size, same time
            try Self.write(dir.file("src/sub/new.txt"), "new")
            try FileManager.default.removeItem(atPath: dir.file("src/sub/deeper"))
            try FileManager.default.removeItem(atPath: dir.file("src/empty"))
            var options = SyncOptions()
            let (kept, keptLog) = await Self.sync(client, way, dir, options)
            #expect(kept.succeeded)
            #expect(keptLog.paths(.updated) == ["a.txt", "sub/b.txt"])
            #expect(keptLog.paths(.newFile) == ["sub/new.txt"])
            #expect(keptLog.paths(.deleted).isEmpty)
            #expect(FileManager.default.fileExists(atPath: dir.file("dst/sub/deeper/c.txt")))
            options.delete = true
            let (report, log) = await Self.sync(client, way, dir, options)
            #expect(report.succeeded)
            #expect(report.transferred == 0)
            #expect(report.deleted == 3)
            #expect(log.paths(.deleted) == ["empty", "sub/deeper", "sub/deeper/c.txt"].map { $0 == "sub/deeper" ? "sub/deeper/" : $0 }.sorted())
            #expect(Self.snapshot(dir.file("dst")) == Self.snapshot(dir.file("src")))
        }
    }

    /// Ctrl-C (or a library caller's cancel) under a sync with `--delete`:
    /// nothing is deleted, and no "errors occurred" notice is given (the
    /// caller says the sync was interrupted).
    @Test(arguments: Way.allCases) func aCancelledSyncDeletesNothingAndGivesNoNotice(way: Way) async throws {
        try await withSFTPServer { client, dir in
            try Self.makeSource(dir)
            _ = await Self.sync(client, way, dir)
            try Self.write(dir.file("dst/extra.txt"), "only in the target")
            // A changed file big enough to be under way when the cancel
            // comes: 2 MiB at 1 MiB/s.
            try Self.write(dir.file("src/a.txt"), String(repeating: "A", count: 2 << 20), mtime: 1_600_000_100)
            var options = SyncOptions()
            options.delete = true
            var transferOptions = TransferOptions(blockLength: 32768, maxOutstanding: 4)
            transferOptions.bytesPerSecond = 1 << 20
            let log = Log()
            let transfer = FileTransfer(client: client, options: transferOptions) { log.event($0) }
            let direction = way.direction(dir, from: "src", to: "dst")
            let task = Task { await transfer.sync(direction, options: options) { log.change($0) } }
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            while !log.started, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(log.started, "the changed file never started")
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let report = await task.value
            #expect(report.deleted == 0)
            #expect(FileManager.default.fileExists(atPath: dir.file("dst/extra.txt")), "a cancelled sync deleted")
            #expect(log.notices.isEmpty, "\(log.notices)")
            #expect(log.paths(.deleted).isEmpty)
        }
    }

    @Test(arguments: Way.allCases) func dryRunChangesNothing(way: Way) async throws {
        try await withSFTPServer { client, dir in
            try Self.makeSource(dir)
            _ = await Self.sync(client, way, dir)
            try Self.write(dir.file("src/a.txt"), "ALPHA", mtime: 1_600_000_100)
            try Self.write(dir.file("src/fresh/x"), "x")
            try Self.write(dir.file("dst/extra"), "extra")
            let before = Self.snapshot(dir.file("dst"))
            var options = SyncOptions()
            options.dryRun = true
            options.delete = true
            let (report, log) = await Self.sync(client, way, dir, options)
            #expect(report.succeeded)
            #expect(Self.snapshot(dir.file("dst")) == before)
            #expect(log.paths(.updated) == ["a.txt"])
            #expect(log.paths(.newFile) == ["fresh/x"])
            #expect(log.paths(.newDirectory) == ["fresh/"])
            #expect(log.paths(.deleted) == ["extra"])
            #expect(report.transferred == 2)
            // A dry run of a target that does not exist creates nothing.
            let (fresh, _) = await Self.sync(client, way, dir, options, to: "nowhere")
            #expect(fresh.succeeded)
            #expect(fresh.transferred == 8)
            #expect(!FileManager.default.fileExists(atPath: dir.file("nowhere")))
        }
    }

    @Test(arguments: Way.allCases) func filtersAndDeleteExcluded(way: Way) async throws {
        try await withSFTPServer { client, dir in
            try Self.write(dir.file("src/keep.log"), "keep")
            try Self.write(dir.file("src/drop.log"), "drop")
            try Self.write(dir.file("src/build/out.o"), "obj")
            try Self.write(dir.file("src/src/build/file"), "nested build is a file path: kept")
            try Self.write(dir.file("src/doc/readme"), "doc")
            try Self.write(dir.file("dst/old.log"), "old")
            var options = SyncOptions()
            options.delete = true
            options.filter = SyncFilter([.init(.include, "keep.log"), .init(.exclude, "*.log"), .init(.exclude, "/build/")])
            let (report, _) = await Self.sync(client, way, dir, options)
            #expect(report.succeeded)
            let copied = Set(Self.snapshot(dir.file("dst")).keys)
            #expect(copied == ["keep.log", "old.log", "src", "src/build", "src/build/file", "doc", "doc/readme"])
            options.deleteExcluded = true
            let (second, log) = await Self.sync(client, way, dir, options)
            #expect(second.succeeded)
            #expect(log.paths(.deleted) == ["old.log"])
            #expect(!FileManager.default.fileExists(atPath: dir.file("dst/old.log")))
        }
    }

    @Test(arguments: Way.allCases) func comparisonModes(way: Way) async throws {
        try await withSFTPServer { client, dir in
            try Self.write(dir.file("src/same-size"), "aaaa")
            try Self.write(dir.file("src/newer-there"), "source")
            try Self.write(dir.file("src/window"), "w", mtime: 1_600_000_001)
            _ = await Self.sync(client, way, dir)
            // Same size and time, other contents: only --checksum sees it.
            try Self.write(dir.file("dst/same-size"), "bbbb")
            try Self.write(dir.file("dst/newer-there"), "target", mtime: 1_700_000_000)
            Self.setTime(dir.file("dst/window"), 1_600_000_000)
            var options = SyncOptions()
            options.modifyWindow = 1
            options.update = true
            options.dryRun = true
            let (plain, plainLog) = await Self.sync(client, way, dir, options)
            #expect(plain.transferred == 0, "\(plainLog.changes)")
            options.update = false
            options.modifyWindow = 0
            options.comparison = .sizeOnly
            let (sizeOnly, _) = await Self.sync(client, way, dir, options)
            #expect(sizeOnly.transferred == 0)
            options.comparison = .checksum
            options.dryRun = false
            let (checked, log) = await Self.sync(client, way, dir, options)
            #expect(checked.succeeded)
            #expect(log.paths(.updated) == ["newer-there", "same-size"])
            #expect(log.paths(.attributes) == ["window"])
            #expect(log.notices.contains { $0.contains("reading them to compare") })
            #expect(try String(contentsOfFile: dir.file("dst/same-size"), encoding: .utf8) == "aaaa")
            #expect(Self.snapshot(dir.file("dst")) == Self.snapshot(dir.file("src")))
            var ignore = SyncOptions()
            ignore.ignoreExisting = true
            try Self.write(dir.file("dst/same-size"), "cccc", mtime: 1)
            let (ignored, _) = await Self.sync(client, way, dir, ignore)
            #expect(ignored.transferred == 0)
        }
    }

    @Test(arguments: Way.allCases) func symbolicLinks(way: Way) async throws {
        try await withSFTPServer { client, dir in
            try Self.write(dir.file("src/file"), "file")
            symlink("file", dir.file("src/inside"))
            symlink("/etc/passwd", dir.file("src/outside"))
            let (skipped, _) = await Self.sync(client, way, dir)
            #expect(skipped.succeeded)
            #expect(skipped.skipped == 2)
            #expect(Set(Self.snapshot(dir.file("dst")).keys) == ["file"])
            var options = SyncOptions()
            options.links = true
            let (linked, log) = await Self.sync(client, way, dir, options)
            #expect(linked.succeeded)
            #expect(log.paths(.link).count == 2)
            #expect(Self.snapshot(dir.file("dst")) == Self.snapshot(dir.file("src")))
            let (again, quiet) = await Self.sync(client, way, dir, options)
            #expect(again.transferred == 0)
            #expect(quiet.changes.isEmpty)
        }
    }

    /// A link on the target where the source has a file is replaced, never
    /// written through (it could point anywhere); a file where the source
    /// has a directory is replaced by the directory.
    @Test(arguments: Way.allCases) func targetLinksAreReplacedNotFollowed(way: Way) async throws {
        try await withSFTPServer { client, dir in
            try Self.write(dir.file("src/victim"), "new contents")
            try Self.write(dir.file("src/was-file/inner"), "inner")
            try Self.write(dir.file("elsewhere"), "precious")
            try FileManager.default.createDirectory(atPath: dir.file("dst"), withIntermediateDirectories: true)
            symlink(dir.file("elsewhere"), dir.file("dst/victim"))
            try Self.write(dir.file("dst/was-file"), "a file")
            let (report, _) = await Self.sync(client, way, dir)
            #expect(report.succeeded)
            #expect(try String(contentsOfFile: dir.file("elsewhere"), encoding: .utf8) == "precious")
            #expect(Self.snapshot(dir.file("dst")) == Self.snapshot(dir.file("src")))
        }
    }

    @Test func hostileSourceNamesAreRefusedAndStopDeletion() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let listing: [[UInt8]] = [Array("good".utf8), Array("../escape".utf8), Array("a/b".utf8)]
        let client = try await HostileServer.connect(.init(files: [Array("dir/good".utf8): Array("fine".utf8)], listing: listing))
        defer { client.close() }
        try Self.write(directory.file("dest/extra"), "keep me")
        var options = SyncOptions()
        options.delete = true
        let log = Log()
        let report = await FileTransfer(client: client) { log.event($0) }
            .sync(.download("dir", LocalPath(directory.file("dest"))), options: options) { log.change($0) }
        #expect(report.transferred == 1)
        #expect(report.failures.count == 2)
        #expect(report.failures.allSatisfy { $0.code == .refusedName })
        #expect(report.deletionSkipped)
        #expect(FileManager.default.fileExists(atPath: directory.file("dest/extra")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["dest"])
    }

    @Test func missingSourceFails() async throws {
        try await withSFTPServer { client, dir in
            for way in Way.allCases {
                let (report, _) = await Self.sync(client, way, dir, from: "absent")
                #expect(report.failures.count == 1)
                #expect(!FileManager.default.fileExists(atPath: dir.file("dst")))
            }
        }
    }
}

/// The glob and rule semantics of `SyncFilter`, as rsync has them.
@Suite struct SyncFilterTests {
    func excluded(_ pattern: String, _ path: String, directory: Bool = false) -> Bool {
        SyncFilter([.init(.exclude, pattern)]).excludes(Array(path.utf8), isDirectory: directory)
    }

    @Test func globs() {
        #expect(excluded("*.log", "a.log"))
        #expect(excluded("*.log", "deep/dir/a.log"))
        #expect(!excluded("*.log", "a.log.txt"))
        #expect(excluded("a?c", "abc"))
        #expect(!excluded("a?c", "a/c"))
        #expect(excluded("[ab]x", "bx"))
        #expect(!excluded("[!ab]x", "bx"))
        #expect(excluded("[a-c]1", "c1"))
        #expect(excluded("\\*", "*"))
        #expect(!excluded("\\*", "x"))
        #expect(excluded("[", "["))
    }

    @Test func anchoringAndSlashes() {
        #expect(excluded("/build", "build"))
        #expect(!excluded("/build", "src/build"))
        #expect(excluded("build", "src/build"))
        #expect(excluded("src/*.c", "src/a.c"))
        #expect(excluded("src/*.c", "x/src/a.c"))
        #expect(!excluded("src/*.c", "src/sub/a.c"))
        #expect(excluded("src/**.c", "src/sub/a.c"))
        #expect(excluded("/a/**/z", "a/b/c/z"))
        #expect(!excluded("/a/*/z", "a/b/c/z"))
        #expect(excluded("cache/", "x/cache", directory: true))
        #expect(!excluded("cache/", "x/cache", directory: false))
    }

    @Test func firstMatchWins() {
        let filter = SyncFilter([.init(.include, "keep.log"), .init(.exclude, "*.log")])
        #expect(!filter.excludes(Array("keep.log".utf8), isDirectory: false))
        #expect(filter.excludes(Array("other.log".utf8), isDirectory: false))
        #expect(!filter.excludes(Array("other.txt".utf8), isDirectory: false))
    }

    @Test func excludeFromFile() {
        let rules = SyncFilter.rules(fromFile: "# comment\n\n*.tmp\n+ important.tmp\n- /cache/\r\n; also a comment\n")
        #expect(rules == [.init(.exclude, "*.tmp"), .init(.include, "important.tmp"), .init(.exclude, "/cache/")])
    }

    @Test func hostileNamesCannotBlowUpMatching() {
        let name = String(repeating: "a", count: 4000)
        #expect(!excluded("*a*a*a*a*a*a*a*a*b", name))
        #expect(!excluded("**a**a**a**a**b", name))
    }
}

/// The pieces of remote hashing that need no server.
@Suite struct SyncRemoteHasherTests {
    @Test func quoting() {
        #expect(SyncRemoteHasher.quote("plain") == "'plain'")
        #expect(SyncRemoteHasher.quote("it's") == "'it'\\''s'")
        #expect(SyncRemoteHasher.quote("$(rm -rf /) `x` \"y\"") == "'$(rm -rf /) `x` \"y\"'")
    }

    @Test func parsingSha256sumOutput() {
        let a = String(repeating: "ab", count: 32), b = String(repeating: "0F", count: 32)
        let output = "\(a)  name\n\\\(b)  new\\nline\n"
        let parsed = SyncRemoteHasher.parse(Array(output.utf8), .sha256)
        #expect(parsed?.count == 2)
        #expect(parsed?[0] == [UInt8](repeating: 0xAB, count: 32))
        #expect(parsed?[1] == [UInt8](repeating: 0x0F, count: 32))
        #expect(SyncRemoteHasher.parse(Array("zz  x\n".utf8), .sha256) == nil)
        #expect(SyncRemoteHasher.parse(Array("\(a)  short-sha1\n".utf8), .sha1)?.count == 1)
    }
}
