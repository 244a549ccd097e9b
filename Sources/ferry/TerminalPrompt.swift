import Foundation
import SSHCore

/// Asks the user on the controlling terminal, as ssh does (not on stdin,
/// which may carry data). Without a terminal there is nobody to ask.
enum TerminalPrompt {
    /// A host key prompt for `StrictHostKeyChecking ask`, or nil when no
    /// terminal is available (ask then behaves as yes).
    static func hostKeyPrompt() -> HostKeyPrompt? {
        guard FileManager.default.isReadableFile(atPath: "/dev/tty"),
              let probe = FileHandle(forUpdatingAtPath: "/dev/tty") else { return nil }
        try? probe.close()
        return { question in
            guard let tty = FileHandle(forUpdatingAtPath: "/dev/tty") else { return false }
            defer { try? tty.close() }
            var prompt = question.text
            for _ in 0..<5 {
                tty.write(Data((prompt.hasSuffix(" ") ? prompt : prompt + " ").utf8))
                guard let line = readLine(from: tty) else { return false }
                if let answer = question.answer(line) { return answer }
                prompt = "Please type 'yes', 'no' or the fingerprint:"
            }
            return false
        }
    }

    private static func readLine(from handle: FileHandle) -> String? {
        var bytes: [UInt8] = []
        while bytes.count < 4096 {
            let chunk = handle.readData(ofLength: 1)
            guard let byte = chunk.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
