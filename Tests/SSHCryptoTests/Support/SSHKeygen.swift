import Foundation
import Testing

/// SSHKeygen runs the reference implementation, OpenSSH's ssh-keygen, for
/// the interop tests. A missing ssh-keygen is a test failure, not a skip:
/// CI installs openssh-client, and a silently skipped interop suite proves
/// nothing.
enum SSHKeygen {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "ssh-keygen not found in PATH or /usr/bin (install openssh-client)" }
    }

    static func executable() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { String($0) + "/ssh-keygen" } + ["/usr/bin/ssh-keygen"]
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return URL(fileURLWithPath: candidate)
        }
        throw Missing()
    }

    /// Runs ssh-keygen in `directory` with `arguments`, stdin from `stdin`.
    static func run(_ arguments: [String], in directory: URL, stdin: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent(".out-\(id)")
        let errURL = directory.appendingPathComponent(".err-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// Runs ssh-keygen and records a test issue unless it exits with 0.
    @discardableResult
    static func succeed(_ arguments: [String], in directory: URL, stdin: URL? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let result = try run(arguments, in: directory, stdin: stdin)
        #expect(result.status == 0, "ssh-keygen \(arguments.joined(separator: " ")) failed: \(result.stderr)",
                sourceLocation: sourceLocation)
        return result
    }
}

/// TemporaryDirectory is a fresh directory removed when the test is done.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func write(_ name: String, _ text: String, mode: Int = 0o644) throws {
        try Data(text.utf8).write(to: file(name))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file(name).path)
    }

    func write(_ name: String, bytes: [UInt8]) throws {
        try Data(bytes).write(to: file(name))
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: file(name), encoding: .utf8)
    }
}
