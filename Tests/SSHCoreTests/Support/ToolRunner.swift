import Foundation
import Testing

/// ToolResult is what an external tool run by `runTool` left behind.
struct ToolResult {
    var status: Int32
    var output: String
    var errorText: String
}

/// Runs `tool` (looked up on PATH through /usr/bin/env) with `arguments`,
/// collecting stdout and stderr through temporary files so large outputs
/// cannot deadlock on a full pipe.
///
/// A missing tool is not a skip: env exits with 127 and the caller's status
/// expectation fails, because the interop tests are the proof that OpenSSH
/// reads our known_hosts lines and we read its.
func runTool(_ tool: String, _ arguments: [String]) throws -> ToolResult {
    try runProgram("/usr/bin/env", [tool] + arguments)
}

/// Runs the program at `path`, with stdout and stderr collected through
/// temporary files (a large output cannot deadlock on a full pipe).
func runProgram(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ToolResult {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("stdout")
    let errURL = directory.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let stdout = try FileHandle(forWritingTo: outURL)
    let stderr = try FileHandle(forWritingTo: errURL)
    defer {
        try? stdout.close()
        try? stderr.close()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    process.waitUntilExit()
    return ToolResult(
        status: process.terminationStatus,
        output: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
        errorText: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// A fresh, empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("ferry-test-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `text` to `name` in `directory` and returns the path.
@discardableResult
func writeFile(_ text: String, named name: String, in directory: URL) throws -> String {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// The line numbers `ssh-keygen -F name -f file` reports ("# Host … found: line N").
func sshKeygenFoundLines(_ name: String, file: String) throws -> (status: Int32, lines: [Int], errorText: String) {
    let result = try runTool("ssh-keygen", ["-F", name, "-f", file])
    // 0: found, 1: not found; anything else (127: no ssh-keygen) fails the test.
    #expect(result.status == 0 || result.status == 1,
            "ssh-keygen -F \(name) exited with \(result.status): \(result.errorText) (is openssh-client installed?)")
    var lines: [Int] = []
    for line in result.output.split(separator: "\n") where line.hasPrefix("# Host ") {
        guard let range = line.range(of: "found: line ") else { continue }
        let digits = line[range.upperBound...].prefix { $0.isNumber }
        if let number = Int(digits) { lines.append(number) }
    }
    return (result.status, lines, result.errorText)
}

/// Fails the test (never skips it) when ssh-keygen is not installed.
func requireSSHKeygen(sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let candidates = path.split(separator: ":").map { String($0) + "/ssh-keygen" } + ["/usr/bin/ssh-keygen"]
    let found = candidates.contains { FileManager.default.isExecutableFile(atPath: $0) }
    try #require(found, "ssh-keygen not found (install openssh-client): the OpenSSH interop tests cannot run",
                 sourceLocation: sourceLocation)
}
