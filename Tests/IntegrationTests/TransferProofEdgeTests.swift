import Foundation
import Glibc
import Testing

// The smaller promises of issue 5 against a real OpenSSH sshd: awkward
// names, edge sizes, per-file failures (permission denied, missing),
// symbolic links in trees, the summary line, sftp:// URIs and remote globs.

@Suite("ferry get/put proofs against sshd: names, sizes, failures, links, summary, URIs", .serialized)
struct TransferProofEdgeTests {
    /// Names a shell or a careless quoting would break.
    static let awkwardNames = [
        "with space", " leading and trailing ", "it's", "say \"hi\"", "both ' and \"", "new\nline",
        "tab\tstop", "naïve ü 日本語 🚀", "back\\slash", "-dash", "*star?", "dollar $HOME `x` %41",
    ]

    /// A tree of every awkward name, at the top and inside a directory
    /// that has an awkward name itself, and an empty directory.
    static func awkwardTree() -> ProofTree {
        let directory = "dir 'ü' \"q\"\nx"
        var entries = [ProofTree.Entry(path: directory, contents: nil, mode: 0o755, accessTime: 0, modificationTime: 0),
                       ProofTree.Entry(path: "empty dir ü", contents: nil, mode: 0o755, accessTime: 0, modificationTime: 0)]
        for (index, name) in awkwardNames.enumerated() {
            for parent in ["", directory + "/"] {
                entries.append(ProofTree.Entry(path: parent + name, contents: Array("\(parent)\(name)\n".utf8) + [UInt8(index)],
                                               mode: 0o644, accessTime: 0, modificationTime: 0))
            }
        }
        return ProofTree(entries: entries)
    }

    @Test("names with spaces, quotes, a newline, a tab, backslashes and non-ASCII round-trip in trees and by path")
    func awkwardNamesRoundTrip() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-names")
        defer { local.remove() }
        let tree = Self.awkwardTree()
        try tree.write(under: local.file("names"))
        let scratch = sshd.scratchDirectory

        let put = try await Proof.ferry("put", ["-r", local.file("names"), Proof.remote(sshd, scratch)], on: sshd)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(put.summary)")
        #expect(Proof.summary(put.stdout)?.files == tree.files.count, "\(put.summary)")
        tree.expectCopy(at: "\(scratch)/names", preserved: false, "put -r")

        let get = try await Proof.ferry("get", ["-r", Proof.remote(sshd, "\(scratch)/names"), local.file("back")], on: sshd)
        #expect(get.exit == Proof.ok && get.stderr.isEmpty, "\(get.summary)")
        #expect(Proof.summary(get.stdout)?.files == tree.files.count, "\(get.summary)")
        tree.expectCopy(at: local.file("back"), preserved: false, "get -r")

        // One file by path, into a directory and to an explicit name.
        try Proof.makeDirectory(local.file("single"))
        for name in ["new\nline", "it's", "dir 'ü' \"q\"\nx/say \"hi\"", "naïve ü 日本語 🚀"] {
            let result = try await Proof.ferry("get", [Proof.remote(sshd, "\(scratch)/names/\(name)"), local.file("single")], on: sshd)
            #expect(result.exit == Proof.ok && result.stderr.isEmpty, "\(result.summary)")
            let base = String(name.split(separator: "/").last ?? "")
            #expect(Proof.contents(local.file("single/\(base)")) == Proof.contents(local.file("names/\(name)")), "get \(name.debugDescription)")
        }
        let explicit = local.file("single/explicit \"name\" ü\nz")
        let toName = try await Proof.ferry("get", [Proof.remote(sshd, "\(scratch)/names/both ' and \""), explicit], on: sshd)
        #expect(toName.exit == Proof.ok, "\(toName.summary)")
        #expect(Proof.contents(explicit) == Proof.contents(local.file("names/both ' and \"")))

