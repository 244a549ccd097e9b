import Foundation
import Glibc
import SFTP
import SFTPTestSupport
import Testing
@testable import Transfer

/// Two sources that land on one destination: never one shared partial
/// file, never a mix of both under the final name. They are copied in
/// turn, the last one wins (as OpenSSH's sftp), with a notice; names that
/// one file system takes for one file are reported as a collision.
@Suite struct CollidingDestinationTests {
    static func options() -> TransferOptions {
        TransferOptions(blockLength: 1000, maxOutstanding: 16)
    }

    @Test func twoSourcesWithOneNameAreCopiedInTurnAndTheLastWins() async throws {
        try await withSFTPServer { client, dir in
            for sub in ["x", "y", "down", "up"] { try Disk.mkdir(dir.file(sub)) }
            let big = FileTransferTests.bytes(400_000, seed: 1)
            let small = FileTransferTests.bytes(10_000, seed: 2)
            try dir.create("x/same", Data(big))
            try dir.create("y/same", Data(small))
            let events = EventLog()
            let transfer = FileTransfer(client: client, options: Self.options()) { events.record($0) }

            let down = await transfer.get([dir.sftp("x/same"), dir.sftp("y/same")], to: dir.file("down"))
            #expect(down.succeeded)
            #expect(down.files == 2)
            #expect(try FileTransferTests.read(dir.file("down/same")) == small)
            #expect(Disk.names(dir.file("down")) == ["same"])

            let up = await transfer.put([dir.file("x/same"), dir.file("y/same")], to: dir.sftp("up"))
            #expect(up.succeeded)
            #expect(try FileTransferTests.read(dir.file("up/same")) == small)
            #expect(Disk.names(dir.file("up")) == ["same"])
            #expect(events.notices.filter { $0.contains("copied in turn, the last one wins") }.count == 2)
        }
    }

    /// Names that differ only in case are one file on a case-insensitive
    /// file system. This one is case-sensitive, so the planted link
    /// `a -> A` stands in for such a file system: both downloads land on
    /// one file, and the transfer says so instead of reporting success.
    @Test func namesThatLandOnOneFileAreACollision() async throws {
        try await withSFTPServer { client, dir in
            for sub in ["src", "down"] { try Disk.mkdir(dir.file(sub)) }
            try dir.create("src/A", Data("upper".utf8))
            try dir.create("src/a", Data("lower".utf8))
            try Disk.symlink(dir.file("down/a"), to: "A")
            let transfer = FileTransfer(client: client, options: Self.options())
            let report = await transfer.get([dir.sftp("src/A"), dir.sftp("src/a")], to: dir.file("down"))
            #expect(report.failures.map(\.code) == [.collision])
            #expect(try FileTransferTests.read(dir.file("down/A")) == Array("lower".utf8))
            #expect(Disk.type(dir.file("down/a")) == S_IFLNK)
        }
    }

    @Test func destinationsWithOneFoldedNameNeverRunAtOnce() {
        let jobs: [TransferJob] = ["a", "A", "b", "a", "c"].map { .upload("src", SFTPPath($0)) }
        var queue = DestinationQueue(jobs)
        #expect(queue.duplicates.map(\.0) == [3])
        #expect(queue.next() == 0)   // a
        #expect(queue.next() == 2)   // b (A waits for a)
        #expect(queue.next() == 4)   // c (the second a waits too)
        #expect(queue.next() == nil)
        queue.finished(2)
        #expect(queue.next() == nil)
        queue.finished(0)
        #expect(queue.next() == 1)   // A, now a is done
        #expect(queue.next() == nil)
        queue.finished(1)
        #expect(queue.next() == 3)   // the second a, last
        queue.finished(3)
        queue.finished(4)
        #expect(queue.next() == nil)
    }
}
