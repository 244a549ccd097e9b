import Foundation
import Glibc
import Testing

// ferry's SCP against the scp that dropbear runs (OpenSSH's, started by
// dropbear's session): a tree with -r -p both ways, sha256 and modes.

@Suite("SCP: ferry cp -O against dropbear",
       .enabled(if: TestAccount.runningAsRoot, "dropbear reads ~/.ssh/authorized_keys of a dedicated account, which only root can create"))
struct ClientSCPDropbearTests {
    @Test("a tree with -r -p, both ways, checked by sha256, modes kept")
    func tree() async throws {
        let dropbear = try await DropbearFixture.start()
        defer { dropbear.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-dropbear")
        defer { local.remove() }
        let scratch = dropbear.scratchDirectory
        let account = dropbear.server.account
        try Proof.makeDirectory("\(scratch)/tree/sub dir")
        try await Proof.makeRandomFile("\(scratch)/tree/big", bytes: (8 << 20) + 1, seed: 4)
        try Proof.write("\(scratch)/tree/sub dir/it's", Array("quoted\n".utf8), mode: 0o600)
        try Proof.write("\(scratch)/tree/empty", [], mode: 0o640)
        for path in ["tree", "tree/sub dir", "tree/big", "tree/sub dir/it's", "tree/empty"] {
            chown("\(scratch)/\(path)", account.uid, account.gid)
        }
        let remote = "\(dropbear.user)@\(dropbear.host):"
        let get = try await FerryCLI.run(["cp"] + FerryCLI.connectionArguments(for: dropbear)
                                             + ["-O", "-r", "-p", "\(remote)\(scratch)/tree", local.file("copy")], timeout: .seconds(120))
        #expect(get.exit == Proof.ok, "\(get.summary)\n\(dropbear.log)")
        try Proof.makeDirectory("\(scratch)/up")
        chown("\(scratch)/up", account.uid, account.gid)
        let put = try await FerryCLI.run(["cp"] + FerryCLI.connectionArguments(for: dropbear)
                                             + ["-O", "-r", "-p", local.file("copy"), "\(remote)\(scratch)/up"], timeout: .seconds(120))
        #expect(put.exit == Proof.ok, "\(put.summary)\n\(dropbear.log)")
        for root in [local.file("copy"), "\(scratch)/up/copy"] {
            #expect(try await Proof.sha256("\(root)/big") == (try await Proof.sha256("\(scratch)/tree/big")), "\(root)")
            #expect(Proof.contents("\(root)/sub dir/it's") == Array("quoted\n".utf8), "\(root)")
            #expect(Proof.status("\(root)/sub dir/it's").map { $0.st_mode & 0o7777 } == 0o600, "\(root)")
            #expect(Proof.size("\(root)/empty") == 0, "\(root)")
        }
    }
}
