import Foundation

/// LocalProcess runs `!command` and `lls` the way sftp does: through the
/// user's shell, in the session's local directory, with the terminal
/// passed through, waiting for it to end. Its exit status is shown but is
/// not a failure of the batch (sftp's `local_do_shell`).
enum LocalProcess {
    static func run(_ arguments: [[UInt8]], in directory: [UInt8]) {
        guard let executable = arguments.first else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: String(decoding: executable, as: UTF8.self))
        process.arguments = arguments.dropFirst().map { String(decoding: $0, as: UTF8.self) }
        process.currentDirectoryURL = URL(fileURLWithPath: String(decoding: directory, as: UTF8.self))
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            FileHandle.standardError.write(Data("Couldn't execute \(String(decoding: executable, as: UTF8.self)): \(error)\n".utf8))
        }
    }
}

/// The bytes of a path as a NUL-terminated C string (a path holding a NUL
/// cannot name a file: it becomes empty, which every call refuses).
func cPath(_ bytes: [UInt8]) -> [CChar] {
    (bytes.contains(0) ? [] : bytes.map { CChar(bitPattern: $0) }) + [0]
}
