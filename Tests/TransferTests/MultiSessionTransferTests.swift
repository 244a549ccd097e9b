import Locking
import SFTPTestSupport
import Foundation
import Glibc
import NIOCore
import SFTP
import Testing
@testable import Transfer

/// CuttableStream is a session's byte stream that counts what it carries
/// and can be cut: past `cutAfter` bytes (read and written together) its
/// input ends and writes fail, as when a channel or connection dies.
final class CuttableStream: ByteStream, @unchecked Sendable {
    private let base: any ByteStream
    private let lock = NSLock()
    private var count = 0
    private var limit: Int?

    init(_ base: any ByteStream) { self.base = base }

    /// Bytes carried so far, both ways.
    var carried: Int { lock.withLock { count } }

    /// Cuts the stream once `bytes` more have been carried.
    func cut(after bytes: Int) { lock.withLock { limit = count + bytes } }

    private func pass(_ bytes: Int) -> Bool {
        lock.withLock {
            if let limit, count >= limit { return false }
            count += bytes
            return true
        }
    }

    func read() async throws -> ByteBuffer? {
        guard let chunk = try await base.read(), pass(chunk.readableBytes) else { return nil }
        return chunk
    }

    func write(_ data: ByteBuffer) async throws {
        guard pass(data.readableBytes) else { throw SFTPTestError("the stream was cut") }
        try await base.write(data)
    }

    func closeWrite() async throws { try await base.closeWrite() }
}

/// `count` sftp-server processes, each an SFTP session, in one pool.
struct SessionSet {
    let streams: [CuttableStream]
    let clients: [SFTPClient]
    let pool: SFTPSessionPool
}

func withSessions<T>(_ count: Int, _ body: (SessionSet) async throws -> T) async throws -> T {
    var servers: [SFTPServerProcess] = []
    var clients: [SFTPClient] = []
    defer {
        for client in clients { client.close() }
        for server in servers { server.stop() }
    }
    var streams: [CuttableStream] = []
    for _ in 0..<count {
        let server = try SFTPServerProcess(arguments: [])
        servers.append(server)
        let stream = CuttableStream(server)
        streams.append(stream)
        clients.append(try await SFTPClient.connect(over: stream))
    }
    let pool = SFTPSessionPool(primary: clients[0])
    let others = Array(clients.dropFirst())
    pool.open(others.count) { index in SFTPSessionPool.Session(client: others[index], close: {}) }
    await pool.settled()
    return try await body(SessionSet(streams: streams, clients: clients, pool: pool))
}

/// Files and big files' ranges spread over several SFTP sessions
/// (sftp-server processes over pipes): correctness, the spreading itself,
/// a session lost in the middle, and resume after ranges.
@Suite struct MultiSessionTransferTests {
    static let rangeLength: UInt64 = 256 << 10
    static let size = 3 * (1 << 20) + 12_345

    static func options(resume: Bool = false) -> TransferOptions {
        var options = TransferOptions(resume: resume, blockLength: 32 << 10, maxOutstanding: 16)
        options.rangeLength = rangeLength
        return options
    }

    static func bytes(_ count: Int, seed: UInt32 = 11) -> [UInt8] { FileTransferTests.bytes(count, seed: seed) }

