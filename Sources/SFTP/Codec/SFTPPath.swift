/// SFTPPath is a remote path as the bytes the server uses.
///
/// SFTP v3 paths are byte strings, not necessarily UTF-8; keeping the bytes
/// lets a name read from READDIR be sent back exactly, whatever its encoding.
public struct SFTPPath: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public init(stringLiteral text: String) { self.init(text) }

    /// The path as text, bytes that are not UTF-8 shown as `\xNN` (for
    /// display only; see `EscapedName`).
    public var description: String { EscapedName.render(bytes) }

    /// This path joined with one more component by a `/`.
    public func appending(_ component: [UInt8]) -> SFTPPath {
        if bytes.isEmpty { return SFTPPath(bytes: component) }
        if bytes.last == UInt8(ascii: "/") { return SFTPPath(bytes: bytes + component) }
        return SFTPPath(bytes: bytes + [UInt8(ascii: "/")] + component)
    }
}

/// SFTPHandle is the opaque token the server returns for an open file or
/// directory. The draft limits handles to 256 bytes; longer ones are refused.
public struct SFTPHandle: Hashable, Sendable, CustomStringConvertible {
    public static let maxLength = 256
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
    public var description: String { "handle(\(bytes.map { String($0, radix: 16) }.joined()))" }
}
