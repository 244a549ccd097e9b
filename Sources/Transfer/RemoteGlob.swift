#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// Remote globs, as sftp expands them: the last component of a path may
/// hold `*`, `?` and `[…]`; the parent is listed and each name matched
/// with fnmatch(3). A leading `.` must be matched explicitly (FNM_PERIOD),
/// so `*` does not pick up `.` and `..`. Names with a component problem
/// are never returned. Wildcards in the parent directories are not expanded.
extension FileTransfer {
    /// The paths `pattern` names: itself when its last component has no
    /// wildcard, else the matching entries of its parent, sorted.
    public func expandGlob(_ pattern: SFTPPath) async throws -> [SFTPPath] {
        guard Self.isGlob(pattern) else { return [pattern] }
        let last = RemotePath.basename(pattern.bytes)
        let parentBytes = pattern.bytes.contains(UInt8(ascii: "/")) ? RemotePath.parent(pattern.bytes) : []
        let parent = SFTPPath(bytes: parentBytes)
        let entries: [SFTPName]
        do { entries = try await client.listDirectory(parentBytes.isEmpty ? "." : parent) } catch {
            throw TransferError.wrap(error, "\(pattern)")
        }
        let matches = entries.filter { entry in
            entry.componentProblem == nil && Self.fnmatch(last, entry.filename)
        }.map { parent.appending($0.filename) }
        guard !matches.isEmpty else { throw TransferError(.noMatch, "\(pattern): no such file or directory") }
        return matches.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    /// Whether `path`'s last component holds a wildcard (`expandGlob`
    /// lists its parent rather than taking it as one name).
    public static func isGlob(_ path: SFTPPath) -> Bool {
        RemotePath.basename(path.bytes).contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
    }

    static func fnmatch(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        guard !pattern.contains(0), !name.contains(0) else { return false }
        let p = pattern.map { CChar(bitPattern: $0) } + [0]
        let n = name.map { CChar(bitPattern: $0) } + [0]
        return Glibc.fnmatch(p, n, FNM_PERIOD) == 0
    }
}
