import Foundation

/// ToolResult is what an external tool run by `runTool` left behind.
struct ToolResult {
    var status: Int32
    var output: [UInt8]
    var errorText: String
}

/// Runs `tool` (looked up on PATH through /usr/bin/env) with `arguments`,
/// feeding `input` on stdin and collecting stdout and stderr through
/// temporary files, so large outputs cannot deadlock on a full pipe.
///
/// A missing tool is not a skip: env exits with 127 and the caller's status
/// expectation fails, because these interop tests are the proof that our
/// bytes match OpenSSH's, Python's and OpenSSL's.
func runTool(_ tool: String, _ arguments: [String], input: [UInt8] = [],
             workingDirectory: URL? = nil) throws -> ToolResult {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let inURL = directory.appendingPathComponent("stdin")
    let outURL = directory.appendingPathComponent("stdout")
    let errURL = directory.appendingPathComponent("stderr")
    try Data(input).write(to: inURL)
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)

    let stdin = try FileHandle(forReadingFrom: inURL)
    let stdout = try FileHandle(forWritingTo: outURL)
    let stderr = try FileHandle(forWritingTo: errURL)
    defer {
        try? stdin.close()
        try? stdout.close()
        try? stderr.close()
    }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    if let workingDirectory { process.currentDirectoryURL = workingDirectory }
    try process.run()
    process.waitUntilExit()

    return ToolResult(
        status: process.terminationStatus,
        output: [UInt8](try Data(contentsOf: outURL)),
        errorText: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// A fresh, empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("ferry-test-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
