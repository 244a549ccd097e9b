import Foundation
import Glibc
import Testing

// The end-to-end proofs of `ferry get` and `ferry put` (issue 5) against a
// real OpenSSH sshd (internal-sftp): 1 GiB both ways, a 2000-file tree
// with -p, resume after the transfer process is killed mid-file, resume
// that must start over, and files over 4 GiB (64-bit offsets). The smaller
// promises (names, edge sizes, failures, links, summary, URIs, globs) are
// in TransferProofEdgeTests.

@Suite("ferry get/put proofs against sshd: large files, trees, resume", .serialized)
struct TransferProofTests {
    @Test("1 GiB put and get: sha256-identical, every byte counted, no partial file left")
    func oneGiBBothWays() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-1g")
        defer { local.remove() }
        let size = 1 << 30
        let source = local.file("big.bin")
        try await Proof.makeRandomFile(source, bytes: size, seed: 1)
        let expected = try await Proof.sha256(source)
        let remotePath = "\(sshd.scratchDirectory)/big.bin"

        let put = try await Proof.ferry("put", [source, Proof.remote(sshd, remotePath)], on: sshd)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(put.summary)")
        let putSummary = Proof.summary(put.stdout)
        #expect(putSummary?.files == 1 && putSummary?.bytes == UInt64(size) && putSummary?.failed == 0, "\(put.summary)")
        #expect(try await Proof.sha256(remotePath) == expected)
        #expect(Proof.names(sshd.scratchDirectory) == ["big.bin"], "nothing but the file on the server")

