import Foundation
import Glibc
import Testing

// `ferry get` and `ferry put` against sshd's internal-sftp: a large file
// (sha256 both ways), a tree of 200 files, -p modes and times, and the exit
// status when one file of several fails.

@Suite("ferry get/put against sshd")
struct ClientTransferTests {
    /// The file's SHA-256 as sha256sum(1) prints it.
    static func sha256(_ path: String) async throws -> String {
        let result = try await FixtureCommand.run("/usr/bin/sha256sum", [path], environment: [:], timeout: .seconds(60))
        return String(result.stdout.prefix(64))
    }

    /// `[-r] [-p] … sources… destination` with the fixture's connection options.
    static func ferry(_ command: String, _ arguments: [String], on sshd: SSHDFixture) async throws -> CommandResult {
        try await FerryCLI.run([command] + FerryCLI.connectionArguments(for: sshd) + arguments, timeout: .seconds(240))
    }

    static func remote(_ sshd: SSHDFixture, _ path: String) -> String { "\(sshd.user)@\(sshd.host):\(path)" }

    @Test("a 64 MiB file up and down, sha256-identical; no partial file remains")
    func largeFile() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-transfer")
        defer { local.remove() }
        let source = local.file("big.bin")
        _ = FileManager.default.createFile(atPath: source, contents: nil)
        let writer = try FileHandle(forWritingTo: URL(fileURLWithPath: source))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<64 {
            var block = [UInt64](repeating: 0, count: 1 << 17)
            for i in block.indices { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; block[i] = state }
            try writer.write(contentsOf: block.withUnsafeBytes { Data($0) })
        }
        try writer.close()
        let put = try await Self.ferry("put", [source, Self.remote(sshd, "\(sshd.scratchDirectory)/big.bin")], on: sshd)
        #expect(put.exit == ExitStatus(code: 0, signaled: false), "\(put.summary)")
        #expect(put.stdout.contains("1 file, 67108864 bytes"), "\(put.summary)")
        let get = try await Self.ferry("get", ["sftp://\(sshd.user)@\(sshd.host):\(sshd.port)/\(sshd.scratchDirectory)/big.bin",
                                              local.file("back.bin")], on: sshd)
        #expect(get.exit == ExitStatus(code: 0, signaled: false), "\(get.summary)")
        let expected = try await Self.sha256(source)
        #expect(try await Self.sha256("\(sshd.scratchDirectory)/big.bin") == expected)
        #expect(try await Self.sha256(local.file("back.bin")) == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sshd.scratchDirectory) == ["big.bin"])
    }

    @Test("a tree of 200 files with -r -p: byte-identical, modes and mtimes kept")
    func treeWithPreserve() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-transfer")
        defer { local.remove() }
        var files: [String: Data] = [:]
        for d in 0..<10 {
            let directory = local.file("tree/dir \(d)")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for f in 0..<20 {
                let path = "dir \(d)/f\(f)"
                let data = Data((0..<(d * 313 + f * 71)).map { UInt8(truncatingIfNeeded: $0 &* (d + f + 1)) })
                try data.write(to: URL(fileURLWithPath: local.file("tree/\(path)")))
                chmod(local.file("tree/\(path)"), f % 2 == 0 ? 0o644 : 0o604)
                var times = [timespec(tv_sec: 1_500_000_000 + f, tv_nsec: 0), timespec(tv_sec: 1_600_000_000 + d * 100 + f, tv_nsec: 0)]
                utimensat(AT_FDCWD, local.file("tree/\(path)"), &times, 0)
                files[path] = data
            }
        }
        let put = try await Self.ferry("put", ["-r", "-p", local.file("tree"), Self.remote(sshd, sshd.scratchDirectory)], on: sshd)
        #expect(put.exit == ExitStatus(code: 0, signaled: false), "\(put.summary)")
        #expect(put.stdout.contains("200 files"), "\(put.summary)")
        let get = try await Self.ferry("get", ["-r", "-p", Self.remote(sshd, "\(sshd.scratchDirectory)/tree"), local.file("back")], on: sshd)
        #expect(get.exit == ExitStatus(code: 0, signaled: false), "\(get.summary)")
        for (path, data) in files {
            for copy in ["\(sshd.scratchDirectory)/tree/\(path)", local.file("back/\(path)")] {
                #expect(FileManager.default.contents(atPath: copy) == data, "\(copy)")
                let attributes = try FileManager.default.attributesOfItem(atPath: copy)
                let f = Int(path.split(separator: "f").last ?? "") ?? 0
                let d = Int(path.split(separator: " ")[1].prefix { $0 != "/" }) ?? 0
                #expect(attributes[.posixPermissions] as? Int == (f % 2 == 0 ? 0o644 : 0o604), "\(copy)")
                #expect((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 == Double(1_600_000_000 + d * 100 + f), "\(copy)")
            }
        }
    }

    @Test("one missing source among several: the others are copied, exit status 1, one line about it")
    func oneFailureExitsNonZero() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-transfer")
        defer { local.remove() }
        for name in ["a", "c"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: "\(sshd.scratchDirectory)/\(name)"))
            chmod("\(sshd.scratchDirectory)/\(name)", 0o644)
        }
        try FileManager.default.createDirectory(atPath: local.file("out"), withIntermediateDirectories: false)
        let get = try await Self.ferry("get", [Self.remote(sshd, "\(sshd.scratchDirectory)/a"), Self.remote(sshd, "\(sshd.scratchDirectory)/missing"),
                                               Self.remote(sshd, "\(sshd.scratchDirectory)/c"), local.file("out")], on: sshd)
        #expect(get.exit == ExitStatus(code: 1, signaled: false), "\(get.summary)")
        #expect(get.stderr.contains("missing") && get.stderr.split(separator: "\n").count == 1, "\(get.summary)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: local.file("out")).sorted() == ["a", "c"])

        let glob = try await Self.ferry("get", ["-q", Self.remote(sshd, "\(sshd.scratchDirectory)/[ab]*"), local.file("glob")], on: sshd)
        #expect(glob.exit == ExitStatus(code: 0, signaled: false) && glob.stdout.isEmpty, "\(glob.summary)")
        #expect(FileManager.default.contents(atPath: local.file("glob")) == Data("a".utf8))
    }
}
