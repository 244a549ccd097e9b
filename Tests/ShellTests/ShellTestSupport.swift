import Foundation
import SFTP
import SFTPTestSupport
import Locking
@testable import Shell
import Transfer

/// Collects what a session writes, for assertions.
final class CapturedOutput: Sendable {
    private let storage = Locked<(out: String, err: String)>(("", ""))

    var output: ShellOutput {
        ShellOutput(standardOutput: { text in self.storage.withLock { $0.out += text } },
                    standardError: { text in self.storage.withLock { $0.err += text } })
    }

    var standardOutput: String { storage.withLock { $0.out } }
    var standardError: String { storage.withLock { $0.err } }
    var lines: [String] { standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
}

/// A session against a local sftp-server whose remote side is `remote/`
/// and local side `local/` of one temporary directory.
struct ShellFixture {
    let client: SFTPClient
    let root: TemporaryDirectory
    let captured = CapturedOutput()
    var remote: String { root.file("remote") }
    var local: String { root.file("local") }

    init(client: SFTPClient, root: TemporaryDirectory) throws {
        self.client = client
        self.root = root
        try FileManager.default.createDirectory(atPath: root.file("remote"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root.file("local"), withIntermediateDirectories: true)
    }

    var session: ShellSession {
        ShellSession(client: client, files: FileTransfer(client: client), output: captured.output, verbose: false)
    }

    var state: ShellState {
        var state = ShellState(remoteDirectory: Array(remote.utf8), localDirectory: Array(local.utf8))
        state.showProgress = false
        return state
    }

    /// Runs `batch` (one command per line) as `sftp -b` would.
    func run(_ batch: String, stopOnError: Bool = true) async -> BatchRunner.Result {
        var runner = BatchRunner(session: session)
        runner.stopOnError = stopOnError
        let lines = batch.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        return await runner.run(lines, state: state)
    }

    func write(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

func withShell<T>(_ body: (ShellFixture) async throws -> T) async throws -> T {
    try await withSFTPServer { client, directory in
        try await body(try ShellFixture(client: client, root: directory))
    }
}
