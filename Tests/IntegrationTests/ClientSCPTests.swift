import Foundation
import Glibc
import Testing

// ferry's SCP against OpenSSH's own scp behind the sshd fixture: paths
// that a shell would misread reach scp literally both ways, trees keep
// modes and times with -p, sizes at block edges arrive intact, -a is
// refused, and a server without the sftp subsystem is used over SCP after
// one notice line.

@Suite("SCP: ferry get/put --scp and ferry cp against sshd")
struct ClientSCPTests {
    static func ferry(_ command: String, _ arguments: [String], on sshd: SSHDFixture) async throws -> CommandResult {
        try await Proof.ferry(command, arguments, on: sshd)
    }

    /// Names a remote shell would misread if the path reached it unquoted.
    static let hostileNames = ["with space", "it's", "quote\"d", "$(touch pwned)", "`touch pwned2`", "semi;touch pwned3",
                               "new\nline", "-leading-dash", "back\\slash", "é non-ascii", "glob[x]"]

    @Test("hostile names reach scp as one literal argument, get and put; nothing runs")
    func shellQuoting() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-quote")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try Proof.makeDirectory("\(scratch)/up")
        Proof.giveToAccount("\(scratch)/up", sshd)
        for (index, name) in Self.hostileNames.enumerated() {
            // Each name is a directory on the path and, but for the newline
            // (which an scp record cannot carry), the file's own name too.
            let leaf = name.contains("\n") ? "f" : name
            let contents = Array("file \(index): \(name)\n".utf8)
            try Proof.makeDirectory("\(scratch)/\(name)")
            try Proof.write("\(scratch)/\(name)/\(leaf)", contents)
            // Glob characters of a source are the remote shell's; a
            // backslash makes them literal, as with scp.
            func escaped(_ text: String) -> String { text.replacingOccurrences(of: "[", with: "\\[") }
            let get = try await Self.ferry("get", ["--scp", Proof.remote(sshd, "\(scratch)/\(escaped(name))/\(escaped(leaf))"),
                                                  local.file("down\(index)")], on: sshd)
            #expect(get.exit == Proof.ok, "get \(name): \(get.summary)")
            #expect(Proof.contents(local.file("down\(index)")) == contents, "get \(name)")

            try Proof.makeDirectory(local.file("src\(index)"))
            try Proof.write(local.file("src\(index)/\(leaf)"), contents)
            try Proof.makeDirectory("\(scratch)/up/\(name)")
            Proof.giveToAccount("\(scratch)/up/\(name)", sshd)
            let put = try await Self.ferry("put", ["--scp", local.file("src\(index)/\(leaf)"), Proof.remote(sshd, "\(scratch)/up/\(name)")],
                                           on: sshd)
            #expect(put.exit == Proof.ok, "put \(name): \(put.summary)")
            #expect(Proof.contents("\(scratch)/up/\(name)/\(leaf)") == contents, "put \(name)")
        }
        let home = sshd.server.account.home
        for planted in ["pwned", "pwned2", "pwned3"] {
            for directory in [home, scratch, "\(scratch)/up"] {
                #expect(!Proof.exists("\(directory)/\(planted)"), "\(directory)/\(planted): a name was run as a command")
            }
        }
    }

    @Test("sizes 0, 1 and block edges, each checked by sha256, both ways; a glob source")
    func sizes() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-sizes")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        let sizes = [0, 1, 32767, 32768, 32769, 262_143, 262_144, 262_145, 2 << 20, 33 << 20]
        try Proof.makeDirectory("\(scratch)/src")
        try Proof.makeDirectory("\(scratch)/up")
        Proof.giveToAccount("\(scratch)/up", sshd)
        try Proof.makeDirectory(local.file("down"))
        for (index, size) in sizes.enumerated() {
            try await Proof.makeRandomFile("\(scratch)/src/f\(size).bin", bytes: size, seed: UInt8(index + 1))
        }
        let get = try await Self.ferry("get", ["--scp", Proof.remote(sshd, "\(scratch)/src/*.bin"), local.file("down")], on: sshd)
        #expect(get.exit == Proof.ok, "\(get.summary)")
        #expect(get.stdout.contains("\(sizes.count) files"), "\(get.summary)")
        let put = try await Self.ferry("put", ["--scp"] + sizes.map { local.file("down/f\($0).bin") } + [Proof.remote(sshd, "\(scratch)/up")],
                                       on: sshd)
        #expect(put.exit == Proof.ok, "\(put.summary)")
        for size in sizes {
            let original = try await Proof.sha256("\(scratch)/src/f\(size).bin")
            #expect(try await Proof.sha256(local.file("down/f\(size).bin")) == original, "get \(size)")
            #expect(try await Proof.sha256("\(scratch)/up/f\(size).bin") == original, "put \(size)")
        }
        #expect(Proof.partialFiles(under: local.file("down")).isEmpty)
    }

    @Test("1 GiB both ways over SCP, checked by sha256")
    func oneGibibyte() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-gib")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try await Proof.makeRandomFile("\(scratch)/big", bytes: 1 << 30, seed: 11)
        let original = try await Proof.sha256("\(scratch)/big")
        let get = try await Self.ferry("get", ["--scp", Proof.remote(sshd, "\(scratch)/big"), local.file("big")], on: sshd)
        #expect(get.exit == Proof.ok, "\(get.summary)")
        #expect(try await Proof.sha256(local.file("big")) == original)
        unlink("\(scratch)/big")
        let put = try await Self.ferry("put", ["--scp", local.file("big"), Proof.remote(sshd, "\(scratch)/big")], on: sshd)
        #expect(put.exit == Proof.ok, "\(put.summary)")
        #expect(try await Proof.sha256("\(scratch)/big") == original)
    }

    @Test("trees with -r -p: contents, modes and times kept both ways; ferry cp in scp's syntax")
    func trees() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-tree")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        let tree = "\(scratch)/tree"
        try Proof.makeDirectory("\(tree)/a/b")
        try Proof.write("\(tree)/top.txt", Array("top\n".utf8), mode: 0o640)
        try Proof.write("\(tree)/a/mid file", Array("mid\n".utf8), mode: 0o600)
        try Proof.write("\(tree)/a/b/deep", Array("deep\n".utf8), mode: 0o755)
        chmod("\(tree)/a/b", 0o750)
        for path in [tree, "\(tree)/a", "\(tree)/a/b", "\(tree)/top.txt", "\(tree)/a/mid file", "\(tree)/a/b/deep"] {
            Proof.giveToAccount(path, sshd)
        }
        for (path, time) in [("\(tree)/top.txt", 1_500_000_000), ("\(tree)/a/mid file", 1_400_000_000),
                             ("\(tree)/a/b/deep", 1_300_000_000), ("\(tree)/a/b", 1_200_000_000)] {
            var times = [timespec(tv_sec: time, tv_nsec: 0), timespec(tv_sec: time, tv_nsec: 0)]
            utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
        }
        let get = try await Self.ferry("cp", ["-O", "-r", "-p", Proof.remote(sshd, tree), local.file("copy")], on: sshd)
        #expect(get.exit == Proof.ok, "\(get.summary)")
        try Proof.makeDirectory("\(scratch)/up")
        Proof.giveToAccount("\(scratch)/up", sshd)
        let put = try await Self.ferry("cp", ["-O", "-r", "-p", local.file("copy"), Proof.remote(sshd, "\(scratch)/up/")], on: sshd)
        #expect(put.exit == Proof.ok, "\(put.summary)")
        for root in [local.file("copy"), "\(scratch)/up/copy"] {
            for (relative, mode, time) in [("top.txt", 0o640, 1_500_000_000), ("a/mid file", 0o600, 1_400_000_000),
                                           ("a/b/deep", 0o755, 1_300_000_000), ("a/b", 0o750, 1_200_000_000)] {
                let st = Proof.status("\(root)/\(relative)")
                #expect(st.map { Int($0.st_mode & 0o7777) } == mode, "\(root)/\(relative) mode")
                #expect(st.map { Int($0.st_mtim.tv_sec) } == time, "\(root)/\(relative) mtime")
            }
            #expect(Proof.contents("\(root)/a/b/deep") == Array("deep\n".utf8))
        }
    }

    /// A tree of many files goes over several `scp -t` sessions
    /// (`SCPTransfer.putSpread`). Their shared tree must come out as one
    /// session's would: into an existing directory and into a new name,
    /// a read-only directory filled and then given its mode, times and
    /// modes kept with -p, and a directory the server refuses costing only
    /// its own files.
    @Test("put --scp -r of a big tree over several sessions: as one session's result, refused directory alone")
    func spreadTreeUpload() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-spread")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        let tree = local.file("big")
        var files: [String: [UInt8]] = [:]
        for directory in 0..<10 {
            for index in 0..<9 {
                let name = "d\(directory)/f\(index)"
                files[name] = Array("\(name) \(String(repeating: "x", count: directory * 997 + index))\n".utf8)
            }
        }
        for name in ["d3/sub/inner/a", "d3/sub/b", "ro/r0", "ro/r1", "top"] { files[name] = Array("\(name)\n".utf8) }
        for (name, contents) in files {
            try Proof.makeDirectory((local.file("big/\(name)") as NSString).deletingLastPathComponent)
            try Proof.write(local.file("big/\(name)"), contents, mode: name.hasSuffix("f1") ? 0o600 : 0o644)
        }
        let times: [(String, Int)] = [("d3/sub/inner", 1_200_000_000), ("d3/sub", 1_250_000_000), ("d3", 1_300_000_000),
                                      ("ro", 1_350_000_000), ("d0/f0", 1_400_000_000), ("", 1_450_000_000)]
        chmod(local.file("big/ro"), 0o555)
        chmod(local.file("big/d3/sub"), 0o750)
        for (relative, time) in times {
            var spec = [timespec(tv_sec: time, tv_nsec: 0), timespec(tv_sec: time, tv_nsec: 0)]
            utimensat(AT_FDCWD, relative.isEmpty ? tree : "\(tree)/\(relative)", &spec, AT_SYMLINK_NOFOLLOW)
        }
        // Into an existing directory, with -p; there d5 is a file, so the
        // server refuses that directory.
        try Proof.makeDirectory("\(scratch)/up/big")
        try Proof.write("\(scratch)/up/big/d5", Array("in the way\n".utf8))
        for path in ["\(scratch)/up", "\(scratch)/up/big", "\(scratch)/up/big/d5"] { Proof.giveToAccount(path, sshd) }
        let sessionsBefore = sshd.log.components(separatedBy: "Starting session: command").count
        let put = try await Self.ferry("put", ["--scp", "--channels", "4", "-r", "-p", tree, Proof.remote(sshd, "\(scratch)/up/")], on: sshd)
        #expect(put.exit.code == 1, "\(put.summary)")
        #expect(put.stderr.contains("d5"), "\(put.summary)")
        #expect(sshd.log.components(separatedBy: "Starting session: command").count - sessionsBefore >= 3,
                "the tree went over several sessions")
        #expect(Proof.contents("\(scratch)/up/big/d5") == Array("in the way\n".utf8))
        for (name, contents) in files where !name.hasPrefix("d5/") {
            #expect(Proof.contents("\(scratch)/up/big/\(name)") == contents, "\(name)")
            let mode = Proof.status("\(scratch)/up/big/\(name)").map { Int($0.st_mode & 0o7777) }
            #expect(mode == (name.hasSuffix("f1") ? 0o600 : 0o644), "\(name) mode")
        }
        for (relative, time) in times {
            let st = Proof.status(relative.isEmpty ? "\(scratch)/up/big" : "\(scratch)/up/big/\(relative)")
            #expect(st.map { Int($0.st_mtim.tv_sec) } == time, "\(relative) mtime")
        }
        #expect(Proof.status("\(scratch)/up/big/ro").map { Int($0.st_mode & 0o7777) } == 0o555)
        #expect(Proof.status("\(scratch)/up/big/d3/sub").map { Int($0.st_mode & 0o7777) } == 0o750)

        // Into a name that does not exist yet, without -p: the tree becomes it.
        chmod(local.file("big/ro"), 0o755)
        try Proof.makeDirectory("\(scratch)/new")
        Proof.giveToAccount("\(scratch)/new", sshd)
        let fresh = try await Self.ferry("put", ["--scp", "--channels", "4", "-r", tree, Proof.remote(sshd, "\(scratch)/new/fresh")], on: sshd)
        #expect(fresh.exit == Proof.ok, "\(fresh.summary)")
        for (name, contents) in files {
            #expect(Proof.contents("\(scratch)/new/fresh/\(name)") == contents, "fresh/\(name)")
        }
        #expect(Proof.status("\(scratch)/new/fresh/big") == nil, "the tree became the new name")
    }

    /// A server that allows one session per connection refuses the extra
    /// ones: the first session carries the whole tree.
    @Test("put --scp -r of a big tree to a server with MaxSessions 1: one session carries it all")
    func spreadTreeUploadWithOneSession() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["MaxSessions 1"])
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-spread-one")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        for index in 0..<80 {
            try Proof.makeDirectory(local.file("tree/d\(index % 4)"))
            try Proof.write(local.file("tree/d\(index % 4)/f\(index)"), Array("file \(index)\n".utf8), mode: 0o644)
        }
        let put = try await Self.ferry("put", ["--scp", "--channels", "4", "-r", local.file("tree"), Proof.remote(sshd, "\(scratch)/copy")], on: sshd)
        #expect(put.exit == Proof.ok, "\(put.summary)")
        for index in 0..<80 {
            #expect(Proof.contents("\(scratch)/copy/d\(index % 4)/f\(index)") == Array("file \(index)\n".utf8), "f\(index)")
        }
    }

    /// put over SCP does not wait for each file's closing answer before the
    /// next record (see `SourceSession`); a file the sink refuses between
    /// others must still cost only that file, and its data, which looks
    /// like records, must never be read as records.
    @Test("put --scp -r: a file the server refuses between others fails alone; record-like data stays data")
    func refusedFileAmongPipelinedOnes() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-refused")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try Proof.makeDirectory(local.file("tree"))
        let lure = Array("C0644 6 planted\nowned\n\u{0}".utf8)
        for index in 0..<40 {
            try Proof.write(local.file("tree/f\(String(format: "%02d", index))"), lure + Array("file \(index)\n".utf8), mode: 0o644)
        }
        // On the server, f20 is a directory: the sink refuses that file.
        try Proof.makeDirectory("\(scratch)/tree/f20")
        Proof.giveToAccount("\(scratch)/tree", sshd)
        Proof.giveToAccount("\(scratch)/tree/f20", sshd)
        let put = try await Self.ferry("put", ["--scp", "-r", local.file("tree"), Proof.remote(sshd, "\(scratch)/")], on: sshd)
        #expect(put.exit.code == 1, "\(put.summary)")
        #expect(put.stderr.contains("f20"), "\(put.summary)")
        for index in 0..<40 where index != 20 {
            let name = "f\(String(format: "%02d", index))"
            #expect(Proof.contents("\(scratch)/tree/\(name)") == lure + Array("file \(index)\n".utf8), "\(name)")
        }
        #expect(Proof.status("\(scratch)/tree/planted") == nil, "file data was read as a record")
        #expect(Proof.status("\(scratch)/planted") == nil, "file data was read as a record")
    }

    /// A file that gives fewer bytes than its size said (it shrank, or a
    /// read failed) is padded to the size the `C` record announced and
    /// ended with status 1. OpenSSH's sink keeps what it wrote, so the
    /// failure must say the remote copy may be incomplete, and the files
    /// sent after it must still land whole. A sysfs file is such a file by
    /// nature: its size says 4096, a read gives a few bytes.
    @Test("put --scp: a file read short fails, saying the remote copy may be incomplete; the next file lands whole")
    func fileReadShort() async throws {
        let short = "/sys/devices/system/cpu/online"
        guard let st = Proof.status(short), st.st_size > 64 else { return }
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-short")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try Proof.makeDirectory("\(scratch)/up")
        Proof.giveToAccount("\(scratch)/up", sshd)
        try Proof.write(local.file("after"), Array("sent after\n".utf8), mode: 0o644)
        let put = try await Self.ferry("put", ["--scp", short, local.file("after"), Proof.remote(sshd, "\(scratch)/up")], on: sshd)
        #expect(put.exit.code == 1, "\(put.summary)")
        #expect(put.stderr.contains("online: file shrank while it was sent; the remote copy may be incomplete"), "\(put.summary)")
        #expect(Proof.contents("\(scratch)/up/after") == Array("sent after\n".utf8), "\(put.summary)")
        // Why the message says so: OpenSSH's scp kept the padded file.
        #expect(Proof.status("\(scratch)/up/online").map { Int64($0.st_size) } == Int64(st.st_size))
    }

    /// A download answers the remote scp ahead (`SCPTransfer.answersAhead`),
    /// so a file this side cannot write is told to nobody but the user: the
    /// files after it must still land, each whole, and record-like data
    /// must stay data.
    @Test("get --scp -r: a file that cannot be written here fails alone while answers run ahead; record-like data stays data")
    func unwritableFileAmongAnsweredAhead() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-unwritable")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try Proof.makeDirectory("\(scratch)/tree")
        let lure = Array("C0644 6 planted\nowned\n\u{0}".utf8)
        for index in 0..<200 {
            try Proof.write("\(scratch)/tree/f\(String(format: "%03d", index))", lure + Array("file \(index)\n".utf8), mode: 0o644)
        }
        // Here, f020 is a directory with a file in it: it cannot be replaced.
        try Proof.makeDirectory(local.file("tree/f020"))
        try Proof.write(local.file("tree/f020/keep"), Array("mine".utf8), mode: 0o644)
        Proof.giveToAccount("\(scratch)/tree", sshd)
        let get = try await Self.ferry("get", ["--scp", "-r", Proof.remote(sshd, "\(scratch)/tree"), local.path], on: sshd)
        #expect(get.exit.code == 1, "\(get.summary)")
        #expect(get.stderr.contains("f020"), "\(get.summary)")
        for index in 0..<200 where index != 20 {
            let name = "f\(String(format: "%03d", index))"
            #expect(Proof.contents(local.file("tree/\(name)")) == lure + Array("file \(index)\n".utf8), "\(name)")
        }
        #expect(Proof.contents(local.file("tree/f020/keep")) == Array("mine".utf8))
        #expect(Proof.status(local.file("tree/planted")) == nil, "file data was read as a record")
        #expect(Proof.status(local.file("planted")) == nil, "file data was read as a record")
    }

    @Test("-a is refused with SCP; -O and -s exclude each other; remote to remote is refused")
    func refusals() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let resume = try await Self.ferry("get", ["--scp", "-a", Proof.remote(sshd, "x"), "/tmp"], on: sshd)
        #expect(resume.exit != Proof.ok && resume.stderr.contains("needs SFTP"), "\(resume.summary)")
        let both = try await Self.ferry("cp", ["-O", "-s", Proof.remote(sshd, "x"), "/tmp"], on: sshd)
        #expect(both.exit != Proof.ok && both.stderr.contains("exclude"), "\(both.summary)")
        let remote = try await Self.ferry("cp", [Proof.remote(sshd, "x"), Proof.remote(sshd, "y")], on: sshd)
        #expect(remote.exit != Proof.ok && remote.stderr.contains("remote-to-remote"), "\(remote.summary)")
    }

    @Test("a server without the sftp subsystem: SCP after one notice line (none with -q); --sftp fails")
    func fallback() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["Subsystem sftp /nonexistent/sftp-server"])
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-fallback")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try await Proof.makeRandomFile("\(scratch)/file", bytes: 1 << 20, seed: 9)
        let get = try await Self.ferry("get", [Proof.remote(sshd, "\(scratch)/file"), local.file("got")], on: sshd)
        #expect(get.exit == Proof.ok, "\(get.summary)")
        #expect(get.stderr == "ferry: the server refused the sftp subsystem; using SCP\n", "\(get.summary)")
        #expect(try await Proof.sha256(local.file("got")) == (try await Proof.sha256("\(scratch)/file")))
        let quiet = try await Self.ferry("cp", ["-q", Proof.remote(sshd, "\(scratch)/file"), local.file("quiet")], on: sshd)
        #expect(quiet.exit == Proof.ok && quiet.stderr.isEmpty, "\(quiet.summary)")
        let sftpOnly = try await Self.ferry("get", ["--sftp", Proof.remote(sshd, "\(scratch)/file"), local.file("no")], on: sshd)
        #expect(sftpOnly.exit != Proof.ok && !Proof.exists(local.file("no")), "\(sftpOnly.summary)")
    }
}
