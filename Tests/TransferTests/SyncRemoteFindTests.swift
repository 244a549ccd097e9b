import Foundation
import Glibc
import SFTP
import SFTPTestSupport
import Locking
import Testing
@testable import Transfer

/// LocalShellListing runs `SyncRemoteFind`'s command through the local
/// `/bin/sh`, as sshd would run it for an exec request: the test server
/// (sftp-server over pipes) and this shell see the same file system, so a
/// sync gets the very snapshot `find` over exec would give it.
final class LocalShellListing: RemoteTreeListing {
    private let asked = Locked<[SFTPPath]>([])
    /// What the shell is given instead of the root asked for (to list
    /// another directory, as a shell with another working directory would).
    let substitute: SFTPPath?
    /// Off (the default here): the sync waits for the snapshot, so the
    /// tests know it answered.
    let racesSFTP: Bool

    init(substitute: SFTPPath? = nil, racesSFTP: Bool = false) {
        self.substitute = substitute
        self.racesSFTP = racesSFTP
    }

    var roots: [SFTPPath] { asked.withLock { $0 } }

    func snapshot(of root: SFTPPath) async -> SyncRemoteSnapshot? {
        asked.withLock { $0.append(root) }
        guard let command = SyncRemoteFind.command(substitute ?? root) else { return nil }
        guard let (output, status) = try? Self.run(command), status == 0 else { return nil }
        return SyncRemoteSnapshot.parse(output)
    }

    static func run(_ command: String) throws -> ([UInt8], Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (Array(data), process.terminationStatus)
    }
}

/// `find -printf` snapshots of the remote tree (`SyncRemoteSnapshot`,
/// `SyncRemoteFind`, `SyncPrelisting`): what real find prints lists
/// exactly what SFTP lists, a sync that uses it ends as one without it,
/// a snapshot of another directory is not used, and hostile output is
/// refused whole, never trusted in part and never a trap.
@Suite struct SyncRemoteFindTests {
    /// One record as find prints it: `record(path)` is a file;
    /// `record(type, …, path)` any type.
    static func record(_ first: String, size: String = "5", mtime: String = "1600000000.0000000000",
                       mode: String = "644", owner: String = "1000 1000", _ second: String? = nil) -> [UInt8] {
        let (type, path) = second.map { (first, $0) } ?? ("f", first)
        return Array("\(type) \(size) \(mtime) \(mtime) \(mode) \(owner) \(path)".utf8) + [0]
    }

    static let root = record("d", size: "4096", mode: "755", "")

    @Test func aWellFormedSnapshotIsIndexedByDirectory() throws {
        let output = Self.root + Self.record("d", size: "4096", mode: "755", "sub") + Self.record("b.txt")
            + Self.record("sub/z", size: "0") + Self.record("l", size: "3", mode: "777", "sub/link")
            + Self.record("f", size: "7", mtime: "-1.5", "with space\nand newline") + Self.record("p", "fifo")
        let snapshot = try #require(SyncRemoteSnapshot.parse(output))
        let top = try #require(snapshot.listing([]))
        #expect(top.entries.map { String(decoding: $0.name, as: UTF8.self) } == ["b.txt", "fifo", "sub", "with space\nand newline"])
        #expect(top.entries.map(\.kind) == [.file, .other, .directory, .file])
        let odd = top.entries[3]
        #expect(odd.size == 7 && odd.modificationTime == Int64(UInt32(truncatingIfNeeded: Int64(-2))) && odd.mode == 0o644)
        let sub = try #require(snapshot.listing(Array("sub".utf8)))
        #expect(sub.entries.map { String(decoding: $0.name, as: UTF8.self) } == ["link", "z"])
        #expect(sub.entries.map(\.kind) == [.symbolicLink, .file])
        #expect(snapshot.listing(Array("b.txt".utf8)) == nil, "a file is no directory")
        #expect(snapshot.root.mode == 0o755 && snapshot.root.size == 4096)
        #expect(SyncRemoteSnapshot.parse(Self.root)?.listing([])?.entries.isEmpty == true, "an empty tree")
    }

