import Foundation
import Glibc
import Testing

/// `ferry sftp -b` against OpenSSH's `sftp -b` on the sshd fixture: the
/// same batch, from the same starting trees, must leave the same remote
/// and local trees and end with the same exit status — including the
/// failing cases of OpenSSH's regress sftp-badcmds.sh.
@Suite("ferry sftp -b conforms to sftp -b", .serialized)
struct SFTPBatchConformanceTests {
    /// One side of a comparison: a remote and a local directory.
    struct Side {
        let remote: String
        let local: String
    }

    /// The starting trees: remote `data`, `other`, `dir/inner`, `glob1.c`,
    /// `glob2.c`; local `lfile`, `l1.txt`, `l2.txt`, `ldir/x`.
    static func seed(_ side: Side, _ sshd: SSHDFixture) throws {
        let remoteFiles = ["data": "remote data\n", "other": "other\n", "dir/inner": "inner\n",
                           "glob1.c": "one\n", "glob2.c": "two\n", "with space": "spaced\n"]
        for (name, text) in remoteFiles { try Self.write("\(side.remote)/\(name)", text) }
        let localFiles = ["lfile": "local\n", "l1.txt": "l1\n", "l2.txt": "l2\n", "ldir/x": "x\n"]
        for (name, text) in localFiles { try Self.write("\(side.local)/\(name)", text) }
        Self.walk(side.remote) { Proof.giveToAccount($0, sshd) }
        Proof.giveToAccount(side.remote, sshd)
    }

    static func write(_ path: String, _ text: String) throws {
        try Proof.makeDirectory((path as NSString).deletingLastPathComponent)
        try Proof.write(path, Array(text.utf8))
    }

    static func walk(_ root: String, _ body: (String) -> Void) {
        guard let names = try? FileManager.default.subpathsOfDirectory(atPath: root) else { return }
        for name in names { body("\(root)/\(name)") }
    }

    /// The tree under `root`: relative path → contents, "dir", or "-> target".
    static func tree(_ root: String) -> [String: String] {
        var out: [String: String] = [:]
        guard let names = try? FileManager.default.subpathsOfDirectory(atPath: root) else { return out }
        for name in names {
            let path = "\(root)/\(name)"
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                out[name] = "-> \(target)"
            } else if Proof.status(path).map({ $0.st_mode & S_IFMT == S_IFDIR }) == true {
                out[name] = "dir"
            } else {
                out[name] = String(decoding: Proof.contents(path) ?? [], as: UTF8.self)
                    + " mode " + String(Proof.status(path).map { $0.st_mode & 0o7777 } ?? 0, radix: 8)
            }
        }
        return out
    }

    /// Runs `batch` (with REMOTE and LOCAL replaced by each side's
    /// directories) through sftp -b and ferry sftp -b, and compares.
    func compare(_ name: String, _ batch: String, expectStatus: Int32,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let work = try FixtureDirectory.create(prefix: "sftp-conform")
        defer { work.remove() }
        var results: [(status: Int32?, remote: [String: String], local: [String: String], output: String)] = []
        for tool in ["sftp", "ferry"] {
            let side = Side(remote: "\(sshd.scratchDirectory)/\(tool)", local: work.file("\(tool)-local"))
            try Proof.makeDirectory(side.remote)
            try Proof.makeDirectory(side.local)
            try Self.seed(side, sshd)
            let text = batch.replacingOccurrences(of: "REMOTE", with: side.remote)
                .replacingOccurrences(of: "LOCAL", with: side.local)
            let file = work.file("\(tool).batch")
            try Proof.write(file, Array(("cd \(side.remote)\nlcd \(side.local)\n" + text + "\n").utf8))
            let result: CommandResult
            if tool == "sftp" {
                result = try await FixtureCommand.run(
                    "sftp", OpenSSHClient.options(for: sshd) + ["-b", file, "-P", String(sshd.port), "\(sshd.user)@\(sshd.host)"],
                    timeout: .seconds(60))
            } else {
                result = try await FerryCLI.run(["sftp"] + FerryCLI.connectionArguments(for: sshd) + ["-b", file, "\(sshd.user)@\(sshd.host)"],
                                                timeout: .seconds(60))
            }
            results.append((result.exit.signaled ? nil : result.exit.code, Self.tree(side.remote), Self.tree(side.local),
                            result.stdout + result.stderr))
        }
        let (sftp, ferry) = (results[0], results[1])
        #expect(sftp.status == expectStatus, "\(name): sftp -b exit \(String(describing: sftp.status)): \(sftp.output)", sourceLocation: sourceLocation)
        #expect(ferry.status == sftp.status, "\(name): exit \(String(describing: ferry.status)) vs sftp's \(String(describing: sftp.status)): \(ferry.output)", sourceLocation: sourceLocation)
        #expect(ferry.remote == sftp.remote, "\(name): remote trees differ\nferry \(ferry.remote)\nsftp  \(sftp.remote)", sourceLocation: sourceLocation)
        #expect(ferry.local == sftp.local, "\(name): local trees differ\nferry \(ferry.local)\nsftp  \(sftp.local)", sourceLocation: sourceLocation)
    }

    @Test("a batch of every state-changing command gives the same trees")
    func everyCommand() async throws {
        try await compare("every command", """
            mkdir up
            put l*.txt up
            put -r ldir
            rename up/l1.txt up/renamed.txt
            ln -s data link
            ln data hard
            chmod 600 other
            get glob*.c
            get "with space" spaced-copy
            get -r dir
            lmkdir lnew
            lcd lnew
            get data
            rm glob1.c
            rmdir ldir/nothing-here-is-fine-to-fail
            """, expectStatus: 1)
        try await compare("ignored failures", """
            -get missing
            -rm missing
            -rmdir missing
            put lfile
            -mkdir up
            mkdir up2
            cd up2
            put l1.txt
            put l2.txt
            lcd LOCAL
            reget REMOTE/data data-again
            ls -la
            pwd
            """, expectStatus: 0)
    }

    @Test("sftp-badcmds: each failure ends the batch with status 1 and the same trees")
    func badCommands() async throws {
        let cases = [
            "get missing",
            "put missing",
            "get \"missing*\"",
            "put LOCAL/missing*",
            "get data /nonexistent-dir/foo",
            "put lfile /nonexistent-dir/foo",
            "get dir",
            "put ldir",
            "rename data dir",
            "rename dir data",
            "rm dir",
            "chmod 644 missing",
            "get glob*.c lfile",
            "cd data",
            "mkdir dir",
            "ls missing",
            "frobnicate",
        ]
        for bad in cases {
            try await compare(bad, "put l1.txt\n\(bad)\nput l2.txt\nmkdir after", expectStatus: 1)
        }
    }
}
