import SFTPTestSupport
import Foundation
import Glibc
import SFTP
import Testing
@testable import Transfer

/// Trees both ways, hostile listings, globs, and one failure among many.
@Suite struct TreeTransferTests {
    /// ~200 small files in nested directories, sizes 0…2999.
    static func makeTree(at root: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for d in 0..<5 {
            for s in 0..<2 {
                let directory = "d\(d)/sub \(s)"
                try FileManager.default.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
                for f in 0..<20 {
                    let path = "\(directory)/file \(f).bin"
                    let contents = FileTransferTests.bytes((d * 997 + s * 131 + f * 149) % 3000, seed: UInt32(d * 100 + s * 20 + f))
                    try Data(contents).write(to: URL(fileURLWithPath: "\(root)/\(path)"))
                    files[path] = contents
                }
            }
        }
        return files
    }

    @Test func treeOf200FilesRoundTrips() async throws {
        try await withSFTPServer { client, dir in
            let files = try Self.makeTree(at: dir.file("src"))
            chmod(dir.file("src/d1"), 0o750)
            symlink("d0", dir.file("src/link"))
            let transfer = FileTransfer(client: client, options: TransferOptions(preserve: true, blockLength: 1024))
            try FileManager.default.createDirectory(atPath: dir.file("remote"), withIntermediateDirectories: false)
            let up = await transfer.put([dir.file("src")], to: dir.sftp("remote"), recursive: true)
            #expect(up.succeeded)
            #expect(up.files == 200)
            #expect(up.skipped == 1)  // the symbolic link
            let down = await transfer.get([dir.sftp("remote/src")], to: dir.file("back"), recursive: true)
            #expect(down.succeeded)
            #expect(down.files == 200)
            for (path, contents) in files {
                #expect(try FileTransferTests.read(dir.file("remote/src/\(path)")) == contents)
                #expect(try FileTransferTests.read(dir.file("back/\(path)")) == contents)
            }
            let mode = try FileManager.default.attributesOfItem(atPath: dir.file("back/d1"))[.posixPermissions] as? Int
            #expect(mode == 0o750)
            #expect(!FileManager.default.fileExists(atPath: dir.file("back/link")))
        }
    }

    @Test func maliciousNamesInAListingAreRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let listing: [[UInt8]] = [Array(".".utf8), Array("..".utf8), Array("good".utf8), Array("../escape".utf8),
                                  Array("a/b".utf8), Array("nul\u{0}byte".utf8), []]
        let client = try await HostileServer.connect(.init(files: [Array("dir/good".utf8): Array("fine".utf8)], listing: listing))
        defer { client.close() }
        let report = await FileTransfer(client: client).get(["dir"], to: directory.file("dest"), recursive: true)
        #expect(report.files == 1)
        #expect(report.failures.count == 4)
        #expect(report.failures.allSatisfy { $0.code == .refusedName })
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["dest"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("dest")) == ["good"])
    }

    @Test func oneFailureDoesNotStopTheOthers() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("a", Data("a".utf8))
            try dir.create("c", Data("c".utf8))
            try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: false)
            let report = await FileTransfer(client: client).get([dir.sftp("a"), dir.sftp("missing"), dir.sftp("c")], to: dir.file("out"))
            #expect(report.files == 2)
            #expect(report.failures.count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out")).sorted() == ["a", "c"])
        }
    }

    @Test func remoteGlobMatchesLastComponent() async throws {
        try await withSFTPServer { client, dir in
            for name in ["a1", "a2", "b1", ".a3"] { try dir.create(name, Data()) }
            let transfer = FileTransfer(client: client)
            #expect(try await transfer.expandGlob(dir.sftp("a*")) == [dir.sftp("a1"), dir.sftp("a2")])
            #expect(try await transfer.expandGlob(dir.sftp("?1")) == [dir.sftp("a1"), dir.sftp("b1")])
            #expect(try await transfer.expandGlob(dir.sftp("b1")) == [dir.sftp("b1")])
            await #expect(throws: TransferError(.noMatch, "")) { try await transfer.expandGlob(dir.sftp("z*")) }
        }
    }
}
