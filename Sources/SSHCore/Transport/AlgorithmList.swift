import Foundation

/// AlgorithmList resolves an OpenSSH-style algorithm specification
/// (`Ciphers`, `MACs`, `KexAlgorithms`, `HostKeyAlgorithms`, `-c`, `-m`) against
/// what ferry implements.
///
/// As in OpenSSH's `kex_assemble_names`: `+list` appends to the defaults,
/// `-list` removes from them, `^list` puts the named algorithms first, and a
/// plain list replaces them. Entries may be wildcard patterns (`*`, `?`); a
/// plain list keeps the user's order. A name that matches nothing is an error,
/// as `ssh` reports "Bad SSH2 cipher spec".
public enum AlgorithmList {
    public static func resolve(_ spec: String, defaults: [String], supported: [String], what: String) throws -> [String] {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        guard let first = trimmed.first else {
            throw SSHError(.invalidConfiguration, "empty \(what) list")
        }
        let mode: Character? = "+-^".contains(first) ? first : nil
        let body = mode == nil ? Substring(trimmed) : trimmed.dropFirst()
        let patterns = body.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !patterns.isEmpty, patterns.allSatisfy({ !$0.isEmpty }) else {
            throw SSHError(.invalidConfiguration, "malformed \(what) list \"\(spec)\"")
        }
        var named: [String] = []
        for pattern in patterns {
            let matches = supported.filter { wildcardMatch(pattern, $0) }
            if matches.isEmpty && mode != "-" {
                throw SSHError(.invalidConfiguration, "unsupported \(what) \"\(pattern)\" (see ferry -Q)")
            }
            for m in matches where !named.contains(m) { named.append(m) }
        }
        switch mode {
        case "+": return defaults + named.filter { !defaults.contains($0) }
        case "-": return defaults.filter { !named.contains($0) }
        case "^": return named + defaults.filter { !named.contains($0) }
        default: return named
        }
    }

    /// OpenSSH `match_pattern`: `*` matches any run, `?` any one character.
    static func wildcardMatch(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.utf8), s = Array(name.utf8)
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == s[si]) {
                pi += 1; si += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = si; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
