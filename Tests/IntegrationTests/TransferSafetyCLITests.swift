import Foundation
import Glibc
import Testing

// Issue 10's defects, reproduced as a user and an attacker would, with the
// ferry binary against sshd: two sources with one name, a link planted at
// the partial name, overwrites that keep what they should, standard output
// as a destination, names that are not UTF-8, and a size guard.

@Suite("get/put: nothing lost, nothing followed")
struct TransferSafetyCLITests {
    static func ferry(_ command: String, _ arguments: [String], on sshd: SSHDFixture) async throws -> CommandResult {
        try await Proof.ferry(command, arguments, on: sshd)
    }

    @Test("two sources with one name: copied in turn, the last wins, never a mix; both ways")
    func collidingSources() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-collide")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        for path in ["\(scratch)/x", "\(scratch)/y", "\(scratch)/up"] {
            try Proof.makeDirectory(path)
            Proof.giveToAccount(path, sshd)
        }
        try await Proof.makeRandomFile("\(scratch)/x/same", bytes: 40 << 20, seed: 1)
        try await Proof.makeRandomFile("\(scratch)/y/same", bytes: 1 << 20, seed: 2)
        try Proof.makeDirectory(local.file("down"))
        let get = try await Self.ferry("get", [Proof.remote(sshd, "\(scratch)/x/same"), Proof.remote(sshd, "\(scratch)/y/same"),
                                              local.file("down")], on: sshd)
        #expect(get.exit == Proof.ok, "\(get.summary)")
        #expect(get.stderr.contains("copied in turn, the last one wins"), "\(get.summary)")
        #expect(try await Proof.sha256(local.file("down/same")) == (try await Proof.sha256("\(scratch)/y/same")))
        #expect(Proof.names(local.file("down")) == ["same"])

        let put = try await Self.ferry("put", [local.file("down/same"), "\(scratch)/x/same", Proof.remote(sshd, "\(scratch)/up")], on: sshd)
        #expect(put.exit == Proof.ok, "\(put.summary)")
        #expect(try await Proof.sha256("\(scratch)/up/same") == (try await Proof.sha256("\(scratch)/x/same")))
        #expect(Proof.names("\(scratch)/up") == ["same"])
    }

    @Test("a link planted at the partial name is never followed, with or without -a")
    func plantedLink() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-plant")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try await Proof.makeRandomFile("\(scratch)/name", bytes: 3 << 20, seed: 3)
        try Proof.write(local.file("victim"), Array("precious".utf8))
        try Proof.makeDirectory(local.file("shared"))
        #expect(symlink(local.file("victim"), local.file("shared/.name.ferry-part")) == 0)
        for resume in [[], ["-a"]] {
            unlink(local.file("shared/name"))
            let get = try await Self.ferry("get", resume + [Proof.remote(sshd, "\(scratch)/name"), local.file("shared")], on: sshd)
            #expect(get.exit == Proof.ok, "\(get.summary)")
            #expect(Proof.contents(local.file("victim")) == Array("precious".utf8))
            #expect(Proof.status(local.file("shared/name")).map { $0.st_mode & S_IFMT } == S_IFREG)
            #expect(try await Proof.sha256(local.file("shared/name")) == (try await Proof.sha256("\(scratch)/name")))
            #expect(Proof.names(local.file("shared")) == [".name.ferry-part", "name"])
        }
    }

    @Test("overwriting a remote file keeps its mode; --inplace keeps its inode; an unwritable directory falls back to in place")
    func remoteOverwrites() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-overwrite")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try Proof.write(local.file("new"), Array("new contents\n".utf8))
        try Proof.write("\(scratch)/kept", Array("old".utf8), mode: 0o600)
        Proof.giveToAccount("\(scratch)/kept", sshd)
        chmod("\(scratch)/kept", 0o600)
        let replace = try await Self.ferry("put", [local.file("new"), Proof.remote(sshd, "\(scratch)/kept")], on: sshd)
        #expect(replace.exit == Proof.ok, "\(replace.summary)")
        #expect(Proof.status("\(scratch)/kept").map { $0.st_mode & 0o7777 } == 0o600)
        #expect(Proof.status("\(scratch)/kept")?.st_uid == sshd.server.account.uid)

        try Proof.write("\(scratch)/linked", Array("old".utf8))
        Proof.giveToAccount("\(scratch)/linked", sshd)
        #expect(link("\(scratch)/linked", "\(scratch)/linked-too") == 0)
        let inode = Proof.status("\(scratch)/linked")?.st_ino
        let inPlace = try await Self.ferry("put", ["--inplace", local.file("new"), Proof.remote(sshd, "\(scratch)/linked")], on: sshd)
        #expect(inPlace.exit == Proof.ok, "\(inPlace.summary)")
        #expect(Proof.status("\(scratch)/linked")?.st_ino == inode)
        #expect(Proof.contents("\(scratch)/linked-too") == Array("new contents\n".utf8))

        // A directory the account cannot write, holding a file it can.
        try Proof.makeDirectory("\(scratch)/locked")
        chmod("\(scratch)/locked", 0o755)
        try Proof.write("\(scratch)/locked/file", Array("old".utf8))
        Proof.giveToAccount("\(scratch)/locked/file", sshd)
        let fallback = try await Self.ferry("put", [local.file("new"), Proof.remote(sshd, "\(scratch)/locked/file")], on: sshd)
        #expect(fallback.exit == Proof.ok, "\(fallback.summary)")
        #expect(fallback.stderr.contains("writing in place"), "\(fallback.summary)")
        #expect(Proof.contents("\(scratch)/locked/file") == Array("new contents\n".utf8))
        #expect(Proof.names("\(scratch)/locked") == ["file"])
    }

    @Test("get to - writes the file to standard output, the summary to standard error")
    func standardOutput() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let text = String(repeating: "a line of text\n", count: 5000)
        try Proof.write("\(sshd.scratchDirectory)/text", Array(text.utf8))
        for destination in ["-", "/dev/stdout"] {
            let get = try await Self.ferry("get", [Proof.remote(sshd, "\(sshd.scratchDirectory)/text"), destination], on: sshd)
            #expect(get.exit == Proof.ok, "\(get.summary)")
            #expect(get.stdout == text, "\(destination)")
            #expect(get.stderr.contains("1 file, 75000 bytes"), "\(get.summary)")
        }
    }

    @Test("names that are not UTF-8: downloaded and uploaded under their exact bytes")
    func latin1Names() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-bytes")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        guard let ferry = FerryCLI.executable else { throw FixtureError("no ferry binary") }
        let connection = FerryCLI.connectionArguments(for: sshd).map { "'\($0)'" }.joined(separator: " ")
        let remote = "\(sshd.user)@\(sshd.host)"
        // The shell makes the bytes: Swift's own argv decoding would not.
        let script = """
            set -e
            name=$(printf 'caf\\351')
            mkdir -p '\(scratch)/tree' '\(local.file("down"))'
            printf 'remote' > '\(scratch)/tree/'"$name"
            printf 'local' > '\(local.path)/'"$name"
            chown -R \(sshd.server.account.uid) '\(scratch)/tree'
            '\(ferry)' get \(connection) '\(remote):\(scratch)/tree/'"$name" '\(local.file("down"))'
            '\(ferry)' get -r \(connection) '\(remote):\(scratch)/tree' '\(local.file("down"))'
            '\(ferry)' put \(connection) '\(local.path)/'"$name" '\(remote):\(scratch)/'
            test "$(cat '\(local.file("down"))/'"$name")" = remote
            test "$(cat '\(local.file("down/tree"))/'"$name")" = remote
            test "$(cat '\(scratch)/'"$name")" = local
            """
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = local.path
        let result = try await FixtureCommand.run("/bin/sh", ["-c", script], environment: environment, timeout: .seconds(120))
        #expect(result.exit == Proof.ok, "\(result.summary)")
    }

    @Test("--max-size stops a file that is larger, with a clear error, leaving nothing")
    func maxSize() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-max")
        defer { local.remove() }
        try await Proof.makeRandomFile("\(sshd.scratchDirectory)/big", bytes: 1 << 20, seed: 4)
        let get = try await Self.ferry("get", ["--max-size", "100K", Proof.remote(sshd, "\(sshd.scratchDirectory)/big"), local.file("big")], on: sshd)
        #expect(get.exit == Proof.someFailed, "\(get.summary)")
        #expect(get.stderr.contains("larger than --max-size (102400 bytes)"), "\(get.summary)")
        #expect(Proof.names(local.path) == [])
        let bad = try await Self.ferry("get", ["--max-size", "lots", Proof.remote(sshd, "\(sshd.scratchDirectory)/big"), local.file("big")], on: sshd)
        #expect(bad.exit.code != 0 && bad.stderr.contains("is not a size"), "\(bad.summary)")
    }
}
