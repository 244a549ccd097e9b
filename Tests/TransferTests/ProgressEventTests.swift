import SFTPTestSupport
import Foundation
import Locking
import SFTP
import Testing
@testable import Transfer

/// The events a progress meter and `--json` are built from: a tree's plan
/// (files and bytes) before its files start, a start per file named as its
/// end is, byte counts that add up to what moved, and a failure that names
/// its file — both ways, against sftp-server.
@Suite struct ProgressEventTests {
    /// What the events came to, collected from any task.
    final class Tally: Sendable {
        struct Counts {
            var planned: [(files: Int, bytes: UInt64)] = []
            var started: [String: UInt64?] = [:]
            var progressed: UInt64 = 0
            var progressEvents = 0
            var finished: [String: UInt64] = [:]
            var failed: [TransferError] = []
            /// Files started before any plan was reported.
            var startedBeforePlan = 0
        }
        let counts = Locked(Counts())

        func record(_ event: TransferEvent) {
            counts.withLock { c in
                switch event {
                case .planned(let files, let bytes): c.planned.append((files, bytes))
                case .started(let path, let size):
                    if c.planned.isEmpty { c.startedBeforePlan += 1 }
                    c.started[path] = size
                case .progress(let bytes):
                    c.progressed += bytes
                    c.progressEvents += 1
                case .finished(let path, let bytes): c.finished[path] = bytes
                case .failed(let error): c.failed.append(error)
                case .skipped, .notice, .resumed, .partialKept: break
                }
            }
        }
    }

    static let sizes = [("a", 0), ("b", 1), ("c", 4999), ("d", 12_345)]

    static func options() -> TransferOptions { TransferOptions(blockLength: 1000, maxOutstanding: 4) }

    @Test func treeDownloadAndUploadReportPlanStartsAndBytes() async throws {
        try await withSFTPServer { client, dir in
            try FileManager.default.createDirectory(atPath: dir.file("tree"), withIntermediateDirectories: false)
            for (name, size) in Self.sizes { try dir.create("tree/\(name)", Data(FileTransferTests.bytes(size))) }
            let total = UInt64(Self.sizes.reduce(0) { $0 + $1.1 })
            for upload in [false, true] {
                let tally = Tally()
                let transfer = FileTransfer(client: client, options: Self.options(), onEvent: tally.record)
                let target = dir.file(upload ? "up" : "down")
                let report = upload
                    ? await transfer.put([dir.file("tree")], to: SFTPPath(target), recursive: true)
                    : await transfer.get([SFTPPath(dir.file("tree"))], to: target, recursive: true)
                #expect(report.succeeded && report.files == 4 && report.bytes == total)
                let c = tally.counts.withLock { $0 }
                #expect(c.planned.count == 1 && c.planned.first?.files == 4 && c.planned.first?.bytes == total, "upload \(upload)")
                #expect(c.startedBeforePlan == 0)
                #expect(Set(c.started.keys) == Set(c.finished.keys) && c.started.count == 4, "upload \(upload): \(c.started.keys)")
                for (name, size) in Self.sizes {
                    #expect(c.started["\(target)/\(name)"] == .some(UInt64(size)), "upload \(upload): \(name)")
                    #expect(c.finished["\(target)/\(name)"] == UInt64(size))
                }
                #expect(c.progressed == total, "upload \(upload): \(c.progressed)")
                // One count per block, not per byte.
                #expect(c.progressEvents <= 4 + Int(total / 1000) + 4, "upload \(upload): \(c.progressEvents)")
            }
        }
    }

    @Test func aFailedFileNamesItsDestination() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("good", Data("fine".utf8))
            try FileManager.default.createDirectory(atPath: dir.file("into"), withIntermediateDirectories: false)
            // The destination of "dir" is a directory: that one file fails.
            try FileManager.default.createDirectory(atPath: dir.file("into/dir"), withIntermediateDirectories: false)
            try dir.create("dir", Data("x".utf8))
            let tally = Tally()
            let transfer = FileTransfer(client: client, options: Self.options(), onEvent: tally.record)
            let report = await transfer.put([dir.file("good"), dir.file("dir")], to: SFTPPath(dir.file("into")))
            #expect(report.files == 1 && report.failures.count == 1)
            let c = tally.counts.withLock { $0 }
            #expect(c.failed.first?.path == dir.file("into/dir"), "\(c.failed)")
            #expect(c.planned.first?.files == 2 && c.planned.first?.bytes == 5)
        }
    }
}
