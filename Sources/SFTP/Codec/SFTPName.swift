import NIOCore

/// SFTPName is one entry of an SSH_FXP_NAME reply: a file name, the `ls -l`
/// style long name (v3 only; free-form, never parsed), and attributes.
public struct SFTPName: Equatable, Sendable {
    /// The name as the server's bytes: a single component for READDIR, a
    /// full path for REALPATH, READLINK and the path-expanding extensions.
    public var filename: [UInt8]
    public var longname: [UInt8]
    public var attributes: SFTPAttributes

    public init(filename: [UInt8], longname: [UInt8] = [], attributes: SFTPAttributes = .none) {
        self.filename = filename
        self.longname = longname
        self.attributes = attributes
    }

    public init(_ filename: String, longname: String = "", attributes: SFTPAttributes = .none) {
        self.init(filename: Array(filename.utf8), longname: Array(longname.utf8), attributes: attributes)
    }

    /// `filename` as text, bytes that are not UTF-8 shown as `\xNN` (for
    /// display only; see `EscapedName`).
    public var name: String { EscapedName.render(filename) }
    /// `filename` as a path to send back to the server byte for byte.
    public var path: SFTPPath { SFTPPath(bytes: filename) }

    /// Why a READDIR entry cannot be used as one path component, or nil
    /// when it can. A hostile server can name an entry `..` or `a/../../x`;
    /// joined to a local directory unchecked, that writes outside it. The
    /// recursive downloader refuses entries with a problem (and skips `.`
    /// and `..`, which every listing holds).
    public var componentProblem: ComponentProblem? { Self.componentProblem(filename) }

    /// What makes a name unusable as one path component.
    public enum ComponentProblem: Equatable, Sendable {
        /// The name is empty.
        case empty
        /// The name is `.` (this directory).
        case currentDirectory
        /// The name is `..` (the parent directory).
        case parentDirectory
        /// The name contains a `/`, so it would name a path, not an entry.
        case containsSlash
        /// The name contains a NUL byte, which no POSIX path can hold.
        case containsNUL
    }

    public static func componentProblem(_ name: [UInt8]) -> ComponentProblem? {
        if name.isEmpty { return .empty }
        if name == [UInt8(ascii: ".")] { return .currentDirectory }
        if name == [UInt8(ascii: "."), UInt8(ascii: ".")] { return .parentDirectory }
        if name.contains(UInt8(ascii: "/")) { return .containsSlash }
        if name.contains(0) { return .containsNUL }
        return nil
    }

    /// Smallest encoding of one entry: two empty strings and a flags word.
    static let minimumEncodedLength = 12
}
