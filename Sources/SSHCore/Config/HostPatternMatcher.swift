/// HostPatternMatcher holds the three pattern rules ssh_config uses, from
/// OpenSSH's match.c, so a `Host` or `Match` line selects the same hosts for
/// ferry as for ssh:
///
/// - `Host` takes each whitespace-separated argument as one pattern
///   (`match_pattern`: case-sensitive, commas are literal), and a `!pattern`
///   that matches rules the block out whatever else matches;
/// - `Match host` / `originalhost` take a comma list compared without case
///   (`match_hostname`);
/// - `Match user` / `localuser` take a comma list compared with case
///   (`match_pattern_list`).
///
/// All matching is iterative (see `HostPatternList.wildcardMatch`), so no
/// pattern can make it take exponential time.
enum HostPatternMatcher {
    /// Whether a `Host` line's arguments select `host`.
    static func hostLineMatches(_ host: String, patterns: [String]) -> Bool {
        let name = Array(host.utf8)
        var matched = false
        for argument in patterns {
            var pattern = Array(argument.utf8)
            let negated = pattern.first == UInt8(ascii: "!")
            if negated { pattern.removeFirst() }
            if HostPatternList.wildcardMatch(name, pattern) {
                if negated { return false }
                matched = true
            }
        }
        return matched
    }

    /// `match_hostname`: a comma list, compared without case.
    static func hostListMatches(_ host: String, list: String) -> Bool {
        HostPatternList(Array(list.utf8)).match(Array(host.utf8)) == .matched
    }

    /// `match_pattern_list(s, list, 0)`: a comma list, compared with case; a
    /// negated entry that matches means no match.
    static func caseSensitiveListMatches(_ string: String, list: String) -> Bool {
        let name = Array(string.utf8)
        var matched = false
        for entry in list.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            var pattern = Array(entry)
            let negated = pattern.first == UInt8(ascii: "!")
            if negated { pattern.removeFirst() }
            if HostPatternList.wildcardMatch(name, pattern) {
                if negated { return false }
                matched = true
            }
        }
        return matched
    }
}
