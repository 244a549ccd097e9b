import Foundation
import Glibc
import Testing

// `ferry get` and `ferry put` over several SFTP channels and connections
// against sshd: a file big enough to be split into ranges and a tree,
// sha256-identical both ways, nothing left beside them.

@Suite("ferry get/put over several channels and connections")
struct ClientMultiChannelTests {
    static func writeBigFile(_ path: String, mebibytes: Int) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let writer = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<mebibytes {
            var block = [UInt64](repeating: 0, count: 1 << 17)
            for i in block.indices { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; block[i] = state }
            try writer.write(contentsOf: block.withUnsafeBytes { Data($0) })
        }
        try writer.close()
    }

    @Test("a 96 MiB file split into ranges, up and down, sha256-identical",
          arguments: [["--channels", "4"], ["--connections", "2", "--channels", "2"]])
    func bigFileInRanges(_ sessionArguments: [String]) async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-channels")
        defer { local.remove() }
        let source = local.file("big.bin")
        try Self.writeBigFile(source, mebibytes: 96)
        let remote = ClientTransferTests.remote(sshd, "\(sshd.scratchDirectory)/big.bin")
        let put = try await ClientTransferTests.ferry("put", ["-v"] + sessionArguments + [source, remote], on: sshd)
        #expect(put.exit == ExitStatus(code: 0, signaled: false), "\(put.summary)")
        #expect(put.stdout.contains("1 file, 100663296 bytes"), "\(put.summary)")
        let perConnection = sessionArguments.last ?? ""
        #expect(put.stderr.contains("\(perConnection) SFTP channels on each of"), "\(put.summary)")
        let get = try await ClientTransferTests.ferry("get", sessionArguments + [remote, local.file("back.bin")], on: sshd)
        #expect(get.exit == ExitStatus(code: 0, signaled: false), "\(get.summary)")
        let expected = try await ClientTransferTests.sha256(source)
        #expect(try await ClientTransferTests.sha256("\(sshd.scratchDirectory)/big.bin") == expected)
        #expect(try await ClientTransferTests.sha256(local.file("back.bin")) == expected)
        // No partial file and no range record, on either side.
        #expect(try FileManager.default.contentsOfDirectory(atPath: sshd.scratchDirectory) == ["big.bin"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: local.path).sorted() == ["back.bin", "big.bin"])
    }

    @Test("a tree of 120 files over three channels, byte-identical both ways")
    func treeOverChannels() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "ferry-channels")
        defer { local.remove() }
        var files: [String: Data] = [:]
        for d in 0..<6 {
            try FileManager.default.createDirectory(atPath: local.file("tree/d\(d)"), withIntermediateDirectories: true)
            for f in 0..<20 {
                let path = "d\(d)/f\(f)"
                let data = Data((0..<(d * 5113 + f * 389)).map { UInt8(truncatingIfNeeded: $0 &* (d + 3 * f + 1)) })
                try data.write(to: URL(fileURLWithPath: local.file("tree/\(path)")))
                files[path] = data
            }
        }
        let put = try await ClientTransferTests.ferry(
            "put", ["-r", "--channels", "3", local.file("tree"), ClientTransferTests.remote(sshd, sshd.scratchDirectory)], on: sshd)
        #expect(put.exit == ExitStatus(code: 0, signaled: false), "\(put.summary)")
        #expect(put.stdout.contains("120 files"), "\(put.summary)")
        let get = try await ClientTransferTests.ferry(
            "get", ["-r", "--channels", "3", ClientTransferTests.remote(sshd, "\(sshd.scratchDirectory)/tree"), local.file("back")], on: sshd)
        #expect(get.exit == ExitStatus(code: 0, signaled: false), "\(get.summary)")
        for (path, data) in files {
            #expect(FileManager.default.contents(atPath: "\(sshd.scratchDirectory)/tree/\(path)") == data, "\(path)")
            #expect(FileManager.default.contents(atPath: local.file("back/\(path)")) == data, "\(path)")
        }
    }

    @Test("--channels and --connections out of range are usage errors")
    func badCounts() async throws {
        for arguments in [["--channels", "0"], ["--channels", "65"], ["--connections", "0"], ["--connections", "17"]] {
            let result = try await FerryCLI.run(["get"] + arguments + ["host:x", "/tmp/x"], timeout: .seconds(30))
            // A usage error: exit 1 as scp and sftp, with the subcommand's usage.
            #expect(result.exit.code == 1, "\(result.summary)")
            #expect(result.stderr.contains(arguments[0]) && result.stderr.contains("Usage: ferry get"), "\(result.summary)")
        }
    }
}