    @Test func hostileOrForeignOutputIsRefusedWhole() {
        let good = Self.root + Self.record("d", "dir")
        #expect(SyncRemoteSnapshot.parse(good) != nil)
        let refused: [(String, [UInt8])] = [
            ("no output (a forced command that prints nothing)", []),
            ("a shell greeting first", Array("Welcome!\n".utf8) + good),
            ("no root record", Self.record("a")),
            ("a root that is a file", Self.record("f", "")),
            ("a second empty path", good + Self.record("")),
            ("a last record without its NUL", good + Self.record("x").dropLast()),
            ("..", good + Self.record("..")),
            (".", good + Self.record("dir/.")),
            ("escaping through ..", good + Self.record("dir/../../etc")),
            ("an absolute path", good + Self.record("/etc/passwd")),
            ("an empty component", good + Self.record("dir//x")),
            ("a trailing slash", good + Self.record("dir/")),
            ("a parent never listed", good + Self.record("other/x")),
            ("a parent that is a file", good + Self.record("f", "file") + Self.record("file/x")),
            ("a child before its directory", Self.root + Self.record("late/x") + Self.record("d", "late")),
            ("a directory twice", good + Self.record("d", "dir")),
            ("an unknown type", good + Self.record("X", "x")),
            ("two letters of type", good + Self.record("ff", "x")),
            ("a size that overflows", good + Self.record("f", size: "99999999999999999999", "x")),
            ("a negative size", good + Self.record("f", size: "-1", "x")),
            ("a size with a sign", good + Self.record("f", size: "+1", "x")),
            ("a mode past 7777", good + Self.record("f", mode: "17777", "x")),
            ("a mode with 8", good + Self.record("f", mode: "648", "x")),
            ("a time with a comma", good + Self.record("f", mtime: "1600000000,5", "x")),
            ("a time of letters", good + Self.record("f", mtime: "soon", "x")),
            ("a time with an empty fraction", good + Self.record("f", mtime: "1600000000.", "x")),
            ("an owner past 32 bits", good + Self.record("f", owner: "4294967296 0", "x")),
            ("too few fields", good + Array("f 1 2 3 x".utf8) + [0]),
        ]
        for (why, output) in refused {
            #expect(SyncRemoteSnapshot.parse(output) == nil, "\(why)")
        }
    }

    @Test func theRootIsQuotedForAShellAndKeptFromBeingAnOption() throws {
        #expect(SyncRemoteFind.command(SFTPPath("-name")).map { $0.contains("-H './-name' ") } == true)
        #expect(SyncRemoteFind.command(SFTPPath("/it's $(x)")).map { $0.contains(#"-H '/it'\''s $(x)' "#) } == true)
        #expect(SyncRemoteFind.command(SFTPPath(bytes: [0x2F, 0xFF])) == nil, "not UTF-8: left to SFTP")
        // Through a real shell and find: names a shell would expand stay names.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let odd = dir.file("it's $(touch pwned) `x` *")
        try FileManager.default.createDirectory(atPath: odd + "/-sub", withIntermediateDirectories: true)
        let command = try #require(SyncRemoteFind.command(SFTPPath(odd)))
        let (output, status) = try LocalShellListing.run(command)
        #expect(status == 0)
        let snapshot = try #require(SyncRemoteSnapshot.parse(output))
        #expect(snapshot.listing([])?.entries.map { String(decoding: $0.name, as: UTF8.self) } == ["-sub"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("pwned")) && !FileManager.default.fileExists(atPath: "pwned"))
    }

