/// GlobPattern holds the rules for the words `CommandLexer` produces, which
/// are glob patterns: `* ? [` are wildcards unless escaped by a backslash,
/// and `\\` is a literal backslash.
public enum GlobPattern {
    /// The literal name a pattern word stands for, for commands that do not
    /// glob (sftp's `undo_glob_escape`): `\*`, `\?`, `\[` and `\\` lose their
    /// backslash; any other backslash is kept.
    public static func literal(_ word: [UInt8]) -> [UInt8] {
        let backslash = UInt8(ascii: "\\")
        var out: [UInt8] = []
        out.reserveCapacity(word.count)
        var i = 0
        while i < word.count {
            let c = word[i]
            guard c == backslash else {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < word.count else {
                out.append(backslash)
                break
            }
            let next = word[i + 1]
            if isWildcard(next) || next == backslash {
                out.append(next)
            } else {
                out += [backslash, next]
            }
            i += 2
        }
        return out
    }

    /// True when `word` holds a wildcard that is not escaped.
    public static func hasWildcard(_ word: some Collection<UInt8>) -> Bool {
        var escaped = false
        for c in word {
            if escaped {
                escaped = false
            } else if c == UInt8(ascii: "\\") {
                escaped = true
            } else if isWildcard(c) {
                return true
            }
        }
        return false
    }

    /// Escapes `name` so that, as a pattern, it matches only itself: what
    /// completion inserts.
    public static func escape(_ name: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for c in name {
            if isWildcard(c) || c == UInt8(ascii: "\\") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\t")
                || c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "#") {
                out.append(UInt8(ascii: "\\"))
            }
            out.append(c)
        }
        return out
    }

    static func isWildcard(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "*") || c == UInt8(ascii: "?") || c == UInt8(ascii: "[")
    }
}
