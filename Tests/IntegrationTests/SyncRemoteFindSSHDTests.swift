import Foundation
import Glibc
import SFTP
import SSHCore
import Testing
@testable import Transfer

/// `SyncRemoteFind` against a real sshd: `find -printf` run over exec by
/// the account's shell lists what the server's SFTP lists, names with
/// spaces, quotes, newlines and non-ASCII included; a root find cannot
/// list gives no snapshot; a sync that waits for the snapshot ends with
/// the trees identical.
@Suite("sync's find over exec against sshd", .serialized)
struct SyncRemoteFindSSHDTests {
    /// The find listing with the race against SFTP off, so that the
    /// snapshot is what answers.
    struct Waiting: RemoteTreeListing {
        let find: SyncRemoteFind
        func snapshot(of root: SFTPPath) async -> SyncRemoteSnapshot? { await find.snapshot(of: root) }
        var racesSFTP: Bool { false }
    }

    @Test("find over exec lists what SFTP lists; a missing root gives none; a sync listed by it ends identical")
    func findOverExec() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "sync-find")
        defer { local.remove() }
        let root = "\(sshd.scratchDirectory)/tree"
        try SyncCLITests.makeTree(root, for: sshd)
        let client = try await FerryClient.connect(to: sshd)
        let (sftp, channel) = try await client.openSFTP()

        let find = SyncRemoteFind(client: client)
        let snapshot = try #require(await find.snapshot(of: SFTPPath(root)), "\(find.outcomes)")
        #expect(find.outcomes.first?.contains("listed with find over exec") == true, "\(find.outcomes)")
        #expect(snapshot.describes(try await sftp.stat(SFTPPath(root))))
        let tree = RemoteSyncTree(client: sftp, root: SFTPPath(root))
        for relative in ["", "d0", "d2", "with space", "caf\u{e9}", "emptydir"].map({ Array($0.utf8) }) {
            let overSFTP = try await tree.listOverSFTP(relative).entries
            let fromFind = try #require(snapshot.listing(relative)).entries
            #expect(fromFind.map(\.name) == overSFTP.map(\.name))
            #expect(fromFind.map(\.kind) == overSFTP.map(\.kind))
            #expect(fromFind.map(\.size) == overSFTP.map(\.size))
            #expect(fromFind.map(\.modificationTime) == overSFTP.map(\.modificationTime))
            #expect(fromFind.map(\.mode) == overSFTP.map(\.mode))
        }
        #expect(await find.snapshot(of: SFTPPath(root + "/absent")) == nil, "find fails: no snapshot")

        let transfer = FileTransfer(client: sftp)
        let report = await transfer.sync(.download(SFTPPath(root), LocalPath(local.file("down"))), options: SyncOptions(),
                                         remoteListing: Waiting(find: SyncRemoteFind(client: client)))
        #expect(report.succeeded && report.transferred == SyncCLITests.fileCount, "\(report.failures)")
        #expect(SyncCLITests.snapshot(local.file("down")) == SyncCLITests.snapshot(root))

        sftp.close()
        await channel.close()
        await client.close()
    }
}
