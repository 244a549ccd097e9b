#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// RemoteGlob expands a remote pattern as sftp's `remote_glob` does:
/// wildcards (`* ? [`) may stand in any component, each such component is
/// matched against its directory's listing with fnmatch(3) (a leading `.`
/// only matched explicitly), escaped characters match themselves. `.` and
/// `..` never match a wildcard, and names a server lists that cannot be one
/// component (a `/`, NUL) are never returned. Matches come sorted by bytes.
struct RemoteGlob {
    /// One path a pattern names, with its attributes when a listing gave them.
    struct Match: Sendable {
        var path: [UInt8]
        var attributes: SFTPAttributes?
    }

    let client: SFTPClient

    /// The matches of `pattern` (absolute, in glob form). A pattern without
    /// wildcards names one path, whether or not it exists; a pattern with
    /// wildcards that matches nothing gives an empty list.
    func expand(_ pattern: [UInt8]) async throws -> [Match] {
        guard GlobPattern.hasWildcard(pattern) else {
            return [Match(path: GlobPattern.literal(pattern), attributes: nil)]
        }
        let slash = UInt8(ascii: "/")
        let components = pattern.split(separator: slash, omittingEmptySubsequences: true).map(Array.init)
        var current = [Match(path: pattern.first == slash ? [slash] : [], attributes: nil)]
        for (index, component) in components.enumerated() {
            let last = index == components.count - 1
            var next: [Match] = []
            if GlobPattern.hasWildcard(component) {
                for base in current {
                    let directory = base.path.isEmpty ? Array(".".utf8) : base.path
                    guard let entries = try? await client.listDirectory(SFTPPath(bytes: directory)) else { continue }
                    let matched = entries.filter { entry in
                        entry.filename != Array(".".utf8) && entry.filename != Array("..".utf8)
                            && entry.componentProblem != .containsSlash && !entry.filename.contains(0)
                            && !entry.filename.isEmpty
                            && Self.fnmatch(component, entry.filename)
                            && (last || entry.attributes.isDirectory || entry.attributes.isSymbolicLink || entry.attributes.permissions == nil)
                    }.sorted { $0.filename.lexicographicallyPrecedes($1.filename) }
                    for entry in matched {
                        next.append(Match(path: ShellState.join(base.path, entry.filename),
                                          attributes: entry.attributes))
                    }
                }
            } else {
                let name = GlobPattern.literal(component)
                next = current.map { Match(path: $0.path.isEmpty ? name : ShellState.join($0.path, name), attributes: nil) }
            }
            current = next
            if current.isEmpty { break }
        }
        return current
    }

    static func fnmatch(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        guard !pattern.contains(0), !name.contains(0) else { return false }
        let p = pattern.map { CChar(bitPattern: $0) } + [0]
        let n = name.map { CChar(bitPattern: $0) } + [0]
        return Glibc.fnmatch(p, n, FNM_PERIOD) == 0
    }
}

/// LocalGlob expands a local pattern with glob(3), as sftp's `put` does;
/// a pattern that matches nothing stands for itself (GLOB_NOCHECK), so the
/// command then fails on that name.
enum LocalGlob {
    static func expand(_ pattern: [UInt8]) -> [[UInt8]] {
        guard GlobPattern.hasWildcard(pattern), !pattern.contains(0) else { return [GlobPattern.literal(pattern)] }
        var result = glob_t()
        defer { globfree(&result) }
        let cPattern = pattern.map { CChar(bitPattern: $0) } + [0]
        guard Glibc.glob(cPattern, 0, nil, &result) == 0, let paths = result.gl_pathv else {
            return [GlobPattern.literal(pattern)]
        }
        var out: [[UInt8]] = []
        for index in 0..<Int(result.gl_pathc) {
            guard let path = paths[index] else { continue }
            let length = strlen(path)
            out.append(path.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) })
        }
        return out.isEmpty ? [GlobPattern.literal(pattern)] : out
    }
}
