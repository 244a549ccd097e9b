import Foundation
import Glibc
import Testing

// The sink against a scripted hostile scp: sshd's ForceCommand runs a
// script instead of scp, which sends a prepared stream chosen by the
// requested name (OpenSSH regress scp.sh's "bad server" cases,
// CVE-2019-6111, CVE-2018-20685, CVE-2018-20684, and the issue's list).
// Each is refused with its message, and nothing is written: not in the
// destination, not beside it, not under a final or a partial name.

@Suite("SCP: ferry's sink against a hostile scp behind sshd")
struct ClientSCPHostileTests {
    /// (case name, stream after the sink's first 0, -r, what stderr says)
    static let cases: [(String, [UInt8], Bool, String)] = [
        ("dotdot", Array("C0644 5 ..\nhello\0".utf8), false, "refusing the name \"..\""),
        ("dot", Array("D0755 0 .\nE\n".utf8), true, "refusing the name \".\""),
        ("slash", Array("C0644 5 ../evil\nhello\0".utf8), false, "name holds a /"),
        ("absolute", Array("C0644 5 /tmp/ferry-evil\nhello\0".utf8), false, "name holds a /"),
        ("empty", Array("C0644 5 \nhello\0".utf8), false, "empty name"),
        ("nul", Array("C0644 5 a\0b\nhello\0".utf8), false, "NUL"),
        ("other", Array("C0644 5 .bashrc\nhello\0".utf8), false, "was not asked for"),
        ("nested-dotdot", Array("D0755 0 nested-dotdot\nC0644 5 ..\nhello\0E\n".utf8), true, "refusing the name \"..\""),
        ("dir-without-r", Array("D0755 0 dir-without-r\nE\n".utf8), false, "-r was not asked for"),
        ("lone-e", Array("E\n".utf8), false, "end of directory without a directory"),
        ("deep", Array(String(repeating: "D0755 0 deep\n", count: 80).utf8), true, "nested deeper than"),
        ("negative", Array("C0644 -5 negative\nhello\0".utf8), false, "missing or negative"),
        ("overflow", Array("C0644 99999999999999999999 overflow\n".utf8), false, "out of range"),
        ("short", Array("C0644 10 short\nhello".utf8), false, "in the middle of a file"),
        ("long", Array("C0644 3 long\nhello\0".utf8), false, "more data than it announced"),
        ("longline", Array(("C0644 1 " + String(repeating: "a", count: 3000)).utf8), false, "longer than 2048"),
        ("nonewline", Array("C0644 1 nonewline".utf8), false, "missing newline"),
        ("times", Array("T99999999999 0 1 0\nC0644 5 times\nhello\0".utf8), false, "out of range"),
        ("usec", Array("T1 1000000 1 0\nC0644 5 usec\nhello\0".utf8), false, "microseconds"),
        ("mode", Array("C17777 5 mode\nhello\0".utf8), false, "outside 07777"),
        ("fatal", Array("C0644 5 fatal\nhel\u{2}scp: gone\n".utf8), false, "more data than it announced"),
        ("status2", Array("C0644 5 status2\nhello\u{2}scp: disk on fire\n".utf8), false, "disk on fire"),
    ]

    /// A directory the fixture's account can read: the script and streams.
    static func caseDirectory() throws -> String {
        let path = "/tmp/ferry-scp-hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        chmod(path, 0o755)
        for (name, stream, _, _) in cases + [("setid", Array("C6755 5 setid\nhello\0".utf8), false, ""),
                                           ("glob-x.txt", Array("C0644 5 evil.sh\nhello\0".utf8), false, "")] {
            try Proof.write("\(path)/\(name).stream", stream)
        }
        // The requested path's last component names the case; the script
        // waits for the sink's first 0, sends the stream, and exits.
        let script = """
            #!/bin/sh
            dir=\(path)
            name=$(printf '%s' "$SSH_ORIGINAL_COMMAND" | sed -e "s/.*\\///" -e "s/'//g")
            case "$name" in glob-*) name=glob-x.txt ;; esac
            head -c 1 > /dev/null
            if [ "$name" = stall ]; then printf 'C0644 100 stall\\nhello'; exec sleep 60; fi
            cat "$dir/$name.stream"
            exit 0

            """
        try Proof.write("\(path)/scp.sh", Array(script.utf8), mode: 0o755)
        return path
    }

