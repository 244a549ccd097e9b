import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// LineEditor reads one line from a terminal with the editing keys of
/// readline/libedit's emacs mode that people expect at a `sftp>` prompt:
/// ←/→, Home/End, Ctrl-A/E/B/F, Backspace, Delete, Ctrl-K/U/W, ↑/↓ (and
/// Ctrl-P/N) through history, Ctrl-L, Tab for completion, Ctrl-C to drop
/// the line, Ctrl-D on an empty line for end of input. The terminal is in
/// raw mode only while a line is read, so a running command gets Ctrl-C
/// as SIGINT. Keys are read on a thread of their own: the session's event
/// loop is never blocked waiting for a key.
///
/// Our own (about 200 lines) rather than libedit: no new system library to
/// install, and the editor works on bytes, as names do.
final class LineEditor: @unchecked Sendable {
    /// Completes the text before the cursor: what to insert, and the
    /// candidates to list when there is more than one.
    typealias Completer = ([UInt8]) async -> (insert: [UInt8], candidates: [String])

    private(set) var history: [[UInt8]] = []
    static let maxHistory = 1000
    private let input = STDIN_FILENO
    private let keys = DispatchQueue(label: "ferry.line-editor")

    /// Reads a line after `prompt`; nil at end of input (Ctrl-D on an empty
    /// line, or stdin closed).
    func readLine(prompt: String, complete: Completer) async -> [UInt8]? {
        guard let saved = enterRawMode() else { return fallbackLine(prompt) }
        defer { var t = saved; tcsetattr(input, TCSAFLUSH, &t) }
        var line: [UInt8] = []
        var cursor = 0
        var recall = history.count
        var draft: [UInt8] = []
        func redraw() {
            var out = Array("\r\u{1B}[K".utf8) + Array(prompt.utf8) + line
            let back = line.count - cursor
            if back > 0 { out += Array("\u{1B}[\(back)D".utf8) }
            write(out)
        }
        write(Array(prompt.utf8))
        while true {
            guard let key = await readByte() else { return nil }
            switch key {
            case 0x0D, 0x0A:
                write(Array("\r\n".utf8))
                if !line.isEmpty, history.last != line {
                    history.append(line)
                    if history.count > Self.maxHistory { history.removeFirst() }
                }
                return line
            case 0x04:
                if line.isEmpty {
                    write(Array("\r\n".utf8))
                    return nil
                }
                if cursor < line.count { line.remove(at: cursor) }
            case 0x03:
                write(Array("^C\r\n".utf8))
                line = []
                cursor = 0
                recall = history.count
                write(Array(prompt.utf8))
                continue
            case 0x7F, 0x08:
                if cursor > 0 {
                    line.remove(at: cursor - 1)
                    cursor -= 1
                }
            case 0x01: cursor = 0
            case 0x05: cursor = line.count
            case 0x02: cursor = max(0, cursor - 1)
            case 0x06: cursor = min(line.count, cursor + 1)
            case 0x0B: line.removeSubrange(cursor...)
            case 0x15:
                line.removeSubrange(..<cursor)
                cursor = 0
            case 0x17:
                var start = cursor
                while start > 0, line[start - 1] == 0x20 { start -= 1 }
                while start > 0, line[start - 1] != 0x20 { start -= 1 }
                line.removeSubrange(start..<cursor)
                cursor = start
            case 0x0C:
                write(Array("\u{1B}[H\u{1B}[2J".utf8))
            case 0x10: recallHistory(-1, &recall, &draft, &line, &cursor)
            case 0x0E: recallHistory(1, &recall, &draft, &line, &cursor)
            case 0x09:
                let result = await complete(Array(line[..<cursor]))
                if !result.insert.isEmpty {
                    line.insert(contentsOf: result.insert, at: cursor)
                    cursor += result.insert.count
                } else if result.candidates.count > 1 {
                    write(Array("\r\n".utf8))
                    for row in Self.columns(result.candidates) { write(Array((row + "\r\n").utf8)) }
                }
            case 0x1B:
                guard let next = await readByte() else { return nil }
                guard next == UInt8(ascii: "[") || next == UInt8(ascii: "O") else { break }
                guard var code = await readByte() else { return nil }
                var parameter: [UInt8] = []
                while (0x30...0x39).contains(code) || code == UInt8(ascii: ";") {
                    parameter.append(code)
                    guard let more = await readByte() else { return nil }
                    code = more
                }
                switch code {
                case UInt8(ascii: "A"): recallHistory(-1, &recall, &draft, &line, &cursor)
                case UInt8(ascii: "B"): recallHistory(1, &recall, &draft, &line, &cursor)
                case UInt8(ascii: "C"): cursor = min(line.count, cursor + 1)
                case UInt8(ascii: "D"): cursor = max(0, cursor - 1)
                case UInt8(ascii: "H"): cursor = 0
                case UInt8(ascii: "F"): cursor = line.count
                case UInt8(ascii: "~"):
                    switch parameter {
                    case [UInt8(ascii: "3")]: if cursor < line.count { line.remove(at: cursor) }
                    case [UInt8(ascii: "1")], [UInt8(ascii: "7")]: cursor = 0
                    case [UInt8(ascii: "4")], [UInt8(ascii: "8")]: cursor = line.count
                    default: break
                    }
                default: break
                }
            default:
                guard key >= 0x20 else { break }
                line.insert(key, at: cursor)
                cursor += 1
            }
            redraw()
        }
    }

    private func recallHistory(_ step: Int, _ recall: inout Int, _ draft: inout [UInt8], _ line: inout [UInt8], _ cursor: inout Int) {
        let target = recall + step
        guard target >= 0, target <= history.count else { return }
        if recall == history.count { draft = line }
        recall = target
        line = target == history.count ? draft : history[target]
        cursor = line.count
    }

    /// Candidates laid out in columns for an 80-column terminal.
    static func columns(_ names: [String]) -> [String] {
        let width = max(1, (names.map(\.count).max() ?? 1) + 2)
        let perRow = max(1, 80 / width)
        var rows: [String] = []
        var index = 0
        while index < names.count {
            let row = names[index..<min(names.count, index + perRow)]
            rows.append(row.map { $0.padding(toLength: width, withPad: " ", startingAt: 0) }.joined())
            index += perRow
        }
        return rows
    }

    private func enterRawMode() -> termios? {
        var saved = termios()
        guard tcgetattr(input, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        guard tcsetattr(input, TCSAFLUSH, &raw) == 0 else { return nil }
        return saved
    }

    /// Without a terminal (raw mode refused): a plain line.
    private func fallbackLine(_ prompt: String) -> [UInt8]? {
        write(Array(prompt.utf8))
        guard let text = Swift.readLine(strippingNewline: true) else { return nil }
        return Array(text.utf8)
    }

    private func readByte() async -> UInt8? {
        let fd = input
        return await withCheckedContinuation { continuation in
            keys.async {
                var byte: UInt8 = 0
                while true {
                    let n = Glibc.read(fd, &byte, 1)
                    if n == 1 { return continuation.resume(returning: byte) }
                    if n < 0, errno == EINTR { continue }
                    return continuation.resume(returning: nil)
                }
            }
        }
    }

    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if n > 0 { offset += n } else if n < 0, errno == EINTR { continue } else { return }
        }
    }
}
