/// SCPName decides whether a name a source sent may become a local file
/// name: one path component, nothing the local file system would take as
/// a path (CVE-2018-20685, CVE-2019-6111), and one the request asked for.
public enum SCPName {
    /// Why `name` cannot be one local path component, or nil when it can.
    /// Names that are not UTF-8 are fine: local names are bytes.
    public static func problem(_ name: [UInt8]) -> String? {
        if name.isEmpty { return "empty name" }
        if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { return "\"\(render(name))\" is not a file name" }
        if name.contains(UInt8(ascii: "/")) { return "name holds a /" }
        if name.contains(0) { return "name holds a NUL byte" }
        if name.count > SCPProtocol.maxNameLength { return "name longer than \(SCPProtocol.maxNameLength) bytes" }
        return nil
    }

    /// `name` for a message: bytes outside printable ASCII as `\xNN`, so a
    /// hostile name cannot act on a terminal.
    public static func render<Bytes: Sequence<UInt8>>(_ name: Bytes) -> String {
        var out = ""
        for byte in name {
            if (0x20..<0x7F).contains(byte), byte != UInt8(ascii: "\\") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }

    /// What the request allows at the top of a session: the names the
    /// source may send for what was asked.
    public enum Expectation: Sendable, Equatable {
        /// A plain source: only its own basename, once.
        case exactly([UInt8])
        /// A glob source: names matching the glob (its last component), as
        /// OpenSSH's sink checks with fnmatch.
        case matching([UInt8])

        /// The expectation for the remote source path `path` as typed:
        /// `matching` when its last component holds a glob character.
        public static func forSource(_ path: [UInt8]) -> Expectation {
            let name = basename(path)
            return name.contains(where: { SCPShell.globCharacters.contains($0) }) ? .matching(name) : .exactly(name)
        }

        /// True when `name` is allowed at the top.
        public func allows(_ name: [UInt8]) -> Bool {
            switch self {
            case .exactly(let expected): return name == expected
            case .matching(let pattern): return SCPName.matches(name, pattern: pattern)
            }
        }
    }

    /// The last component of a path as scp's source names it (trailing
    /// slashes ignored; "/" for the root).
    public static func basename(_ path: [UInt8]) -> [UInt8] {
        var end = path.endIndex
        while end > path.startIndex + 1, path[end - 1] == UInt8(ascii: "/") { end -= 1 }
        let trimmed = path[..<end]
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")), trimmed.count > 1 else {
            return trimmed.isEmpty ? [UInt8(ascii: ".")] : Array(trimmed)
        }
        return Array(trimmed[(slash + 1)...])
    }

    /// fnmatch(3) with no flags over bytes: `*`, `?`, `[…]` with `!` or `^`
    /// negation and ranges, `\` quoting the next byte.
    public static func matches(_ name: [UInt8], pattern: [UInt8]) -> Bool {
        // Iterative, with one backtrack point for the last `*`: linear in
        // practice, and no recursion a hostile pattern could deepen.
        var n = 0, p = 0
        var star: (p: Int, n: Int)?
        while n < name.count {
            if p < pattern.count {
                switch pattern[p] {
                case UInt8(ascii: "*"):
                    star = (p + 1, n)
                    p += 1
                    continue
                case UInt8(ascii: "?"):
                    n += 1; p += 1
                    continue
                case UInt8(ascii: "["):
                    if let (matched, next) = bracket(pattern, from: p, byte: name[n]) {
                        if matched { n += 1; p = next; continue }
                    } else if name[n] == UInt8(ascii: "[") {
                        n += 1; p += 1
                        continue
                    }
                case UInt8(ascii: "\\") where p + 1 < pattern.count:
                    if pattern[p + 1] == name[n] { n += 1; p += 2; continue }
                default:
                    if pattern[p] == name[n] { n += 1; p += 1; continue }
                }
            }
            guard let s = star else { return false }
            star = (s.p, s.n + 1)
            p = s.p
            n = s.n + 1
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Whether the bracket expression at `pattern[start]` matches `byte`,
    /// and the index after it; nil when it is not closed (a literal `[`).
    private static func bracket(_ pattern: [UInt8], from start: Int, byte: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < pattern.count, pattern[i] == UInt8(ascii: "!") || pattern[i] == UInt8(ascii: "^") {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < pattern.count {
            var low = pattern[i]
            if low == UInt8(ascii: "]"), !first { return (matched != negate, i + 1) }
            first = false
            if low == UInt8(ascii: "\\"), i + 1 < pattern.count { i += 1; low = pattern[i] }
            var high = low
            if i + 2 < pattern.count, pattern[i + 1] == UInt8(ascii: "-"), pattern[i + 2] != UInt8(ascii: "]") {
                high = pattern[i + 2]
                i += 2
            }
            if low <= byte && byte <= high { matched = true }
            i += 1
        }
        return nil
    }
}
