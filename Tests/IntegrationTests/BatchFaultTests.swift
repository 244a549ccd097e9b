import Foundation
import Glibc
import Testing

// `ferry sftp -b` through a FaultProxy: with --retries a batch whose
// connection is cut goes on over a new one, its transfers resumed
// (reget/reput), its directories kept; without, the cut ends the batch
// with status 1 as any failing line does.

@Suite("ferry sftp -b through a fault proxy: --retries", .serialized)
struct BatchFaultTests {
    static let retry = ["--retries", "5", "--retry-delay", "0.2"]

    /// A batch file in `home`, `lines` joined.
    static func batch(_ home: FixtureDirectory, _ lines: [String]) throws -> String {
        try home.write("batch", lines.joined(separator: "\n") + "\n")
    }

    @Test("sftp -b --retries: a cut during a single 32 MiB get, then cd-relative lines: all done, identical, no temporary file")
    func cutSingleGet() async throws {
        let (sshd, remote) = try await TransferFaultTests.serverWithBigFile()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-batch-cut")
        defer { home.remove() }
        let server = try FaultedServer(sshd, first: .cut(after: 12 << 20, .toClient))
        defer { server.stop() }
        try await Proof.makeRandomFile(home.file("small"), bytes: 70_000, seed: 0x51)
        let batch = try Self.batch(home, [
            "cd \(sshd.scratchDirectory)",
            "lcd \(home.path)",
            "get big copy",
            "mkdir up",
            "put small up/small",
            "ls up",
        ])
        let result = try await server.ferry("sftp", Self.retry + ["-b", batch, Proof.remote(sshd, "")])
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.stderr.contains("reconnecting (1/5) in 0.2 s"), "\(result.stderr)")
        #expect(server.proxy.connections == 2)
        try await FaultCheck.expectIdentical(home.file("copy"), remote, "batch get after a cut")
        try await FaultCheck.expectIdentical("\(sshd.scratchDirectory)/up/small", home.file("small"), "put after the reconnect")
        FaultCheck.expectNoPartials(under: home.path, "batch get")
    }

    @Test("sftp -b --retries: a cut in the middle of a group of 120 get lines, then a group of put lines: every file identical")
    func cutGroups() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let tree = FaultCheck.tree(files: 120)
        let home = try FixtureDirectory.create(prefix: "ferry-batch-group")
        defer { home.remove() }
        let source = "\(sshd.scratchDirectory)/src"
        try tree.write(under: source, for: sshd)
        let files = tree.entries.filter { $0.contents != nil }.map(\.path)
        let directories = tree.entries.filter { $0.contents == nil }.map(\.path)
        var lines = ["lmkdir \(home.file("down"))"] + directories.map { "lmkdir \(home.file("down"))/\($0)" }
        lines += files.map { "get \(source)/\($0) \(home.file("down"))/\($0)" }
        lines += ["mkdir \(sshd.scratchDirectory)/up"] + directories.map { "mkdir \(sshd.scratchDirectory)/up/\($0)" }
        lines += files.map { "put \(home.file("down"))/\($0) \(sshd.scratchDirectory)/up/\($0)" }
        let batch = try Self.batch(home, lines)
        // The gets move the tree once toward the client, the puts once
        // toward the server: a cut half way through each direction.
        let half = tree.byteCount / 2
        let server = try FaultedServer(sshd) { connection in
            connection == 0 ? .cut(after: half, .toClient) : connection == 1 ? .cut(after: half, .toServer) : .none
        }
        defer { server.stop() }
        let result = try await server.ferry("sftp", Self.retry + ["-b", batch, Proof.remote(sshd, "")])
        #expect(result.succeeded, "\(result.summary)")
        #expect(server.proxy.connections == 3, "one reconnect per cut: \(result.stderr)")
        #expect(result.stderr.contains("reconnecting (2/5)"), "\(result.stderr)")
        tree.expectCopy(at: home.file("down"), preserved: false, "batch gets after a cut")
        tree.expectCopy(at: "\(sshd.scratchDirectory)/up", preserved: false, "batch puts after a cut")
        FaultCheck.expectNoPartials(under: home.file("down"), "batch gets")
        FaultCheck.expectNoPartials(under: "\(sshd.scratchDirectory)/up", "batch puts")
        // Each line echoed once, though its group ran twice.
        let echoed = result.stdout.split(separator: "\n").filter { $0.hasPrefix("sftp> get ") }
        #expect(echoed.count == files.count, "\(echoed.count) get lines echoed")
    }

    @Test("sftp -b without --retries: the cut ends the batch with status 1, the partial only under its temporary name")
    func cutWithoutRetries() async throws {
        let (sshd, remote) = try await TransferFaultTests.serverWithBigFile()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-batch-noretry")
        defer { home.remove() }
        let server = try FaultedServer(sshd, first: .cut(after: 12 << 20, .toClient))
        defer { server.stop() }
        let batch = try Self.batch(home, ["get \(remote) \(home.file("copy"))", "lmkdir \(home.file("after"))"])
        let result = try await server.ferry("sftp", ["-b", batch, Proof.remote(sshd, "")])
        #expect(result.exit == Proof.someFailed, "\(result.summary)")
        #expect(server.proxy.connections == 1)
        #expect(!Proof.exists(home.file("copy")), "nothing under the final name")
        #expect(!Proof.exists(home.file("after")), "no line after the failure ran")
        #expect(!Proof.partialFiles(under: home.path).isEmpty, "the partial file stays for reget")
        // reget finishes it over a healthy connection.
        let again = try await Proof.ferry("sftp", ["-b", try Self.batch(home, ["reget \(remote) \(home.file("copy"))"]),
                                                   Proof.remote(sshd, "")], on: sshd)
        #expect(again.succeeded, "\(again.summary)")
        try await FaultCheck.expectIdentical(home.file("copy"), remote, "after reget")
    }
}