        let back = local.file("back.bin")
        let get = try await Proof.ferry("get", [Proof.remote(sshd, remotePath), back], on: sshd)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "\(get.summary)")
        let getSummary = Proof.summary(get.stdout)
        #expect(getSummary?.files == 1 && getSummary?.bytes == UInt64(size) && getSummary?.failed == 0, "\(get.summary)")
        #expect(try await Proof.sha256(back) == expected)
        #expect(Proof.names(local.path) == ["back.bin", "big.bin"], "nothing but the file here")

        // The rate printed is bytes / seconds (checked where rounding of
        // the seconds to 0.01 cannot matter).
        for summary in [putSummary, getSummary].compactMap({ $0 }) where summary.seconds >= 0.5 {
            let rate = Double(summary.bytes) / summary.seconds / 1e6
            #expect(abs(summary.rate - rate) <= rate * 0.02 + 0.1, "\(summary)")
        }
    }

    @Test("2000 files in 20 directories, put -r -p and get -r -p: same bytes, modes and times")
    func treeOf2000WithPreserve() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-tree")
        defer { local.remove() }
        let tree = ProofTree.twoThousandFiles()
        try tree.write(under: local.file("src"))
        try tree.write(under: "\(sshd.scratchDirectory)/src", for: sshd)
        try Proof.makeDirectory("\(sshd.scratchDirectory)/up")
        Proof.giveToAccount("\(sshd.scratchDirectory)/up", sshd)

        let put = try await Proof.ferry("put", ["-r", "-p", local.file("src"), Proof.remote(sshd, "\(sshd.scratchDirectory)/up")], on: sshd)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(put.summary)")
        let putSummary = Proof.summary(put.stdout)
        #expect(putSummary?.files == 2000 && putSummary?.bytes == tree.byteCount, "\(put.summary)")
        tree.expectCopy(at: "\(sshd.scratchDirectory)/up/src", preserved: true, "put -r -p")

        let get = try await Proof.ferry("get", ["-r", "-p", Proof.remote(sshd, "\(sshd.scratchDirectory)/src"), local.file("down")], on: sshd)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "\(get.summary)")
        let getSummary = Proof.summary(get.stdout)
        #expect(getSummary?.files == 2000 && getSummary?.bytes == tree.byteCount, "\(get.summary)")
        tree.expectCopy(at: local.file("down"), preserved: true, "get -r -p")
    }

    @Test("killed mid-file: the final name never appears, the partial file stays, -a continues it to identical bytes")
    func resumeAfterKill() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-kill")
        defer { local.remove() }
        let size = UInt64(512 << 20)
        let source = "\(sshd.scratchDirectory)/source.bin"
        try await Proof.makeRandomFile(source, bytes: Int(size), seed: 2)
        let expected = try await Proof.sha256(source)

        // One channel: the killed copy is one stream, so all it kept is a
        // prefix that -a continues. (With several channels, as the policy
        // picks when the measured round trip is long — a loaded or
        // sanitized run — a killed copy keeps only its complete ranges,
        // and -a rightly starts where they end; MultiSessionTransferTests
        // cover that.)
        // get: the partial file is local. No file had the final name.
        let target = local.file("got.bin")
        let partial = local.file(".got.bin.ferry-part")
        if try await Proof.killMidFile("get", ["-q", "--channels", "1", Proof.remote(sshd, source), target], on: sshd,
                                       partial: partial, final: target, threshold: 32 << 20) {
            let kept = try #require(Proof.size(partial), "the interrupted download kept no partial file")
            #expect(kept > 0 && kept < size)
            let resumed = try await Proof.ferry("get", ["-a", Proof.remote(sshd, source), target], on: sshd)
            #expect(resumed.exit == Proof.ok && resumed.stderr.isEmpty, "\(resumed.summary)")
            #expect(Proof.summary(resumed.stdout)?.bytes == size - kept, "only the missing \(size - kept) bytes are fetched:\n\(resumed.summary)")
            #expect(try await Proof.sha256(target) == expected)
            #expect(!Proof.exists(partial))
        }

        // put: the partial file is on the server. The source is the copy
        // just downloaded (identical, checked above). An older file has
        // the final name: it stays whole until the new one replaces it.
        let remoteTarget = "\(sshd.scratchDirectory)/put.bin"
        let remotePartial = "\(sshd.scratchDirectory)/.put.bin.ferry-part"
        let previous = Array("the old put.bin\n".utf8)
        try Proof.write(remoteTarget, previous)
        if try await Proof.killMidFile("put", ["-q", "--channels", "1", target, Proof.remote(sshd, remoteTarget)], on: sshd,
                                       partial: remotePartial, final: remoteTarget, previous: previous, threshold: 32 << 20) {
            let kept = try #require(Proof.size(remotePartial), "the interrupted upload kept no partial file")
            #expect(kept > 0 && kept < size)
            let resumed = try await Proof.ferry("put", ["-a", target, Proof.remote(sshd, remoteTarget)], on: sshd)
            #expect(resumed.exit == Proof.ok && resumed.stderr.isEmpty, "\(resumed.summary)")
            #expect(Proof.summary(resumed.stdout)?.bytes == size - kept, "only the missing \(size - kept) bytes are sent:\n\(resumed.summary)")
            #expect(try await Proof.sha256(remoteTarget) == expected)
            #expect(!Proof.exists(remotePartial))
        }
    }

    @Test("a read-only (0400) source: an interrupted upload can be resumed with -a, and redone without it")
    func interruptedUploadOfReadOnlyFile() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-readonly")
        defer { local.remove() }
        let contents = Proof.bytes(8 << 20, seed: 5)
        let source = local.file("ro.bin")
        try Proof.write(source, contents, mode: 0o400)
        let remoteTarget = "\(sshd.scratchDirectory)/ro.bin"
        let remotePartial = "\(sshd.scratchDirectory)/.ro.bin.ferry-part"
        // 1 KiB requests, one at a time: slow enough to be killed mid-file.
        let killed = try await Proof.killMidFile("put", ["-q", "-B", "1024", "-R", "1", source, Proof.remote(sshd, remoteTarget)],
                                                 on: sshd, partial: remotePartial, final: remoteTarget, threshold: 256 << 10)
        try #require(killed)
        // Killed again, another name: this upload is simply run again, without -a.
        let again = "\(sshd.scratchDirectory)/again.bin"
        let againPartial = "\(sshd.scratchDirectory)/.again.bin.ferry-part"
        let killedAgain = try await Proof.killMidFile("put", ["-q", "-B", "1024", "-R", "1", source, Proof.remote(sshd, again)],
                                                      on: sshd, partial: againPartial, final: again, threshold: 256 << 10)
        try #require(killedAgain)

        // A 0400 source once left a partial the account could not open for
        // writing again (resume and rerun both "Permission denied"): the
        // partial is now created owner-writable and gets the source's mode
        // just before the rename.
        let resumed = try await Proof.ferry("put", ["-a", source, Proof.remote(sshd, remoteTarget)], on: sshd)
        #expect(resumed.exit == Proof.ok && resumed.stderr.isEmpty, "put -a: \(resumed.summary)")
        Proof.expectHolds(remoteTarget, contents, "put -a")

        let redone = try await Proof.ferry("put", [source, Proof.remote(sshd, again)], on: sshd)
        #expect(redone.exit == Proof.ok && redone.stderr.isEmpty, "put again: \(redone.summary)")
        Proof.expectHolds(again, contents, "put again")
        #expect(Proof.status(again).map { $0.st_mode & 0o777 } == 0o400)
    }

    @Test("resume checks the partial file's last block: a mismatch or an overlong partial starts over, a match continues")
    func resumeVerifiesTheLastBlock() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-resume")
        defer { local.remove() }
        let size = (8 << 20) + 12345
        let kept = 3 << 20
        let block = 32768
        let source = Proof.bytes(size, seed: 3)
        let remoteSource = "\(sshd.scratchDirectory)/source.bin"
        try Proof.write(remoteSource, source)
        let localSource = local.file("source.bin")
        try Proof.write(localSource, source)

        // Partial files: (name, contents, bytes the resumed run must move).
        var lastByteWrong = Array(source[..<kept])
        lastByteWrong[kept - 1] ^= 0xFF
        var firstByteOfBlockWrong = Array(source[..<kept])
        firstByteOfBlockWrong[kept - block] ^= 0x01
        let cases: [(String, [UInt8], Int)] = [
            ("matching", Array(source[..<kept]), size - kept),
            ("last-byte-wrong", lastByteWrong, size),
            ("block-start-wrong", firstByteOfBlockWrong, size),
            ("overlong", source + [1, 2, 3], size),
            ("complete", source, 0),
        ]
        for (name, partial, moved) in cases {
            // get -a: the partial file beside the local destination.
            try Proof.write(local.file(".\(name).ferry-part"), partial)
            let get = try await Proof.ferry("get", ["-a", "-B", String(block), Proof.remote(sshd, remoteSource), local.file(name)], on: sshd)
            #expect(get.exit == Proof.ok && get.stderr.isEmpty, "get \(name): \(get.summary)")
            #expect(Proof.summary(get.stdout)?.bytes == UInt64(moved), "get \(name): \(moved) bytes expected:\n\(get.summary)")
            Proof.expectHolds(local.file(name), source, "get \(name): the copy differs")
            #expect(!Proof.exists(local.file(".\(name).ferry-part")), "get \(name)")

            // put -a: the partial file beside the remote destination.
            let remotePartial = "\(sshd.scratchDirectory)/.\(name).ferry-part"
            try Proof.write(remotePartial, partial)
            Proof.giveToAccount(remotePartial, sshd)
            let put = try await Proof.ferry("put", ["-a", "-B", String(block), localSource, Proof.remote(sshd, "\(sshd.scratchDirectory)/\(name)")], on: sshd)
            #expect(put.exit == Proof.ok && put.stderr.isEmpty, "put \(name): \(put.summary)")
            #expect(Proof.summary(put.stdout)?.bytes == UInt64(moved), "put \(name): \(moved) bytes expected:\n\(put.summary)")
            Proof.expectHolds("\(sshd.scratchDirectory)/\(name)", source, "put \(name)")
            #expect(!Proof.exists(remotePartial), "put \(name)")
        }
    }

    @Test("over 4 GiB: get -a and put -a continue a sparse partial file past 4 GiB at 64-bit offsets")
    func beyondFourGiB() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-4g")
        defer { local.remove() }
        // The source: 4 GiB + 100 KiB, holes except a distinct first MiB
        // and its last 1.1 MiB; the partial file: the same up to 4 GiB + 8
        // KiB. An offset cut to 32 bits would read or write near the start,
        // where the bytes differ.
        let fourGiB: UInt64 = 1 << 32
        let total = fourGiB + 100 * 1024
        let partialLength = fourGiB + 8 * 1024
        let head = Proof.bytes(1 << 20, seed: 41)
        let tailStart = fourGiB - (1 << 20)
        let tail = Proof.bytes(Int(total - tailStart), seed: 42)
        let partialTail = Array(tail[..<Int(partialLength - tailStart)])

        func expectResumed(_ result: CommandResult, _ path: String, _ label: String) {
            #expect(result.exit == Proof.ok && result.stderr.isEmpty, "\(label): \(result.summary)")
            #expect(Proof.summary(result.stdout)?.bytes == total - partialLength, "\(label): only the tail moves:\n\(result.summary)")
            #expect(Proof.size(path) == total, "\(label): size")
            let headMatches = Proof.read(path, count: head.count) == head
            #expect(headMatches, "\(label): first MiB")
            let tailMatches = Proof.read(path, at: tailStart, count: tail.count) == tail
            #expect(tailMatches, "\(label): bytes around and past 4 GiB")
            let allocated = (Proof.status(path).map { Int($0.st_blocks) } ?? 0) * 512
            #expect(allocated < 16 << 20, "\(label): \(allocated) bytes allocated: more than the tail was written")
        }

        let remoteSource = "\(sshd.scratchDirectory)/huge.bin"
        try Proof.writeSparse(remoteSource, size: total, [(0, head), (tailStart, tail)])
        let target = local.file("huge.bin")
        try Proof.writeSparse(local.file(".huge.bin.ferry-part"), size: partialLength, [(0, head), (tailStart, partialTail)])
        let get = try await Proof.ferry("get", ["-a", Proof.remote(sshd, remoteSource), target], on: sshd)
        expectResumed(get, target, "get -a")
        #expect(!Proof.exists(local.file(".huge.bin.ferry-part")))

        let remoteTarget = "\(sshd.scratchDirectory)/up.bin"
        let remotePartial = "\(sshd.scratchDirectory)/.up.bin.ferry-part"
        try Proof.writeSparse(remotePartial, size: partialLength, [(0, head), (tailStart, partialTail)])
        Proof.giveToAccount(remotePartial, sshd)
        try Proof.writeSparse(local.file("source.bin"), size: total, [(0, head), (tailStart, tail)])
        let put = try await Proof.ferry("put", ["-a", local.file("source.bin"), Proof.remote(sshd, remoteTarget)], on: sshd)
        expectResumed(put, remoteTarget, "put -a")
        #expect(!Proof.exists(remotePartial))
    }
}