    /// A source that stops in the middle of a file: Ctrl-C must end
    /// ferry at once (the wait for the next bytes is cut by closing the
    /// channel), with nothing left under the final or a partial name.
    @Test("a source that stalls in the middle of a file: Ctrl-C ends ferry at once, nothing written")
    func stalledSourceAndCtrlC() async throws {
        let cases = try Self.caseDirectory()
        defer { try? FileManager.default.removeItem(atPath: cases) }
        let sshd = try await SSHDFixture.start(extraConfig: ["ForceCommand \(cases)/scp.sh"])
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-stall")
        defer { local.remove() }
        try Proof.makeDirectory(local.file("dest"))
        let home = try FixtureDirectory.create(prefix: "ferry-scp-stall-home")
        defer { home.remove() }
        let child = try Proof.spawnFerry("get", ["--scp", Proof.remote(sshd, "/x/stall"), local.file("dest")], on: sshd, home: home)
        try await Task.sleep(for: .seconds(2))
        #expect(child.exitStatus == nil, "ferry waits for the stalled source")
        let clock = ContinuousClock()
        let sent = clock.now
        child.send(SIGINT)
        let status = await child.wait(timeout: .seconds(20))
        if status == nil { child.send(SIGKILL) }
        #expect(status?.code == 130, "\(String(describing: status)) \(home.read("stderr") ?? "")")
        #expect(clock.now - sent < .seconds(5), "Ctrl-C took \(clock.now - sent)")
        #expect(Proof.names(local.file("dest")) == [], "a file was left behind")
    }

    @Test("every hostile stream is refused with its reason; nothing is written anywhere")
    func hostileStreams() async throws {
        let cases = try Self.caseDirectory()
        defer { try? FileManager.default.removeItem(atPath: cases) }
        let sshd = try await SSHDFixture.start(extraConfig: ["ForceCommand \(cases)/scp.sh"])
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-scp-hostile")
        defer { local.remove() }
        for (name, _, recursive, expected) in Self.cases {
            let outer = local.file(name)
            try Proof.makeDirectory("\(outer)/dest")
            let get = try await Proof.ferry("get", ["--scp"] + (recursive ? ["-r"] : []) + [Proof.remote(sshd, "/x/\(name)"), "\(outer)/dest"],
                                            on: sshd)
            #expect(get.exit == Proof.someFailed, "\(name): \(get.summary)")
            #expect(get.stderr.contains(expected), "\(name): expected \"\(expected)\"\n\(get.summary)")
            #expect(Proof.names("\(outer)/dest") == [], "\(name): wrote into the destination")
            #expect(Proof.names(outer) == ["dest"], "\(name): wrote beside the destination")
        }
        #expect(!Proof.exists("/tmp/ferry-evil"))

        // A glob source accepts only names that match it.
        try Proof.makeDirectory(local.file("glob/dest"))
        let glob = try await Proof.ferry("get", ["--scp", Proof.remote(sshd, "/x/glob-*.txt"), local.file("glob/dest")], on: sshd)
        #expect(glob.exit == Proof.someFailed && glob.stderr.contains("was not asked for"), "\(glob.summary)")
        #expect(Proof.names(local.file("glob/dest")) == [])

        // Set-id bits are dropped, even with -p.
        try Proof.makeDirectory(local.file("setid"))
        let setid = try await Proof.ferry("get", ["--scp", "-p", Proof.remote(sshd, "/x/setid"), local.file("setid")], on: sshd)
        #expect(setid.exit == Proof.ok, "\(setid.summary)")
        #expect(Proof.status(local.file("setid/setid")).map { $0.st_mode & 0o7777 } == 0o755)
    }
}
