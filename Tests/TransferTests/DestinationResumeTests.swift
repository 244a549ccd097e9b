import SFTPTestSupport
import Foundation
import Glibc
import SFTP
import Testing
@testable import Transfer

/// `-a` on what sftp or scp left under the final name: a shorter file
/// that matches is continued, a complete one skipped, a different or
/// longer one replaced atomically; an interrupted continuation still
/// leaves a prefix of the source.
@Suite struct DestinationResumeTests {
    static let contents = FileTransferTests.bytes(30_000, seed: 11)

    static func options(resumesDestination: Bool = true) -> TransferOptions {
        var options = TransferOptions(resume: true, blockLength: 1000, maxOutstanding: 4)
        options.resumesDestination = resumesDestination
        return options
    }

    static func inode(_ path: String) -> UInt64? { Disk.lstatus(path).map { UInt64($0.st_ino) } }

    /// The `.resumed` offsets and `.partialKept` paths an EventLog saw.
    final class Resumes: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var offsets: [UInt64] = []
        private(set) var kept: [String] = []
        private(set) var notices: [String] = []
        func record(_ event: TransferEvent) {
            lock.withLock {
                switch event {
                case .resumed(_, _, let offset, _): offsets.append(offset)
                case .partialKept(let path, _): kept.append(path)
                case .notice(_, let message): notices.append(message)
                default: break
                }
            }
        }
    }

    @Test func downloadContinuesAShorterMatchingFileInPlace() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("remote", Data(Self.contents))
            try dir.create("local", Data(Self.contents.prefix(12_345)))
            let before = Self.inode(dir.file("local"))
            let events = Resumes()
            let transfer = FileTransfer(client: client, options: Self.options(), onEvent: events.record)
            #expect(try await transfer.download(dir.sftp("remote"), to: dir.file("local")) == UInt64(30_000 - 12_345))
            #expect(try FileTransferTests.read(dir.file("local")) == Self.contents)
            #expect(events.offsets == [12_345])
            #expect(Self.inode(dir.file("local")) == before)
            #expect(!FileManager.default.fileExists(atPath: dir.file(".local.ferry-part")))
        }
    }

    @Test func uploadContinuesAShorterMatchingFileInPlace() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("source", Data(Self.contents))
            try dir.create("dest", Data(Self.contents.prefix(7_001)))
            let events = Resumes()
            let transfer = FileTransfer(client: client, options: Self.options(), onEvent: events.record)
            #expect(try await transfer.upload(dir.file("source"), to: dir.sftp("dest")) == UInt64(30_000 - 7_001))
            #expect(try FileTransferTests.read(dir.file("dest")) == Self.contents)
            #expect(events.offsets == [7_001])
            #expect(!FileManager.default.fileExists(atPath: dir.file(".dest.ferry-part")))
        }
    }

    /// A complete copy is verified and skipped: nothing is read past the
    /// check, the file stays as it is, and get/put count it as skipped.
    @Test func completeFilesAreSkippedBothWays() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("remote", Data(Self.contents))
            try dir.create("local", Data(Self.contents))
            try dir.create("dest", Data(Self.contents))
            let transfer = FileTransfer(client: client, options: Self.options())
            await #expect(throws: TransferError(.alreadyComplete, "")) {
                try await transfer.download(dir.sftp("remote"), to: dir.file("local"))
            }
            let got = await transfer.get([dir.sftp("remote")], to: LocalPath(dir.file("local")))
            #expect(got.files == 0 && got.skipped == 1 && got.succeeded)
            let put = await transfer.put([LocalPath(dir.file("remote"))], to: dir.sftp("dest"))
            #expect(put.files == 0 && put.skipped == 1 && put.succeeded)
            #expect(try FileTransferTests.read(dir.file("local")) == Self.contents)
            #expect(try FileTransferTests.read(dir.file("dest")) == Self.contents)
            #expect(Disk.names(dir.path).filter { $0.hasSuffix(".ferry-part") }.isEmpty)
        }
    }

    /// A file that differs where it ends, or is longer than the source,
    /// is not continued: it is replaced whole, atomically (a new inode),
    /// and a notice says why.
    @Test(arguments: [false, true])
    func differentOrLongerFilesAreReplacedAtomically(longer: Bool) async throws {
        try await withSFTPServer { client, dir in
            var planted = Array(Self.contents.prefix(12_345))
            if longer { planted = Self.contents + [1, 2, 3] } else { planted[12_000] ^= 0x55 }
            try dir.create("remote", Data(Self.contents))
            try dir.create("source", Data(Self.contents))
            try dir.create("local", Data(planted))
            try dir.create("dest", Data(planted))
            let before = Self.inode(dir.file("local"))
            let events = Resumes()
            let transfer = FileTransfer(client: client, options: Self.options(), onEvent: events.record)
            #expect(try await transfer.download(dir.sftp("remote"), to: dir.file("local")) == 30_000)
            #expect(try await transfer.upload(dir.file("source"), to: dir.sftp("dest")) == 30_000)
            #expect(try FileTransferTests.read(dir.file("local")) == Self.contents)
            #expect(try FileTransferTests.read(dir.file("dest")) == Self.contents)
            #expect(Self.inode(dir.file("local")) != before)
            #expect(events.offsets.isEmpty)
            #expect(events.notices.count == 2)
            #expect(events.notices.allSatisfy { $0.contains(longer ? "larger than the source" : "does not match") })
        }
    }

    /// sync copies a file because it differs: it continues only its own
    /// partial files, never extends a different file under the final name.
    @Test func withoutResumesDestinationAShorterFileIsReplaced() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("remote", Data(Self.contents))
            try dir.create("local", Data(Self.contents.prefix(12_345)))
            let transfer = FileTransfer(client: client, options: Self.options(resumesDestination: false))
            #expect(try await transfer.download(dir.sftp("remote"), to: dir.file("local")) == 30_000)
            #expect(try FileTransferTests.read(dir.file("local")) == Self.contents)
        }
    }

    /// A continuation that fails half-way leaves a longer prefix of the
    /// source under the final name, reported as kept; the next -a ends it.
    @Test func aFailedContinuationLeavesAPrefixThatResumes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let local = directory.file("local")
        try Data(Self.contents.prefix(5_000)).write(to: URL(fileURLWithPath: local))
        let hostile = try await HostileServer.connect(.init(files: [Array("remote".utf8): Self.contents], failRead: 12))
        let events = Resumes()
        await #expect(throws: TransferError(.remote, "")) {
            try await FileTransfer(client: hostile, options: Self.options(), onEvent: events.record).download("remote", to: local)
        }
        hostile.close()
        let left = try FileTransferTests.read(local)
        #expect(left.count > 5_000 && left.count < Self.contents.count)
        #expect(left == Array(Self.contents.prefix(left.count)))
        #expect(events.kept == [local])

        try await withSFTPServer { client, dir in
            try dir.create("remote", Data(Self.contents))
            let transfer = FileTransfer(client: client, options: Self.options())
            #expect(try await transfer.download(dir.sftp("remote"), to: local) == UInt64(Self.contents.count - left.count))
            #expect(try FileTransferTests.read(local) == Self.contents)
        }
    }
}
