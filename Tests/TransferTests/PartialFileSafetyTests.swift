import Foundation
import Glibc
import SFTP
import SFTPTestSupport
import Testing
@testable import Transfer

/// What another user can plant at the predictable partial name
/// (`.NAME.ferry-part`) is never followed, reused or emptied: a symbolic
/// link, a hard link to someone's file, a FIFO. Both ways: locally, and on
/// the server through sftp-server (which here writes the same disk).
@Suite struct PartialFileSafetyTests {
    static let contents = FileTransferTests.bytes(50_000, seed: 9)
    static let precious = Array("precious, not to be touched".utf8)

    static func options(resume: Bool) -> TransferOptions {
        TransferOptions(resume: resume, blockLength: 1000, maxOutstanding: 8)
    }

    /// Sets up `src/name`, a victim file, and the directories `down` and
    /// `up` with `plant` run on each one's partial name.
    static func stage(_ dir: TemporaryDirectory, _ plant: (String) throws -> Void) throws {
        for sub in ["src", "down", "up"] { try Disk.mkdir(dir.file(sub)) }
        try dir.create("src/name", Data(contents))
        try dir.create("victim", Data(precious))
        try plant(dir.file("down/.name.ferry-part"))
        try plant(dir.file("up/.name.ferry-part"))
    }

    static func transferBothWays(_ client: SFTPClient, _ dir: TemporaryDirectory, resume: Bool) async throws {
        let transfer = FileTransfer(client: client, options: options(resume: resume))
        try await transfer.download(dir.sftp("src/name"), to: dir.file("down/name"))
        try await transfer.upload(dir.file("src/name"), to: dir.sftp("up/name"))
        for side in ["down", "up"] {
            #expect(try FileTransferTests.read(dir.file("\(side)/name")) == contents)
            #expect(Disk.type(dir.file("\(side)/name")) == S_IFREG)
            // No random partial file is left behind (the planted one may
            // stay, or be unlinked when it was a stale file of ours).
            #expect(Disk.names(dir.file(side)).filter { $0.hasSuffix(".ferry-part") && $0 != ".name.ferry-part" } == [])
        }
        #expect(try FileTransferTests.read(dir.file("victim")) == precious)
    }

    @Test(arguments: [false, true])
    func aSymbolicLinkAtThePartialNameIsNeverFollowed(resume: Bool) async throws {
        try await withSFTPServer { client, dir in
            try Self.stage(dir) { try Disk.symlink($0, to: dir.file("victim")) }
            try await Self.transferBothWays(client, dir, resume: resume)
            for side in ["down", "up"] { #expect(Disk.type(dir.file("\(side)/.name.ferry-part")) == S_IFLNK) }
        }
    }

    @Test(arguments: [false, true])
    func aHardLinkAtThePartialNameIsNeverWrittenThrough(resume: Bool) async throws {
        try await withSFTPServer { client, dir in
            try Self.stage(dir) { guard link(dir.file("victim"), $0) == 0 else { throw POSIXError(.EIO) } }
            try await Self.transferBothWays(client, dir, resume: resume)
        }
    }

    @Test func aFIFOAtThePartialNameIsLeftAlone() async throws {
        try await withSFTPServer { client, dir in
            try Self.stage(dir) { guard mkfifo($0, 0o666) == 0 else { throw POSIXError(.EIO) } }
            // Only locally: sftp-server would block opening a FIFO without
            // O_NONBLOCK, which SFTP cannot ask for.
            let transfer = FileTransfer(client: client, options: Self.options(resume: true))
            try await transfer.download(dir.sftp("src/name"), to: dir.file("down/name"))
            #expect(try FileTransferTests.read(dir.file("down/name")) == Self.contents)
            #expect(Disk.type(dir.file("down/.name.ferry-part")) == S_IFIFO)
        }
    }

    /// A partial file of ours that no transfer is writing is still taken
    /// over by name, so `-a` keeps working and no random names pile up.
    @Test func aStalePartialFileOfOursIsReused() async throws {
        try await withSFTPServer { client, dir in
            try Self.stage(dir) { path in
                guard FileManager.default.createFile(atPath: path, contents: Data(Self.contents.prefix(20_000))) else {
                    throw POSIXError(.EIO)
                }
            }
            let transfer = FileTransfer(client: client, options: Self.options(resume: true))
            #expect(try await transfer.download(dir.sftp("src/name"), to: dir.file("down/name")) == 30_000)
            #expect(try await transfer.upload(dir.file("src/name"), to: dir.sftp("up/name")) == 30_000)
            for side in ["down", "up"] {
                #expect(try FileTransferTests.read(dir.file("\(side)/name")) == Self.contents)
                #expect(Disk.names(dir.file(side)) == ["name"])
            }
        }
    }

    /// A partial file another transfer holds open (its lock) is not
    /// taken: this one writes under a random name and leaves it alone.
    @Test func aLivePartialFileIsNotShared() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try LocalPartialFile.claim(for: LocalPath(dir.file("name")), mode: 0o600, resume: true)
        let second = try LocalPartialFile.claim(for: LocalPath(dir.file("name")), mode: 0o600, resume: true)
        #expect(first.resumable && first.path == LocalPath(dir.file(".name.ferry-part")))
        #expect(!second.resumable && second.path != first.path)
        try first.file.close()
        try second.file.close()
        let third = try LocalPartialFile.claim(for: LocalPath(dir.file("name")), mode: 0o600, resume: true)
        #expect(third.path == first.path)
    }
}
