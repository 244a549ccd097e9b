/// PartialName is where a file is written until it is complete: beside
/// the destination, hidden, as `.name.ferry-part`.
///
/// The name is fixed (not random) so that a later `-a` finds what an
/// interrupted transfer left; beside the destination so that the final
/// rename stays within one file system and is atomic. A reader never sees
/// a half-written file under the final name.
enum PartialName {
    static let suffix = ".ferry-part"

    /// The partial-file path for a local destination path.
    static func local(_ path: String) -> String {
        let (directory, name) = LocalPath.split(path)
        return LocalPath.join(directory, "." + name + suffix)
    }

    /// The partial-file path for a remote destination path (bytes).
    static func remote(_ path: [UInt8]) -> [UInt8] {
        let slash = path.lastIndex(of: UInt8(ascii: "/"))
        let directory = slash.map { Array(path[...$0]) } ?? []
        let name = slash.map { Array(path[path.index(after: $0)...]) } ?? path
        return directory + [UInt8(ascii: ".")] + name + Array(suffix.utf8)
    }
}

/// LocalPath holds the few string operations on local paths ferry needs.
enum LocalPath {
    /// (directory, last component); the directory is "." for a bare name.
    static func split(_ path: String) -> (String, String) {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let directory = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        return (directory, String(trimmed[trimmed.index(after: slash)...]))
    }

    static func join(_ directory: String, _ name: String) -> String {
        if directory == "." { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func basename(_ path: String) -> String { split(path).1 }
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
