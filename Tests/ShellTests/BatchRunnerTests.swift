import Glibc
import Foundation
import Testing
@testable import Shell

/// Batches against a local sftp-server: sftp -b's semantics (echo, stop at
/// the first unignored failure, exit statuses) and the commands' effects.
@Suite struct BatchRunnerTests {
    @Test func roundTripAndEcho() async throws {
        try await withShell { shell in
            try shell.write("\(shell.local)/a.txt", "alpha")
            try shell.write("\(shell.local)/b.txt", "beta")
            let result = await shell.run("""
                mkdir up
                cd up
                put *.txt
                pwd
                ls -1
                lcd \(shell.local)
                lmkdir back
                get *.txt back/
                """)
            #expect(result.exitStatus == 0)
            #expect(shell.read("\(shell.remote)/up/a.txt") == "alpha")
            #expect(shell.read("\(shell.local)/back/b.txt") == "beta")
            let lines = shell.captured.lines
            #expect(lines.first == "sftp> mkdir up")
            #expect(lines.contains("Remote working directory: \(shell.remote)/up"))
            #expect(lines.contains("a.txt") && lines.contains("b.txt"))
            #expect(lines.contains("sftp> get *.txt back/"))
        }
    }

    @Test func stopsAtFirstFailure() async throws {
        try await withShell { shell in
            try shell.write("\(shell.local)/x", "x")
            let result = await shell.run("""
                get missing
                put x
                """)
            #expect(result.exitStatus == 1)
            #expect(result.failedLine == 1)
            #expect(!shell.exists("\(shell.remote)/x"))
            #expect(!shell.captured.standardOutput.contains("sftp> put x"))
        }
    }

    @Test func dashPrefixIgnoresFailure() async throws {
        try await withShell { shell in
            try shell.write("\(shell.local)/x", "x")
            let result = await shell.run("""
                -rm nothing-here
                -frobnicate
                put x
                @pwd
                """)
            #expect(result.exitStatus == 0)
            #expect(shell.exists("\(shell.remote)/x"))
            #expect(!shell.captured.standardOutput.contains("sftp> @pwd"))
            #expect(shell.captured.standardError.contains("Invalid command."))
        }
    }

    @Test func badCommandsFailAsSftpDoes() async throws {
        // OpenSSH regress sftp-badcmds: each of these must fail (exit 1).
        try await withShell { shell in
            try shell.write("\(shell.remote)/file", "data")
            try shell.write("\(shell.remote)/other", "other")
            try FileManager.default.createDirectory(atPath: "\(shell.remote)/dir", withIntermediateDirectories: true)
            try shell.write("\(shell.local)/lfile", "l")
            let cases = [
                "get nonexistent",
                "put nonexistent",
                "get \"nonexistent*\"",
                "put \"\(shell.local)/nonexistent*\"",
                "get file /nonexistent-dir/foo",
                "put lfile /nonexistent-dir/foo",
                "get dir",
                "rename file dir",
                "rename dir file",
                "rm dir",
                "chmod 644 nonexistent",
                "get * \(shell.local)/lfile",
                "rmdir nonexistent",
                "cd file",
                "mkdir dir",
                "ls nonexistent",
            ]
            for line in cases {
                let result = await shell.run(line)
                #expect(result.exitStatus == 1, "\(line) should fail")
            }
            // The tree is as it was.
            #expect(shell.read("\(shell.remote)/file") == "data")
            #expect(shell.read("\(shell.remote)/other") == "other")
            #expect(shell.read("\(shell.local)/lfile") == "l")
        }
    }

    @Test func renameReplacesWithPosixRename() async throws {
        try await withShell { shell in
            try shell.write("\(shell.remote)/a", "new")
            try shell.write("\(shell.remote)/b", "old")
            #expect(await shell.run("rename a b").exitStatus == 0)
            #expect(shell.read("\(shell.remote)/b") == "new")
            try shell.write("\(shell.remote)/c", "c")
            // -l: the legacy RENAME, which refuses to replace.
            #expect(await shell.run("rename -l c b").exitStatus == 1)
        }
    }

    @Test func linksChmodAndListing() async throws {
        try await withShell { shell in
            try shell.write("\(shell.remote)/f", "12345")
            let result = await shell.run("""
                ln -s f link
                ln f hard
                chmod 600 f
                ls -ln f
                ls -l1
                df
                version
                """)
            #expect(result.exitStatus == 0)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(shell.remote)/link") == "f")
            #expect(shell.read("\(shell.remote)/hard") == "12345")
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(shell.remote)/f")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let long = shell.captured.lines.first { $0.hasPrefix("-rw-------") && $0.hasSuffix(" f") }
            #expect(long != nil)
            #expect(shell.captured.standardOutput.contains("%Capacity"))
            #expect(shell.captured.standardOutput.contains("SFTP protocol version 3"))
        }
    }

