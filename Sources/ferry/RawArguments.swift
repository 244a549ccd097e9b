import Foundation

/// RawArguments gives back the bytes of a command-line argument.
///
/// ArgumentParser hands arguments over as Strings, and Swift decodes
/// argv replacing bytes that are not UTF-8 with U+FFFD. File names on
/// Linux are bytes: `ferry put $'caf\xe9' host:` must open exactly that
/// name. So a path argument that shows a replacement character is looked
/// up in the process's real argv and taken as the bytes it was.
enum RawArguments {
    static let all: [[UInt8]] = (0..<Int(CommandLine.argc)).map { index in
        guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
        return UnsafeBufferPointer(start: pointer, count: strlen(pointer)).map { UInt8(bitPattern: $0) }
    }

    /// The bytes of the argument that decoded to `text`.
    static func bytes(of text: String) -> [UInt8] {
        let decoded = Array(text.utf8)
        guard text.unicodeScalars.contains("\u{FFFD}") else { return decoded }
        return all.first { String(decoding: $0, as: UTF8.self) == text } ?? decoded
    }

    /// The bytes of the path part of `location`, parsed from `text`: the
    /// argument's tail after the `[user@]host:` prefix, taken from the raw
    /// argument (the prefix is the same in both). For a URI, whose path
    /// was percent-decoded, the decoded text.
    static func remotePath(_ location: RemoteLocation, in text: String) -> [UInt8] {
        let path = Array(location.path.utf8)
        let raw = bytes(of: text)
        let decoded = Array(text.utf8)
        guard raw != decoded, decoded.count >= path.count, decoded.suffix(path.count).elementsEqual(path) else { return path }
        let prefix = decoded.count - path.count
        guard raw.count >= prefix, raw.prefix(prefix).elementsEqual(decoded.prefix(prefix)) else { return path }
        return Array(raw[prefix...])
    }
}
