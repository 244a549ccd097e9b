import SFTPTestSupport
import Foundation
import Glibc
import Locking
import NIOCore
import SFTP
import Testing
@testable import Transfer

/// Single files both ways against sftp-server: the edge sizes around the
/// block length, awkward names, atomic replacement and resume.
@Suite struct FileTransferTests {
    static let block = 1000
    static let names = ["plain", "with space", "quote'\"q", "new\nline", "ünïcødé ✓"]

    static func bytes(_ count: Int, seed: UInt32 = 7) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    static func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func options(resume: Bool = false, preserve: Bool = false) -> TransferOptions {
        TransferOptions(preserve: preserve, resume: resume, blockLength: block, maxOutstanding: 4)
    }

    @Test(arguments: [0, 1, block - 1, block, block + 1, 10 * block + 17])
    func edgeSizesBothWays(_ size: Int) async throws {
        try await withSFTPServer { client, dir in
            let transfer = FileTransfer(client: client, options: Self.options())
            try FileManager.default.createDirectory(atPath: dir.file("up"), withIntermediateDirectories: false)
            try FileManager.default.createDirectory(atPath: dir.file("down"), withIntermediateDirectories: false)
            for (index, name) in Self.names.enumerated() {
                let contents = Self.bytes(size, seed: UInt32(index))
                try dir.create(name, Data(contents))
                let up = "\(dir.file("up"))/\(name)"
                let down = "\(dir.file("down"))/\(name)"
                #expect(try await transfer.upload(dir.file(name), to: SFTPPath(up)) == UInt64(size))
                #expect(try await transfer.download(SFTPPath(up), to: down) == UInt64(size))
                #expect(try Self.read(up) == contents)
                #expect(try Self.read(down) == contents)
            }
            // Only the final names remain: no partial files.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("up")).sorted() == Self.names.sorted())
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("down")).sorted() == Self.names.sorted())
        }
    }

    /// A FIFO as the source is refused at once, not opened and waited
    /// on until a writer comes (sftp's put waits there forever).
    @Test func aFifoSourceIsRefusedWithoutWaitingForAWriter() async throws {
        try await withSFTPServer { client, dir in
            let fifo = dir.file("fifo")
            #expect(mkfifo(fifo, 0o600) == 0)
            let transfer = FileTransfer(client: client, options: Self.options())
            let error = try await Self.endingWithin5Seconds(releasing: fifo, "the upload of a FIFO") { () -> TransferError? in
                do {
                    _ = try await transfer.upload(fifo, to: dir.sftp("up"))
                    return nil
                } catch let error as TransferError {
                    return error
                } catch {
                    return nil
                }
            }
            #expect(error?.code == .notRegularFile, "\(String(describing: error))")
            #expect(!FileManager.default.fileExists(atPath: dir.file("up")))
        }
    }

    /// `sync --checksum` hashing a local name where a FIFO now stands
    /// (planted since the listing) refuses it at once.
    @Test func aChecksumOfAFifoIsRefusedWithoutWaiting() async throws {
        try await withSFTPServer { client, dir in
            let fifo = dir.file("fifo")
            #expect(mkfifo(fifo, 0o600) == 0)
            try dir.create("file", Data("abc".utf8))
            let transfer = FileTransfer(client: client, options: Self.options())
            let hashed = try await Self.endingWithin5Seconds(releasing: fifo, "hashing a FIFO") {
                await SyncChecksums.hashLocal(LocalPath(fifo), .sha256, transfer)
            }
            guard case .failure(let error) = hashed else {
                Issue.record("a FIFO was hashed")
                return
            }
            #expect(error.code == .notRegularFile, "\(error)")
            // A regular file still hashes (sha256 of "abc").
            let digest = try await SyncChecksums.hashLocal(LocalPath(dir.file("file")), .sha256, transfer).get()
            #expect(digest.prefix(4) == [0xBA, 0x78, 0x16, 0xBF])
        }
    }

    /// Runs `body`, which may block in `open` on the FIFO at `fifo`; past
    /// 5 s the test fails and the FIFO is opened for writing, which lets
    /// such an open return, so the test ends rather than hangs.
    static func endingWithin5Seconds<T: Sendable>(releasing fifo: String, _ what: String,
                                                  _ body: @escaping @Sendable () async -> T) async throws -> T {
        let ended = Locked(false)
        let task = Task { () -> T in
            defer { ended.withLock { $0 = true } }
            return await body()
        }
        var waited = 0
        while !ended.withLock({ $0 }), waited < 100 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        if !ended.withLock({ $0 }) {
            let writer = open(fifo, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            Issue.record("\(what) was still waiting after 5 s")
        }
        return await task.value
    }

    @Test func replacesAnExistingFileAndPreservesModeAndTimes() async throws {
        try await withSFTPServer { client, dir in
            let contents = Self.bytes(5000)
            try dir.create("source", Data(contents))
            try dir.create("old-remote", Data("old".utf8))
            try dir.create("old-local", Data("old".utf8))
            chmod(dir.file("source"), 0o640)
            var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_200_000_000, tv_nsec: 0)]
            utimensat(AT_FDCWD, dir.file("source"), &times, 0)
            let transfer = FileTransfer(client: client, options: Self.options(preserve: true))
            try await transfer.upload(dir.file("source"), to: dir.sftp("old-remote"))
            try await transfer.download(dir.sftp("source"), to: dir.file("old-local"))
            for path in [dir.file("old-remote"), dir.file("old-local")] {
                #expect(try Self.read(path) == contents)
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                #expect((attributes[.posixPermissions] as? Int) == 0o640)
                #expect((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 == 1_200_000_000)
            }
        }
    }

    @Test func directoryWithoutRecursionIsAClearError() async throws {
        try await withSFTPServer { client, dir in
            let transfer = FileTransfer(client: client)
            await #expect(throws: TransferError(.isDirectory, "")) {
                try await transfer.download(SFTPPath(dir.path), to: dir.file("x"))
            }
            await #expect(throws: TransferError(.remote, "")) {
                try await transfer.download(dir.sftp("missing"), to: dir.file("x"))
            }
            #expect(!FileManager.default.fileExists(atPath: dir.file("x")))
        }
    }

    /// A download that fails half-way leaves nothing under the final name
    /// and keeps its partial file; `-a` then continues it (matching last
    /// block) or starts over (mismatch), byte-identical either way.
    @Test func interruptedDownloadIsAtomicAndResumes() async throws {
        let contents = Self.bytes(50_000)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let local = directory.file("target file")
        let partial = directory.file(".target file.ferry-part")

        let hostile = try await HostileServer.connect(.init(files: [Array("remote".utf8): contents], failRead: 20))
        await #expect(throws: TransferError(.remote, "")) {
            try await FileTransfer(client: hostile, options: Self.options()).download("remote", to: local)
        }
        hostile.close()
        #expect(!FileManager.default.fileExists(atPath: local))
        let kept = try Self.read(partial)
        #expect(kept.count > 0 && kept.count < contents.count)
        #expect(kept == Array(contents.prefix(kept.count)))

        try await withSFTPServer { client, dir in
            try dir.create("remote", Data(contents))
            let transfer = FileTransfer(client: client, options: Self.options(resume: true))
            // Matching partial: only the rest is read.
            let moved = try await transfer.download(dir.sftp("remote"), to: local)
            #expect(moved == UInt64(contents.count - kept.count))
            #expect(try Self.read(local) == contents)
            #expect(!FileManager.default.fileExists(atPath: partial))

            // Mismatching partial (last byte differs): everything again.
            var wrong = kept
            wrong[wrong.count - 1] ^= 0xFF
            try Data(wrong).write(to: URL(fileURLWithPath: partial))
            #expect(try await transfer.download(dir.sftp("remote"), to: local) == UInt64(contents.count))
            #expect(try Self.read(local) == contents)

            // Partial longer than the source: starts over.
            try Data(contents + [1, 2, 3]).write(to: URL(fileURLWithPath: partial))
            #expect(try await transfer.download(dir.sftp("remote"), to: local) == UInt64(contents.count))
            #expect(try Self.read(local) == contents)
        }
    }

    @Test func uploadResumesFromMatchingPartialAndRestartsOnMismatch() async throws {
        try await withSFTPServer { client, dir in
            let contents = Self.bytes(30_000)
            try dir.create("source", Data(contents))
            let transfer = FileTransfer(client: client, options: Self.options(resume: true))
            try dir.create(".dest.ferry-part", Data(contents.prefix(12_345)))
            #expect(try await transfer.upload(dir.file("source"), to: dir.sftp("dest")) == UInt64(30_000 - 12_345))
            #expect(try Self.read(dir.file("dest")) == contents)
            #expect(!FileManager.default.fileExists(atPath: dir.file(".dest.ferry-part")))

            var wrong = Array(contents.prefix(12_345))
            wrong[12_000] ^= 1
            try dir.create(".dest.ferry-part", Data(wrong))
            #expect(try await transfer.upload(dir.file("source"), to: dir.sftp("dest")) == UInt64(30_000))
            #expect(try Self.read(dir.file("dest")) == contents)
        }
    }
}
