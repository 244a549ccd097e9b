import Foundation
import Glibc
import Testing

// `ferry bench` against sshd: every cipher both sides offer is measured, the
// JSON document says so, and the temporary file is gone afterwards — also
// when the upload cannot even start.

@Suite("ferry bench against sshd")
struct ClientBenchTests {
    /// The JSON document `ferry bench --json` prints (the fields checked here).
    struct Report: Decodable {
        struct Row: Decodable {
            var cipher: String
            var connectMs: Double
            var rttMinMs: Double
            var rttMedianMs: Double
            var downloadMBps: Double
            var uploadMBps: Double
            var error: String?
        }
        struct Best: Decodable {
            var cipher: String
            var arguments: [String]
        }
        var sizeBytes: UInt64
        var remoteDirectory: String
        var serverCiphers: [String]
        var results: [Row]
        var best: Best?
    }

    static func bench(_ arguments: [String], on sshd: SSHDFixture) async throws -> CommandResult {
        try await FerryCLI.run(["bench"] + FerryCLI.connectionArguments(for: sshd) + arguments + ["\(sshd.user)@\(sshd.host)"],
                               timeout: .seconds(240))
    }

    static func leftovers(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".ferry-bench") }
    }

    @Test("--size 4 --json: a row per common cipher, all with positive rates; no temporary file remains")
    func everyCipherMeasured() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let result = try await Self.bench(["--size", "4", "--round-trips", "5", "--json", "--remote-dir", sshd.scratchDirectory], on: sshd)
        #expect(result.succeeded, "\(result.summary)")
        let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        #expect(report.sizeBytes == 4 << 20)
        #expect(report.remoteDirectory == URL(fileURLWithPath: sshd.scratchDirectory).resolvingSymlinksInPath().path
                || report.remoteDirectory == sshd.scratchDirectory, "\(report.remoteDirectory)")
        // OpenSSH's default offer: every cipher ferry implements.
        #expect(Set(report.results.map(\.cipher)) == Set(["chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr",
                                                          "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]), "\(result.summary)")
        for row in report.results {
            #expect(row.error == nil, "\(row.cipher): \(row.error ?? "")")
            #expect(row.downloadMBps > 0 && row.uploadMBps > 0, "\(row.cipher)")
            #expect(row.connectMs > 0 && row.rttMinMs > 0 && row.rttMedianMs >= row.rttMinMs, "\(row.cipher)")
        }
        let best = try #require(report.best)
        #expect(best.arguments.prefix(2) == ["-c", best.cipher])
        #expect(try Self.leftovers(in: sshd.scratchDirectory).isEmpty)
    }

    @Test("--ciphers restricts; the table names the best setting")
    func restrictedTable() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let result = try await Self.bench(["--size", "1", "--round-trips", "3", "--remote-dir", sshd.scratchDirectory,
                                           "--ciphers", "aes128-ctr,aes128-gcm@openssh.com"], on: sshd)
        #expect(result.succeeded, "\(result.summary)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(result.summary)")
        #expect(lines.filter { $0.hasPrefix("aes128-ctr hmac-") || $0.hasPrefix("aes128-gcm@openssh.com ") }.count == 2, "\(result.summary)")
        #expect(lines.last?.hasPrefix("best: -c aes128-") == true, "\(result.summary)")
        #expect(try Self.leftovers(in: sshd.scratchDirectory).isEmpty)
    }

    @Test("a remote directory that cannot take the file: a clear error, exit 1, nothing left behind")
    func unwritableDirectory() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let missing = "\(sshd.scratchDirectory)/no-such-directory"
        let result = try await Self.bench(["--size", "1", "--json", "--remote-dir", missing], on: sshd)
        #expect(result.exit == ExitStatus(code: 1, signaled: false), "\(result.summary)")
        // sshd's REALPATH accepts a missing last component; the OPEN then fails.
        #expect(result.stderr.contains("ferry: cannot create \(missing)/.ferry-bench-"), "\(result.summary)")
        #expect(result.stderr.contains("No such file"), "\(result.summary)")
        #expect(result.stdout.isEmpty, "\(result.summary)")

        // A regular file where the directory should be: the OPEN fails.
        let file = "\(sshd.scratchDirectory)/plain-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let onFile = try await Self.bench(["--size", "1", "--remote-dir", file], on: sshd)
        #expect(onFile.exit == ExitStatus(code: 1, signaled: false), "\(onFile.summary)")
        #expect(onFile.stderr.contains("ferry: cannot create \(file)/.ferry-bench-"), "\(onFile.summary)")
        #expect(try Self.leftovers(in: sshd.scratchDirectory).isEmpty)
    }

    @Test("Ctrl-C during the transfer: the temporary file is removed, exit 130")
    func interruptRemovesTheFile() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let executable = try #require(FerryCLI.executable, "the ferry executable was not found next to the tests")
        let home = try FixtureDirectory.create(prefix: "ferry-home")
        defer { home.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["bench"] + FerryCLI.connectionArguments(for: sshd)
            + ["--size", "4096", "-R", "4", "--ciphers", "aes128-ctr", "--remote-dir", sshd.scratchDirectory, "\(sshd.user)@\(sshd.host)"]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        // As ChildProcess.spawn: scripts/sanitize's options for children.
        if let child = environment["FERRY_CHILD_ASAN_OPTIONS"] { environment["ASAN_OPTIONS"] = child }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (at most 60 s) for the upload to start, then interrupt it.
        var started = false
        for _ in 0..<600 where process.isRunning {
            if try !Self.leftovers(in: sshd.scratchDirectory).isEmpty { started = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(started, "the temporary file never appeared")
        kill(process.processIdentifier, SIGINT)
        for _ in 0..<300 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(try Self.leftovers(in: sshd.scratchDirectory).isEmpty)
    }
}