    @Test func aBigFileGoesBothWaysOverThreeSessions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let contents = Self.bytes(Self.size)
        try dir.create("source", Data(contents))
        try Disk.mkdir(dir.file("up"))
        try Disk.mkdir(dir.file("down"))
        try await withSessions(3) { sessions async throws in
            let transfer = FileTransfer(pool: sessions.pool, options: Self.options())
            let before = sessions.streams.map(\.carried)
            #expect(try await transfer.upload(dir.file("source"), to: dir.sftp("up/big")) == UInt64(Self.size))
            let afterUpload = sessions.streams.map(\.carried)
            #expect(try await transfer.download(dir.sftp("up/big"), to: dir.file("down/big")) == UInt64(Self.size))
            let afterDownload = sessions.streams.map(\.carried)
            // Every session carried at least a range each way.
            for index in 0..<3 {
                #expect(afterUpload[index] - before[index] > Int(Self.rangeLength))
                #expect(afterDownload[index] - afterUpload[index] > Int(Self.rangeLength))
            }
        }
        #expect(Disk.read(Array(dir.file("up/big").utf8)) == contents)
        #expect(Disk.read(Array(dir.file("down/big").utf8)) == contents)
        // No partial file and no range record is left.
        #expect(Disk.names(dir.file("up")) == ["big"])
        #expect(Disk.names(dir.file("down")) == ["big"])
    }

    /// Ranges draw on the transfer's one rate limit and report their bytes:
    /// both were missing once (a ranged put ran at 1.5x its --bwlimit). The
    /// time is a lower bound only: pacing can make a copy slower, never faster.
    @Test func rangesKeepTheRateLimitAndReportTheirBytes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let contents = Self.bytes(Self.size)
        try dir.create("source", Data(contents))
        try Disk.mkdir(dir.file("up"))
        try Disk.mkdir(dir.file("down"))
        let progressed = Locked<UInt64>(0)
        var options = Self.options()
        let rate: UInt64 = 6 << 20
        options.bytesPerSecond = rate
        try await withSessions(3) { sessions async throws in
            let transfer = FileTransfer(pool: sessions.pool, options: options) { event in
                if case .progress(let bytes) = event { progressed.withLock { $0 += bytes } }
            }
            // What the bucket lets through at once, then the rest at the rate.
            let least = Double(UInt64(Self.size) - rate / 20) / Double(rate)
            for (label, copy) in [("upload", { try await transfer.upload(dir.file("source"), to: dir.sftp("up/big")) }),
                                  ("download", { try await transfer.download(dir.sftp("up/big"), to: dir.file("down/big")) })] {
                progressed.withLock { $0 = 0 }
                let started = ContinuousClock.now
                #expect(try await copy() == UInt64(Self.size), "\(label)")
                let elapsed = started.duration(to: .now)
                #expect(elapsed >= .milliseconds(Int64(least * 1000 * 0.9)), "\(label) took \(elapsed), under the limit's \(least) s")
                #expect(progressed.withLock { $0 } >= UInt64(Self.size), "\(label): progress events")
            }
        }
        #expect(Disk.read(Array(dir.file("down/big").utf8)) == contents)
    }

    @Test func aTreeOfSmallFilesIsSpreadOverTheSessions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Disk.mkdir(dir.file("tree/sub"))
        var files: [String: [UInt8]] = [:]
        for index in 0..<48 {
            let name = index % 3 == 0 ? "sub/f\(index)" : "f\(index)"
            files[name] = Self.bytes(index * 997, seed: UInt32(index))
            try dir.create("tree/\(name)", Data(files[name]!))
        }
        try await withSessions(3) { sessions async throws in
            let transfer = FileTransfer(pool: sessions.pool, options: Self.options())
            let before = sessions.streams.map(\.carried)
            let up = await transfer.put([dir.file("tree")], to: dir.sftp("treeUp"), recursive: true)
            #expect(up.succeeded && up.files == 48)
            let down = await transfer.get([dir.sftp("treeUp")], to: dir.file("treeDown"), recursive: true)
            #expect(down.succeeded && down.files == 48)
            for index in 0..<3 { #expect(sessions.streams[index].carried - before[index] > 20_000) }
        }
        for (name, contents) in files {
            #expect(Disk.read(Array(dir.file("treeUp/\(name)").utf8)) == contents)
            #expect(Disk.read(Array(dir.file("treeDown/\(name)").utf8)) == contents)
        }
        #expect(Disk.names(dir.file("treeDown")).count == 33)
    }

    @Test(arguments: [true, false])
    func aSessionLostInTheMiddleLeavesItsRangesToTheOthers(upload: Bool) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let contents = Self.bytes(Self.size, seed: 5)
        try dir.create("source", Data(contents))
        try await withSessions(3) { sessions async throws in
            let transfer = FileTransfer(pool: sessions.pool, options: Self.options())
            sessions.streams[1].cut(after: 150_000)
            if upload {
                #expect(try await transfer.upload(dir.file("source"), to: dir.sftp("copy")) == UInt64(Self.size))
            } else {
                #expect(try await transfer.download(dir.sftp("source"), to: dir.file("copy")) == UInt64(Self.size))
            }
            #expect(!sessions.clients[1].isOpen)
            #expect(sessions.pool.openSessions.count == 2)
        }
        #expect(Disk.read(Array(dir.file("copy").utf8)) == contents)
        #expect(Disk.names(dir.path) == ["copy", "source"])
    }

    @Test(arguments: [true, false])
    func losingEverySessionFailsCleanlyAndResumeFinishesTheFile(upload: Bool) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let contents = Self.bytes(Self.size, seed: 9)
        try dir.create("source", Data(contents))
        try await withSessions(3) { sessions async throws in
            let transfer = FileTransfer(pool: sessions.pool, options: Self.options())
            for stream in sessions.streams { stream.cut(after: 700_000) }
            let error = await #expect(throws: TransferError.self) {
                if upload {
                    try await transfer.upload(dir.file("source"), to: dir.sftp("copy"))
                } else {
                    try await transfer.download(dir.sftp("source"), to: dir.file("copy"))
                }
            }
            // The line names the remote file (an upload's partial file) and
            // says why the sessions ended.
            let remote = upload ? dir.sftp(".copy.ferry-part") : dir.sftp("source")
            #expect(error?.message.hasPrefix("\(remote): every SFTP session ended before the file was complete (") == true,
                    "\(String(describing: error))")
        }
        // Nothing under the final name; the partial file and its record stay.
        #expect(Disk.lstatus(dir.file("copy")) == nil)
        #expect(Disk.lstatus(dir.file(".copy.ferry-part")) != nil)
        let record = Disk.read(Array(dir.file(".copy.ferry-ranges").utf8)).flatMap(RangeRecord.decode)
        #expect(record != nil)
        if !upload {
            // A download is cut to the complete prefix, which the record says.
            #expect(Disk.lstatus(dir.file(".copy.ferry-part")).map { UInt64($0.st_size) } == record)
        }
        let moved = try await withSessions(3) { sessions async throws in
            let transfer = FileTransfer(pool: sessions.pool, options: Self.options(resume: true))
            if upload {
                return try await transfer.upload(dir.file("source"), to: dir.sftp("copy"))
            } else {
                return try await transfer.download(dir.sftp("source"), to: dir.file("copy"))
            }
        }
        #expect(Disk.read(Array(dir.file("copy").utf8)) == contents)
        if let record, record > 0 { #expect(moved == UInt64(Self.size) - record) }
        #expect(Disk.names(dir.path) == ["copy", "source"])
    }

    /// What a transfer killed outright leaves: ranges past the prefix with
    /// holes between, and a last block that matches. The record keeps
    /// resume from trusting the length.
    @Test(arguments: [true, false])
    func resumeTrustsOnlyTheRecordedPrefix(upload: Bool) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let size = 1 << 20
        let contents = Self.bytes(size, seed: 3)
        try dir.create("source", Data(contents))
        var planted = Array(contents.prefix(300_000)) + [UInt8](repeating: 0, count: size - 300_000)
        planted.replaceSubrange((size - 100_000)..., with: contents.suffix(100_000))
        try dir.create(".copy.ferry-part", Data(planted))
        try dir.create(".copy.ferry-ranges", Data(RangeRecord.encode(300_000)))
        try await withSFTPServer { client, _ async throws in
            let transfer = FileTransfer(client: client, options: Self.options(resume: true))
            let moved = upload
                ? try await transfer.upload(dir.file("source"), to: dir.sftp("copy"))
                : try await transfer.download(dir.sftp("source"), to: dir.file("copy"))
            #expect(moved == UInt64(size - 300_000))
        }
        #expect(Disk.read(Array(dir.file("copy").utf8)) == contents)
        #expect(Disk.names(dir.path) == ["copy", "source"])
    }
}
