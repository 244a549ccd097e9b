import Foundation
import Glibc
import NIOCore
import SFTP
import SFTPTestSupport
import Testing
@testable import Transfer

/// `LocalFile.fetch` and `store`: in place for tmpfs and for reads the
/// page cache can serve, through the disk pool otherwise, and the same
/// bytes either way.
@Suite struct LocalFileWithoutWaitingTests {
    static let memoryBase = "/dev/shm"
    static var hasMemoryBase: Bool {
        (try? LocalFile.open(LocalPath(memoryBase), flags: O_RDONLY | O_DIRECTORY))?.medium == .memory
    }

    static func bytes(_ count: Int) -> [UInt8] { FileTransferTests.bytes(count, seed: 11) }

    @Test(.enabled(if: hasMemoryBase)) func aTmpfsFileIsReadAndWrittenInPlace() async throws {
        let dir = try TemporaryDirectory(prefix: "ferry-nowait", in: Self.memoryBase)
        defer { dir.remove() }
        let contents = Self.bytes(300_000)
        try dir.create("f", Data(contents))
        let file = try LocalFile.open(LocalPath(dir.file("f")), flags: O_RDWR)
        #expect(file.medium == .memory)
        let piece = try #require(try file.readWithoutWaiting(at: 1000, length: 200_000, headroom: 64))
        #expect(piece.readerIndex == 64)
        #expect(Array(piece.readableBytesView) == Array(contents[1000..<201_000]))
        // Past the end: fewer bytes, then none.
        #expect(try file.readWithoutWaiting(at: 299_990, length: 100)?.readableBytes == 10)
        #expect(try file.readWithoutWaiting(at: 300_000, length: 100)?.readableBytes == 0)
        try await file.store(ByteBuffer(bytes: [1, 2, 3]), at: 299_999)
        #expect(try FileTransferTests.read(dir.file("f")).suffix(4) == [contents[299_998], 1, 2, 3])
    }

    @Test func procfsIsNotMemory() throws {
        let file = try LocalFile.open(LocalPath("/proc/self/status"), flags: O_RDONLY)
        #expect(file.medium == .other)
    }

    /// A file on disk whose pages were dropped from the cache: the read in
    /// place declines (EAGAIN, or EOPNOTSUPP where RWF_NOWAIT is not
    /// supported), the pool reads it; once cached, a file system that
    /// supports RWF_NOWAIT serves it in place.
    @Test func aDiskFileOutOfTheCacheIsReadOnThePool() async throws {
        let dir = try TemporaryDirectory(prefix: "ferry-nowait", in: FileManager.default.currentDirectoryPath)
        defer { dir.remove() }
        let file0 = try LocalFile.open(LocalPath(dir.file("probe")), flags: O_RDWR | O_CREAT)
        try #require(file0.medium == .other, "the package directory is on tmpfs")
        let contents = Self.bytes(1 << 20)
        try dir.create("f", Data(contents))
        let file = try LocalFile.open(LocalPath(dir.file("f")), flags: O_RDONLY)
        #expect(fsync(file.descriptor) == 0)
        #expect(posix_fadvise(file.descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0)
        #expect(try file.readWithoutWaiting(at: 0, length: 256 << 10) == nil)
        var read: [UInt8] = []
        while read.count < contents.count {
            let piece = try await file.fetch(at: UInt64(read.count), length: 256 << 10, headroom: 32)
            #expect(piece.readerIndex == 32)
            if piece.readableBytes == 0 { break }
            read += piece.readableBytesView
        }
        #expect(read == contents)
        let cached = try file.readWithoutWaiting(at: 4096, length: 100)
        if file.cacheReadsUnsupported.load(ordering: .relaxed) {
            #expect(cached == nil)
        } else {
            #expect(cached.map { Array($0.readableBytesView) } == Array(contents[4096..<4196]))
        }
        // Half of it dropped again: RWF_NOWAIT would stop at the half, and
        // a short read is never taken (a small file's upload sends what
        // one read gives as the whole file).
        // DONTNEED is advice: under load the kernel may keep the pages, and
        // then the whole read is served, which is right. Asked again until
        // they are gone; any read served must be whole, never the half.
        var declined = false
        for _ in 0..<20 {
            #expect(posix_fadvise(file.descriptor, 512 << 10, 512 << 10, POSIX_FADV_DONTNEED) == 0)
            guard let served = try file.readWithoutWaiting(at: 0, length: 1 << 20) else {
                declined = true
                break
            }
            #expect(served.readableBytes == 1 << 20)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(declined, "the kernel kept the dropped half cached through 20 tries")
        let whole = try await file.fetch(at: 0, length: 1 << 20)
        #expect(Array(whole.readableBytesView) == contents)
        // At the end, the pool finds it.
        #expect(try await file.fetch(at: (1 << 20) - 10, length: 100).readableBytes == 10)
    }

    /// A whole put and get with source and destination on tmpfs: every
    /// read and write done in place, the bytes identical.
    @Test(.enabled(if: hasMemoryBase)) func aTransferBetweenTmpfsFilesIsIdentical() async throws {
        let local = try TemporaryDirectory(prefix: "ferry-nowait", in: Self.memoryBase)
        defer { local.remove() }
        try await withSFTPServer { client, dir in
            let contents = Self.bytes(3 * 1000 * 7 + 123)
            try local.create("source", Data(contents))
            let transfer = FileTransfer(client: client, options: FileTransferTests.options())
            #expect(try await transfer.upload(local.file("source"), to: dir.sftp("up")) == UInt64(contents.count))
            #expect(try await transfer.download(dir.sftp("up"), to: local.file("down")) == UInt64(contents.count))
            #expect(try FileTransferTests.read(dir.file("up")) == contents)
            #expect(try FileTransferTests.read(local.file("down")) == contents)
            #expect(try FileManager.default.contentsOfDirectory(atPath: local.path).sorted() == ["down", "source"])
        }
    }
}