    @Test func listingsAsSftpPrintsThem() async throws {
        // The lines OpenSSH 9.2's sftp -b prints for the same tree.
        try await withShell { shell in
            try shell.write("\(shell.remote)/r/a.txt", "hello\n")
            try FileManager.default.createDirectory(atPath: "\(shell.remote)/r/sub", withIntermediateDirectories: true)
            let result = await shell.run("""
                ls r
                ls -1 r
                lumask 027
                progress
                """)
            #expect(result.exitStatus == 0)
            #expect(shell.captured.lines == ["sftp> ls r", "r/a.txt   r/sub     ", "sftp> ls -1 r", "r/a.txt", "r/sub",
                                             "sftp> lumask 027", "Local umask: 027", "sftp> progress", "Progress meter enabled", ""])
        }
    }

    @Test func consecutiveGetsRunTogether() async throws {
        try await withShell { shell in
            var batch: [String] = []
            for index in 0..<40 {
                try shell.write("\(shell.remote)/f\(index)", String(repeating: "\(index)", count: 100 + index))
                batch.append("get f\(index)")
            }
            let result = await shell.run(batch.joined(separator: "\n"))
            #expect(result.exitStatus == 0)
            for index in 0..<40 {
                #expect(shell.read("\(shell.local)/f\(index)") == String(repeating: "\(index)", count: 100 + index))
            }
            // Every line echoed, in order.
            let echoed = shell.captured.lines.filter { $0.hasPrefix("sftp> ") }
            #expect(echoed == batch.map { "sftp> " + $0 })
        }
    }

    @Test func failureInAGroupStopsLaterLines() async throws {
        try await withShell { shell in
            for index in 0..<3 { try shell.write("\(shell.remote)/f\(index)", "x") }
            let result = await shell.run("""
                get f0
                get missing
                get f1
                get f2
                cd /
                """)
            #expect(result.exitStatus == 1)
            #expect(result.failedLine == 2)
            #expect(shell.exists("\(shell.local)/f0"))
            // Lines after the failure either did not start or were rolled
            // back: the local tree is as sftp -b leaves it.
            for entry in result.laterStarted { #expect(entry.line > 2 && entry.state == .rolledBack) }
            #expect(!shell.exists("\(shell.local)/f1"))
            #expect(!shell.exists("\(shell.local)/f2"))
            #expect(!shell.captured.standardOutput.contains("sftp> cd /"))
        }
    }

    @Test func laterPutsAreRolledBackButReplacedFilesReported() async throws {
        try await withShell { shell in
            for index in 0..<4 { try shell.write("\(shell.local)/p\(index)", "new\(index)") }
            try shell.write("\(shell.remote)/p3", "old3")
            let result = await shell.run("""
                put p0
                put missing
                put p1
                put p2
                put p3
                """)
            #expect(result.exitStatus == 1 && result.failedLine == 2)
            #expect(shell.exists("\(shell.remote)/p0"))
            #expect(!shell.exists("\(shell.remote)/p1") && !shell.exists("\(shell.remote)/p2"))
            // p3 replaced a file: if it ran, it is kept whole and reported.
            let p3 = shell.read("\(shell.remote)/p3")
            #expect(p3 == "old3" || p3 == "new3")
            #expect((p3 == "new3") == result.laterStarted.contains { $0.line == 5 && $0.state == .kept })
        }
    }

    @Test func resumeAndPreserve() async throws {
        try await withShell { shell in
            let content = String(repeating: "abcdefgh", count: 10_000)
            try shell.write("\(shell.remote)/big", content)
            try shell.write("\(shell.local)/big", String(content.prefix(40_000)))
            #expect(await shell.run("reget big").exitStatus == 0)
            #expect(shell.read("\(shell.local)/big") == content)
            try shell.write("\(shell.local)/p", "p")
            chmod("\(shell.local)/p", 0o640)
            #expect(await shell.run("put -p p").exitStatus == 0)
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(shell.remote)/p")
            #expect((attributes[.posixPermissions] as? Int) == 0o640)
        }
    }

    @Test func quitEndsTheBatch() async throws {
        try await withShell { shell in
            let result = await shell.run("""
                pwd
                quit
                get missing
                """)
            #expect(result.exitStatus == 0)
        }
    }

    @Test func pipedCommandsGoOnAfterAFailure() async throws {
        try await withShell { shell in
            try shell.write("\(shell.local)/x", "x")
            let result = await shell.run("get missing\nput x", stopOnError: false)
            #expect(result.exitStatus == 1)
            #expect(shell.exists("\(shell.remote)/x"))
        }
    }

    @Test func completion() async throws {
        try await withShell { shell in
            try shell.write("\(shell.remote)/report 2024.txt", "r")
            try FileManager.default.createDirectory(atPath: "\(shell.remote)/results", withIntermediateDirectories: true)
            try shell.write("\(shell.local)/local-only", "l")
            let session = shell.session
            let one = await session.complete(Array("get rep".utf8), shell.state)
            #expect(String(decoding: one.insert, as: UTF8.self) == "ort\\ 2024.txt ")
            let two = await session.complete(Array("ls re".utf8), shell.state)
            #expect(two.candidates.sorted() == ["report 2024.txt", "results/"])
            let local = await session.complete(Array("put loc".utf8), shell.state)
            #expect(String(decoding: local.insert, as: UTF8.self) == "al-only ")
            let command = await session.complete(Array("reg".utf8), shell.state)
            #expect(String(decoding: command.insert, as: UTF8.self) == "et ")
        }
    }
}

/// Cancelling a running get (Ctrl-C at the prompt) leaves nothing under
/// the final name.
@Suite struct CancelledTransferTests {
    @Test func cancelledGetLeavesNoFinalFile() async throws {
        try await withShell { shell in
            let fd = open("\(shell.remote)/huge", O_WRONLY | O_CREAT, 0o644)
            ftruncate(fd, 2 << 30)
            close(fd)
            let session = shell.session
            let state = shell.state
            let task = Task {
                var state = state
                return await session.execute(.get(ShellCommand.TransferFlags(), source: Array("huge".utf8), destination: nil), &state)
            }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let outcome = await task.value
            #expect(outcome == .failed)
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(shell.local)/huge"))?[.size] as? Int
            #expect(size == nil, "final file of size \(String(describing: size)); \(shell.captured.standardError)")
        }
    }
}
