import Foundation
import Glibc
import NIOCore
import SFTP
import SFTPTestSupport
import Testing
@testable import Transfer

/// File names are bytes (a Latin-1 name is as valid as any), and a server
/// decides how much it sends: both carried and checked end to end.
@Suite struct ByteNameAndSizeTests {
    /// "café" in Latin-1: 0xE9 alone is not UTF-8.
    static let latin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9]

    @Test func namesThatAreNotUTF8RoundTripByteForByte() async throws {
        try await withSFTPServer { client, dir in
            try Disk.mkdir(dir.file("src/sub"))
            let root = Array(dir.path.utf8)
            let slash = UInt8(ascii: "/")
            try Disk.write(root + Array("/src/".utf8) + Self.latin1, Array("top".utf8))
            try Disk.write(root + Array("/src/sub/".utf8) + Self.latin1 + [0xFF], Array("deep".utf8))
            let transfer = FileTransfer(client: client)
            let up = await transfer.put([dir.file("src")], to: dir.sftp("remote"), recursive: true)
            #expect(up.succeeded && up.files == 2)
            let down = await transfer.get([dir.sftp("remote")], to: dir.file("back"), recursive: true)
            #expect(down.succeeded && down.files == 2)
            for tree in ["remote", "back"] {
                let base = root + [slash] + Array(tree.utf8) + [slash]
                #expect(Disk.read(base + Self.latin1) == Array("top".utf8))
                #expect(Disk.read(base + Array("sub/".utf8) + Self.latin1 + [0xFF]) == Array("deep".utf8))
            }
            // A single file named by bytes, both ways.
            let remote = SFTPPath(bytes: root + Array("/remote/".utf8) + Self.latin1)
            let local = LocalPath(bytes: root + Array("/single-".utf8) + Self.latin1)
            try await transfer.download(remote, to: local)
            #expect(Disk.read(local.bytes) == Array("top".utf8))
            #expect(local.description.hasSuffix("single-caf\\xe9"))
        }
    }

    @Test func escapedNamesShowEveryByte() {
        #expect(EscapedName.render(Array("plain ✓".utf8)) == "plain ✓")
        #expect(EscapedName.render([0x61, 0xE9, 0x62]) == "a\\xe9b")
        #expect(EscapedName.render([0xED, 0xA0, 0x80]) == "\\xed\\xa0\\x80")   // a surrogate
        #expect(EscapedName.render([0xC0, 0xAF]) == "\\xc0\\xaf")              // overlong "/"
        #expect(EscapedName.render([0xF0, 0x9F, 0x98]) == "\\xf0\\x9f\\x98")   // cut short
    }

    /// The server lists 10 bytes and sends 100,000: followed to the end
    /// (files grow) with a notice saying how far; `--max-size` stops it
    /// with a clear error and leaves nothing behind.
    @Test func dataPastTheListedSizeIsNoticedAndCapped() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let contents = FileTransferTests.bytes(100_000, seed: 3)
        let script = HostileServer.Script(files: [Array("big".utf8): contents], claimedSizes: [Array("big".utf8): 10])
        let client = try await HostileServer.connect(script)
        defer { client.close() }
        let events = EventLog()
        var options = TransferOptions(blockLength: 4096)
        let transfer = FileTransfer(client: client, options: options) { events.record($0) }
        try await transfer.download("big", to: directory.file("big"))
        #expect(try FileTransferTests.read(directory.file("big")) == contents)
        #expect(events.notices.contains { $0.contains("read 99990 bytes past its listed size of 10 bytes") })

        options.maxSize = 50_000
        let capped = FileTransfer(client: client, options: options)
        await #expect(throws: TransferError(.tooLarge, "")) {
            try await capped.download("big", to: directory.file("capped"))
        }
        #expect(Disk.names(directory.path) == ["big"])
    }
}
