import SFTP

/// LocalPath is a local file name as the kernel takes it: bytes.
///
/// Linux file names are byte strings, not text: a name that is not UTF-8
/// (Latin-1 from an old server, say) is as valid as any other. Carrying
/// names as Swift `String`s would replace such bytes and make the file
/// impossible to create or open under its real name, so every path the
/// transfer layer builds or opens is a LocalPath, and text appears only
/// when a name is shown to a person (`description`, escaped as
/// `EscapedName` does).
public struct LocalPath: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public init(stringLiteral text: String) { self.init(text) }

    /// The path for people: bytes that are not UTF-8 shown as `\xNN`.
    public var description: String { EscapedName.render(bytes) }

    /// Calls `body` with the path as a NUL-terminated C string. A path
    /// holding a NUL byte cannot name any file: `body` gets an empty string
    /// then, which every system call refuses with ENOENT.
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        let terminated = (bytes.contains(0) ? [] : bytes) + [0]
        return try terminated.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// (directory, last component); the directory is "." for a bare name
    /// and "/" for a name in the root. Trailing slashes are ignored.
    var split: (directory: LocalPath, name: [UInt8]) {
        let slash = UInt8(ascii: "/")
        var end = bytes.endIndex
        while end > bytes.startIndex + 1, bytes[end - 1] == slash { end -= 1 }
        let trimmed = bytes[..<end]
        guard let index = trimmed.lastIndex(of: slash) else { return (".", Array(trimmed)) }
        let directory = index == trimmed.startIndex ? [slash] : Array(trimmed[..<index])
        return (LocalPath(bytes: directory), Array(trimmed[(index + 1)...]))
    }

    /// The last component.
    var lastComponent: [UInt8] { split.name }

    /// This path joined with one more component by a `/` (a bare name when
    /// this path is ".").
    func appending(_ component: [UInt8]) -> LocalPath {
        if bytes == [UInt8(ascii: ".")] || bytes.isEmpty { return LocalPath(bytes: component) }
        if bytes.last == UInt8(ascii: "/") { return LocalPath(bytes: bytes + component) }
        return LocalPath(bytes: bytes + [UInt8(ascii: "/")] + component)
    }

    func appending(_ component: String) -> LocalPath { appending(Array(component.utf8)) }

    /// True for an absolute path.
    var isAbsolute: Bool { bytes.first == UInt8(ascii: "/") }
}

/// RemotePath: the same operations on remote paths as bytes.
enum RemotePath {
    /// The last component of `path` (trailing slashes ignored).
    static func basename(_ path: [UInt8]) -> [UInt8] {
        var end = path.endIndex
        while end > path.startIndex + 1, path[end - 1] == UInt8(ascii: "/") { end -= 1 }
        let trimmed = path[..<end]
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return Array(trimmed) }
        return Array(trimmed[(slash + 1)...])
    }

    /// Everything before the last component ("." for a bare name).
    static func parent(_ path: [UInt8]) -> [UInt8] {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return Array(".".utf8) }
        return slash == path.startIndex ? [UInt8(ascii: "/")] : Array(path[..<slash])
    }
}