    @Test func findListsExactlyWhatSFTPLists() async throws {
        try await withSFTPServer { client, dir in
            try SyncTests.makeSource(dir)
            try SyncTests.write(dir.file("src/sub/deeper/mode"), "x")
            chmod(dir.file("src/sub/deeper/mode"), 0o4751)
            symlink("a.txt", dir.file("src/link"))
            mkfifo(dir.file("src/sub/fifo"), 0o600)
            let snapshot = try #require(await LocalShellListing().snapshot(of: dir.sftp("src")))
            #expect(snapshot.describes(try await client.stat(dir.sftp("src"))))
            let tree = RemoteSyncTree(client: client, root: dir.sftp("src"))
            for relative in ["", "sub", "sub/deeper", "with space", "caf\u{e9}", "emptydir"].map({ Array($0.utf8) }) {
                let overSFTP = try await tree.list(relative).entries
                let fromFind = try #require(snapshot.listing(relative)).entries
                #expect(fromFind.map(\.name) == overSFTP.map(\.name))
                #expect(fromFind.map(\.kind) == overSFTP.map(\.kind))
                #expect(fromFind.map(\.size) == overSFTP.map(\.size))
                #expect(fromFind.map(\.modificationTime) == overSFTP.map(\.modificationTime))
                // A directory's atime may move as it is read; a file's may not.
                #expect(fromFind.filter { $0.kind != .directory }.map(\.accessTime)
                        == overSFTP.filter { $0.kind != .directory }.map(\.accessTime))
                #expect(fromFind.map(\.mode) == overSFTP.map(\.mode))
            }
        }
    }

    @Test(arguments: SyncTests.Way.allCases) func aSyncListedByFindEndsAsOneListedOverSFTP(way: SyncTests.Way) async throws {
        try await withSFTPServer { client, dir in
            try SyncTests.makeSource(dir)
            let listing = LocalShellListing()
            let first = await Self.sync(client, way, dir, listing: listing)
            #expect(first.succeeded && first.transferred == 7)
            #expect(SyncTests.snapshot(dir.file("dst")) == SyncTests.snapshot(dir.file("src")))
            // A first upload makes the target: nothing to list there.
            let remoteRoot = dir.sftp(way == .download ? "src" : "dst")
            #expect(listing.roots == (way == .download ? [remoteRoot] : []))

            try SyncTests.write(dir.file("src/a.txt"), "ALPHA", mtime: 1_600_000_100)
            try SyncTests.write(dir.file("src/sub/new.txt"), "new")
            try FileManager.default.removeItem(atPath: dir.file("src/sub/deeper"))
            var options = SyncOptions()
            options.delete = true
            let second = LocalShellListing()
            let changed = await Self.sync(client, way, dir, options, listing: second)
            #expect(second.roots == [remoteRoot])
            #expect(changed.succeeded && changed.transferred == 2 && changed.deleted == 2)
            #expect(SyncTests.snapshot(dir.file("dst")) == SyncTests.snapshot(dir.file("src")))
            let again = await Self.sync(client, way, dir, options, listing: LocalShellListing())
            #expect(again.succeeded && again.transferred == 0 && again.deleted == 0 && again.checked == 7)
        }
    }

    @Test(arguments: SyncTests.Way.allCases) func aListingRacedWithSFTPEndsTheSame(way: SyncTests.Way) async throws {
        try await withSFTPServer { client, dir in
            try SyncTests.makeSource(dir)
            _ = await Self.sync(client, way, dir)
            try SyncTests.write(dir.file("src/sub/deeper/c.txt"), "CHARLIE", mtime: 1_600_000_200)
            try FileManager.default.removeItem(atPath: dir.file("src/with space"))
            var options = SyncOptions()
            options.delete = true
            let report = await Self.sync(client, way, dir, options, listing: LocalShellListing(racesSFTP: true))
            #expect(report.succeeded && report.transferred == 1 && report.deleted == 2)
            #expect(SyncTests.snapshot(dir.file("dst")) == SyncTests.snapshot(dir.file("src")))
        }
    }

    @Test func aSnapshotOfAnotherDirectoryIsNotUsed() async throws {
        try await withSFTPServer { client, dir in
            try SyncTests.makeSource(dir)
            // A decoy with other contents and another root mtime, standing
            // for the tree a shell in another working directory would see.
            try SyncTests.write(dir.file("decoy/a.txt"), "alpha")
            try SyncTests.write(dir.file("decoy/only-here"), "x")
            SyncTests.setTime(dir.file("decoy"), 1_500_000_000)
            _ = await Self.sync(client, .upload, dir)
            try SyncTests.write(dir.file("dst/extra"), "extra")
            var options = SyncOptions()
            options.delete = true
            let listing = LocalShellListing(substitute: dir.sftp("decoy"))
            let report = await Self.sync(client, .upload, dir, options, listing: listing)
            #expect(listing.roots == [dir.sftp("dst")], "asked, then refused")
            #expect(report.succeeded && report.deleted == 1 && report.transferred == 0)
            #expect(SyncTests.snapshot(dir.file("dst")) == SyncTests.snapshot(dir.file("src")))
        }
    }

    /// While only the primary is open and the others are on their way,
    /// the primary takes a quarter of its share (files stay on the session
    /// they start on); once they open, every session takes its full share.
    @Test func theWidthWaitsForSessionsStillOpening() async throws {
        try await withSFTPServer { client, _ in
            let pool = SFTPSessionPool(primary: client)
            let transfer = FileTransfer(pool: pool, options: MultiSessionTransferTests.options())
            let share = transfer.concurrentFiles
            #expect(transfer.filesInFlight == share, "a pool that opens nothing")
            let gate = AsyncStream.makeStream(of: Void.self)
            pool.prepareWhenNeeded { pool in
                for await _ in gate.stream { break }
                pool.open(1) { _ in SFTPSessionPool.Session(client: client, close: {}) }
            }
            #expect(transfer.filesInFlight == max(1, share / 4), "held until needed")
            pool.startPreparing()
            #expect(transfer.filesInFlight == max(1, share / 4), "being decided")
            gate.continuation.yield()
            await pool.settled()
            #expect(pool.isOpeningSessions == false)
            #expect(transfer.filesInFlight == 2 * share)
        }
    }

    @Test func aSyncIsSpreadOverThePoolsSessions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for index in 0..<60 { try SyncTests.write(dir.file("src/d\(index % 4)/f\(index)"), String(repeating: "x", count: 5000 + index)) }
        try await withSessions(3) { sessions async throws in
            let transfer = FileTransfer(pool: sessions.pool, options: MultiSessionTransferTests.options())
            #expect(transfer.filesInFlight == 3 * transfer.concurrentFiles)
            let before = sessions.streams.map(\.carried)
            let up = await transfer.sync(.upload(LocalPath(dir.file("src")), dir.sftp("up")), options: SyncOptions())
            #expect(up.succeeded && up.transferred == 60)
            let down = await transfer.sync(.download(dir.sftp("up"), LocalPath(dir.file("down"))), options: SyncOptions())
            #expect(down.succeeded && down.transferred == 60)
            for index in 0..<3 { #expect(sessions.streams[index].carried - before[index] > 30_000, "session \(index)") }
        }
        #expect(SyncTests.snapshot(dir.file("up")) == SyncTests.snapshot(dir.file("src")))
        #expect(SyncTests.snapshot(dir.file("down")) == SyncTests.snapshot(dir.file("src")))
    }

    static func sync(_ client: SFTPClient, _ way: SyncTests.Way, _ dir: TemporaryDirectory, _ options: SyncOptions = SyncOptions(),
                     listing: (any RemoteTreeListing)? = nil) async -> SyncReport {
        let transfer = FileTransfer(client: client, options: TransferOptions(blockLength: 1024, maxOutstanding: 4))
        return await transfer.sync(way.direction(dir, from: "src", to: "dst"), options: options, remoteListing: listing)
    }
}