        try Proof.makeDirectory("\(scratch)/single")
        Proof.giveToAccount("\(scratch)/single", sshd)
        for name in ["say \"hi\"", "tab\tstop", "back\\slash"] {
            let result = try await Proof.ferry("put", [local.file("names/\(name)"), Proof.remote(sshd, "\(scratch)/single")], on: sshd)
            #expect(result.exit == Proof.ok && result.stderr.isEmpty, "\(result.summary)")
            #expect(Proof.contents("\(scratch)/single/\(name)") == Proof.contents(local.file("names/\(name)")), "put \(name.debugDescription)")
        }
        let remoteName = "\(scratch)/single/renamed 'ü'\n\"x\""
        let putName = try await Proof.ferry("put", [local.file("names/new\nline"), Proof.remote(sshd, remoteName)], on: sshd)
        #expect(putName.exit == Proof.ok, "\(putName.summary)")
        #expect(Proof.contents(remoteName) == Proof.contents(local.file("names/new\nline")))
        #expect(Proof.partialFiles(under: local.path).isEmpty && Proof.partialFiles(under: scratch).isEmpty)
    }

    @Test("sizes 0, 1, block−1, block, block+1 for 32 KiB and OpenSSH's 255 KiB blocks, both ways")
    func edgeSizes() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-sizes")
        defer { local.remove() }
        let sizes = [0, 1, 32767, 32768, 32769, 261_119, 261_120, 261_121, 3 * 261_120 + 1]
        let tree = ProofTree(entries: sizes.map {
            ProofTree.Entry(path: "size-\($0)", contents: Proof.bytes($0, seed: UInt64($0) + 7), mode: 0o644, accessTime: 0, modificationTime: 0)
        })
        try tree.write(under: local.file("edge"))
        let scratch = sshd.scratchDirectory
        for directory in ["\(scratch)/b32", "\(scratch)/bdefault"] {
            try Proof.makeDirectory(directory)
            Proof.giveToAccount(directory, sshd)
        }
        try Proof.makeDirectory(local.file("g-default"))
        try Proof.makeDirectory(local.file("g32"))

        let runs: [(String, [String], String)] = [
            ("put", ["-r", "-B", "32768", local.file("edge"), Proof.remote(sshd, "\(scratch)/b32")], "\(scratch)/b32/edge"),
            ("put", ["-r", local.file("edge"), Proof.remote(sshd, "\(scratch)/bdefault")], "\(scratch)/bdefault/edge"),
            ("get", ["-r", Proof.remote(sshd, "\(scratch)/b32/edge"), local.file("g-default")], local.file("g-default/edge")),
            ("get", ["-r", "-B", "32768", "-R", "1", Proof.remote(sshd, "\(scratch)/bdefault/edge"), local.file("g32")], local.file("g32/edge")),
        ]
        for (command, arguments, copy) in runs {
            let result = try await Proof.ferry(command, arguments, on: sshd)
            let label = "\(command) \(arguments.prefix(4).joined(separator: " "))"
            #expect(result.exit == Proof.ok && result.stderr.isEmpty, "\(label): \(result.summary)")
            let summary = Proof.summary(result.stdout)
            #expect(summary?.files == sizes.count && summary?.bytes == tree.byteCount, "\(label): \(result.summary)")
            tree.expectCopy(at: copy, preserved: false, label)
        }
    }

    @Test("permission denied and missing paths: one line per failed file, exit 1, the other files copied",
          .enabled(if: TestAccount.runningAsRoot, "needs files owned by root, which the test account cannot read or write"))
    func perFileFailures() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-fail")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory

        // get: a tree with a root-owned file of mode 000 and a root-owned
        // directory of mode 000 between good files, and a missing source.
        let tree = "\(scratch)/perm"
        try Proof.makeDirectory("\(tree)/z")
        try Proof.makeDirectory("\(tree)/locked")
        for (path, contents) in [("good1", "one"), ("z/good3", "three"), ("good2", "two"), ("locked/inside", "x")] {
            try Proof.write("\(tree)/\(path)", Array(contents.utf8))
        }
        try Proof.write("\(tree)/secret", Array("secret".utf8), mode: 0o000)
        chmod("\(tree)/locked", 0o000)
        let get = try await Proof.ferry("get", ["-r", Proof.remote(sshd, tree), Proof.remote(sshd, "\(scratch)/missing"), local.path], on: sshd)
        #expect(get.exit == Proof.someFailed, "\(get.summary)")
        let getLines = Proof.lines(get.stderr)
        #expect(getLines.count == 3, "one line per failure:\n\(get.summary)")
        #expect(getLines.allSatisfy { $0.hasPrefix("ferry: ") }, "\(get.summary)")
        #expect(getLines.contains { $0.contains("perm/secret") && $0.lowercased().contains("permission denied") }, "\(get.summary)")
        #expect(getLines.contains { $0.contains("perm/locked") && $0.lowercased().contains("permission denied") }, "\(get.summary)")
        #expect(getLines.contains { $0.contains("missing") && $0.lowercased().contains("no such file") }, "\(get.summary)")
        let getSummary = Proof.summary(get.stdout)
        #expect(getSummary?.files == 3 && getSummary?.failed == 3, "\(get.summary)")
        for (path, contents) in [("good1", "one"), ("good2", "two"), ("z/good3", "three")] {
            #expect(Proof.contents(local.file("perm/\(path)")) == Array(contents.utf8), "\(path) copied")
        }
        #expect(!Proof.exists(local.file("perm/secret")) && Proof.partialFiles(under: local.path).isEmpty)

        // put: a tree whose remote directory "sub" exists but belongs to
        // root (the account cannot write in it), and a missing source.
        let source = local.file("ptree")
        try Proof.makeDirectory("\(source)/sub")
        try Proof.makeDirectory("\(source)/deep")
        for path in ["good1", "good2", "deep/good3", "sub/x", "sub/y"] {
            try Proof.write("\(source)/\(path)", Array(path.utf8))
        }
        let destination = "\(scratch)/pdest"
        try Proof.makeDirectory("\(destination)/ptree/sub")
        Proof.giveToAccount(destination, sshd)
        Proof.giveToAccount("\(destination)/ptree", sshd)
        let put = try await Proof.ferry("put", ["-r", source, local.file("nope"), Proof.remote(sshd, destination)], on: sshd)
        #expect(put.exit == Proof.someFailed, "\(put.summary)")
        let putLines = Proof.lines(put.stderr)
        #expect(putLines.count == 3, "one line per failure:\n\(put.summary)")
        #expect(putLines.allSatisfy { $0.hasPrefix("ferry: ") }, "\(put.summary)")
        for name in ["sub/x", "sub/y"] {
            #expect(putLines.contains { $0.contains(name) && $0.lowercased().contains("permission denied") }, "\(name):\n\(put.summary)")
        }
        #expect(putLines.contains { $0.contains("nope") && $0.lowercased().contains("no such file") }, "\(put.summary)")
        #expect(Proof.summary(put.stdout)?.failed == 3, "\(put.summary)")
        for path in ["good1", "good2", "deep/good3"] {
            #expect(Proof.contents("\(destination)/ptree/\(path)") == Array(path.utf8), "\(path) uploaded")
        }
        #expect(Proof.names("\(destination)/ptree/sub") == [] && Proof.partialFiles(under: scratch).isEmpty)
    }

    @Test("a directory without -r: one line, exit 1, the rest copied; a name that is not UTF-8 in a tree is copied under its bytes")
    func directoryWithoutRecursionAndNonUTF8Names() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-names8")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try Proof.makeDirectory("\(scratch)/dir")
        try Proof.write("\(scratch)/file", Array("file".utf8))
        try Proof.makeDirectory(local.file("out"))
        let noRecursion = try await Proof.ferry("get", [Proof.remote(sshd, "\(scratch)/dir"), Proof.remote(sshd, "\(scratch)/file"), local.file("out")], on: sshd)
        #expect(noRecursion.exit == Proof.someFailed, "\(noRecursion.summary)")
        #expect(Proof.lines(noRecursion.stderr).count == 1 && noRecursion.stderr.contains("-r"), "\(noRecursion.summary)")
        #expect(Proof.names(local.file("out")) == ["file"])
        let putNoRecursion = try await Proof.ferry("put", [local.file("out"), Proof.remote(sshd, "\(scratch)/dir")], on: sshd)
        #expect(putNoRecursion.exit == Proof.someFailed && Proof.lines(putNoRecursion.stderr).count == 1
                && putNoRecursion.stderr.contains("-r"), "\(putNoRecursion.summary)")

        // "caf\xE9" (Latin-1) beside good files: copied under exactly
        // those bytes (file names are bytes; see LocalPath).
        let tree = "\(scratch)/latin1"
        try Proof.makeDirectory(tree)
        try Proof.write("\(tree)/good", Array("good".utf8))
        let latin1 = Array("\(tree)/caf".utf8) + [0xE9]
        let fd = latin1.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { name -> Int32 in
            let terminated = Array(name) + [0]
            return open(terminated, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        #expect(fd >= 0)
        close(fd)
        let get = try await Proof.ferry("get", ["-r", Proof.remote(sshd, tree), local.file("latin1")], on: sshd)
        #expect(get.exit == Proof.ok, "\(get.summary)")
        let copied = (Array(local.file("latin1/caf").utf8) + [0xE9, 0]).map { CChar(bitPattern: $0) }
        var st = stat()
        #expect(copied.withUnsafeBufferPointer { lstat($0.baseAddress!, &st) } == 0)
        #expect(Proof.names(local.file("latin1"))?.count == 2)
    }

    @Test("symbolic links inside a tree are skipped with one line each (as sftp -r), silently with -q; a link named on the command line is followed")
    func symbolicLinksInTrees() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-links")
        defer { local.remove() }
        let links = ["to-a", "to-etc", "dangling"]
        func makeTree(_ root: String) throws {
            try Proof.makeDirectory("\(root)/sub")
            try Proof.write("\(root)/a", Array("a".utf8))
            try Proof.write("\(root)/sub/b", Array("b".utf8))
            symlink("a", "\(root)/to-a")
            symlink("/etc", "\(root)/to-etc")
            symlink("missing", "\(root)/dangling")
        }
        let scratch = sshd.scratchDirectory
        try makeTree("\(scratch)/links")
        try makeTree(local.file("links"))
        func expectSkipped(_ result: CommandResult, _ copy: String, _ label: String) {
            #expect(result.exit == Proof.ok, "\(label): \(result.summary)")
            #expect(Proof.summary(result.stdout)?.files == 2, "\(label): \(result.summary)")
            #expect(Proof.names(copy) == ["a", "sub"], "\(label): the links are not copied")
            let lines = Proof.lines(result.stderr)
            #expect(lines.count == links.count, "\(label): one line per link:\n\(result.summary)")
            for link in links {
                #expect(lines.contains { $0.contains("links/\(link)") && $0.contains("symbolic link") }, "\(label) \(link):\n\(result.summary)")
            }
        }

        let get = try await Proof.ferry("get", ["-r", Proof.remote(sshd, "\(scratch)/links"), local.file("down")], on: sshd)
        expectSkipped(get, local.file("down"), "get -r")
        try Proof.makeDirectory("\(scratch)/up")
        Proof.giveToAccount("\(scratch)/up", sshd)
        let put = try await Proof.ferry("put", ["-r", local.file("links"), Proof.remote(sshd, "\(scratch)/up")], on: sshd)
        expectSkipped(put, "\(scratch)/up/links", "put -r")

        let quiet = try await Proof.ferry("get", ["-r", "-q", Proof.remote(sshd, "\(scratch)/links"), local.file("quiet")], on: sshd)
        #expect(quiet.exit == Proof.ok && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.summary)")
        #expect(Proof.names(local.file("quiet")) == ["a", "sub"])

        let followed = try await Proof.ferry("get", [Proof.remote(sshd, "\(scratch)/links/to-a"), local.file("followed")], on: sshd)
        #expect(followed.exit == Proof.ok && Proof.contents(local.file("followed")) == Array("a".utf8), "\(followed.summary)")
        #expect(Proof.status(local.file("followed")).map { $0.st_mode & S_IFMT == S_IFREG } == true)
    }

    @Test("one summary line (files, bytes, seconds, MB/s, failures) on stdout; nothing but errors with -q")
    func summaryLine() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-summary")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        let sizes = [1000, 2000, 3000]
        let sources = try sizes.map { size in
            let path = local.file("s\(size)")
            try Proof.write(path, Proof.bytes(size, seed: UInt64(size)))
            return path
        }

        let put = try await Proof.ferry("put", sources + [Proof.remote(sshd, scratch)], on: sshd)
        #expect(put.exit == Proof.ok && put.stderr.isEmpty, "\(put.summary)")
        let summary = try #require(Proof.summary(put.stdout), "exactly one summary line:\n\(put.summary)")
        #expect(summary.files == 3 && summary.bytes == 6000 && summary.failed == 0 && summary.seconds >= 0 && summary.rate >= 0, "\(summary)")
        #expect(put.stdout.hasPrefix("3 files, 6000 bytes in "), "\(put.summary)")

        let one = try await Proof.ferry("get", [Proof.remote(sshd, "\(scratch)/s1000"), local.file("one")], on: sshd)
        #expect(one.stdout.hasPrefix("1 file, 1000 bytes in "), "singular:\n\(one.summary)")

        try Proof.makeDirectory(local.file("q"))
        let quiet = try await Proof.ferry("get", ["-q", Proof.remote(sshd, "\(scratch)/s2000"), Proof.remote(sshd, "\(scratch)/s3000"), local.file("q")], on: sshd)
        #expect(quiet.exit == Proof.ok && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "-q prints nothing:\n\(quiet.summary)")

        try Proof.makeDirectory(local.file("f"))
        let failing = try await Proof.ferry("get", [Proof.remote(sshd, "\(scratch)/s1000"), Proof.remote(sshd, "\(scratch)/absent"), local.file("f")], on: sshd)
        #expect(failing.exit == Proof.someFailed, "\(failing.summary)")
        let failed = Proof.summary(failing.stdout)
        #expect(failed?.files == 1 && failed?.bytes == 1000 && failed?.failed == 1, "\(failing.summary)")
        #expect(failing.stdout.contains(", 1 failed"), "\(failing.summary)")
        #expect(Proof.lines(failing.stderr).count == 1, "\(failing.summary)")

        let quietFailing = try await Proof.ferry("get", ["-q", Proof.remote(sshd, "\(scratch)/absent"), local.file("x")], on: sshd)
        #expect(quietFailing.exit == Proof.someFailed && quietFailing.stdout.isEmpty, "\(quietFailing.summary)")
        #expect(Proof.lines(quietFailing.stderr).count == 1 && quietFailing.stderr.contains("absent"),
                "-q keeps the error line:\n\(quietFailing.summary)")
    }

    @Test("sftp://user@host:port//absolute/path (port from the URI, percent-escapes), paths relative to home, and remote globs")
    func uriAndGlobs() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "proof-uri")
        defer { local.remove() }
        let directory = "\(sshd.scratchDirectory)/uri"
        try Proof.makeDirectory(directory)
        Proof.giveToAccount(directory, sshd)
        let files = ["a.bin", "b.bin", "c.txt", ".hidden.bin", "with space.bin"]
        for name in files { try Proof.write("\(directory)/\(name)", Array("contents of \(name)".utf8)) }
        let base = "sftp://\(sshd.user)@\(sshd.host):\(sshd.port)/"
        let noPort = Proof.connectionArgumentsWithoutPort(for: sshd)

        let get = try await FerryCLI.run(["get"] + noPort + ["\(base)\(directory)/a.bin", local.file("a")])
        #expect(get.exit == Proof.ok, "\(get.summary)")
        #expect(Proof.contents(local.file("a")) == Array("contents of a.bin".utf8))

        let escaped = try await FerryCLI.run(["get"] + noPort + ["\(base)\(directory)/with%20space.bin", local.file("space")])
        #expect(escaped.exit == Proof.ok && Proof.contents(local.file("space")) == Array("contents of with space.bin".utf8), "\(escaped.summary)")

        try Proof.write(local.file("up.bin"), Array("uploaded".utf8))
        let put = try await FerryCLI.run(["put"] + noPort + [local.file("up.bin"), "\(base)\(directory)/put.bin"])
        #expect(put.exit == Proof.ok && Proof.contents("\(directory)/put.bin") == Array("uploaded".utf8), "\(put.summary)")

        // host:dir/*.bin: the .bin files, not .hidden.bin (a leading dot is
        // matched only explicitly, as sftp does), not c.txt.
        try Proof.makeDirectory(local.file("glob"))
        let glob = try await Proof.ferry("get", [Proof.remote(sshd, "\(directory)/*.bin"), local.file("glob")], on: sshd)
        #expect(glob.exit == Proof.ok, "\(glob.summary)")
        #expect(Proof.names(local.file("glob")) == ["a.bin", "b.bin", "put.bin", "with space.bin"], "\(glob.summary)")
        #expect(Proof.contents(local.file("glob/b.bin")) == Array("contents of b.bin".utf8))

        try Proof.makeDirectory(local.file("uriglob"))
        let uriGlob = try await FerryCLI.run(["get"] + noPort + ["\(base)\(directory)/?.*", local.file("uriglob")])
        #expect(uriGlob.exit == Proof.ok, "\(uriGlob.summary)")
        #expect(Proof.names(local.file("uriglob")) == ["a.bin", "b.bin", "c.txt"], "\(uriGlob.summary)")

        // Relative paths are relative to the account's home directory, in
        // both spellings; an empty path is the home directory itself.
        let home = sshd.server.account.home
        let name = "ferry-proof-\(UUID().uuidString)"
        defer { unlink("\(home)/\(name)") }
        try Proof.write(local.file(name), Array("home".utf8))
        let toHome = try await Proof.ferry("put", [local.file(name), Proof.remote(sshd, "")], on: sshd)
        #expect(toHome.exit == Proof.ok && Proof.contents("\(home)/\(name)") == Array("home".utf8), "\(toHome.summary)")
        let fromHome = try await Proof.ferry("get", [Proof.remote(sshd, name), local.file("from-home")], on: sshd)
        #expect(fromHome.exit == Proof.ok && Proof.contents(local.file("from-home")) == Array("home".utf8), "\(fromHome.summary)")
        let uriHome = try await FerryCLI.run(["get"] + noPort + ["\(base)\(name)", local.file("uri-home")])
        #expect(uriHome.exit == Proof.ok && Proof.contents(local.file("uri-home")) == Array("home".utf8), "\(uriHome.summary)")

        let none = try await Proof.ferry("get", [Proof.remote(sshd, "\(directory)/*.none"), local.file("glob")], on: sshd)
        #expect(none.exit == Proof.someFailed && Proof.lines(none.stderr).count == 1 && none.stderr.contains("*.none"), "\(none.summary)")
    }
}
