/// SyncFilter holds `--exclude` and `--include` rules with rsync's glob
/// rules for the common cases, and decides, path by path, whether an
/// entry takes part in a sync.
///
/// - The first rule that matches decides; no match means included.
/// - `*` matches any run of bytes but `/`, `**` any run including `/`,
///   `?` one byte but `/`, `[…]` one byte of a class (`[!…]` or `[^…]`
///   negated, ranges `a-z`), `\` takes the next byte literally.
/// - A pattern that starts with `/` is anchored at the sync's root;
///   otherwise one without a `/` matches the last component, and one with
///   a `/` (or a `**`) matches the end of the path at a component boundary.
/// - A trailing `/` matches only directories.
///
/// An excluded directory is not descended into, so nothing below it is
/// copied, and (without `--delete-excluded`) nothing below it is deleted.
public struct SyncFilter: Sendable {
    /// One rule.
    public struct Rule: Sendable, Equatable {
        /// Whether a match excludes or includes.
        public enum Action: Sendable, Equatable {
            /// `--exclude`.
            case exclude
            /// `--include`.
            case include
        }

        public let action: Action
        /// The pattern as given.
        public let pattern: String
        let glob: [UInt8]
        let anchored: Bool
        let directoryOnly: Bool
        /// Matched against the whole relative path rather than the last component.
        let wholePath: Bool

        public init(_ action: Action, _ pattern: String) {
            self.action = action
            self.pattern = pattern
            var bytes = Array(pattern.utf8)
            directoryOnly = bytes.count > 1 && bytes.last == UInt8(ascii: "/")
            while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
            anchored = bytes.first == UInt8(ascii: "/")
            if anchored { bytes.removeFirst() }
            wholePath = anchored || bytes.contains(UInt8(ascii: "/")) || Self.containsDoubleStar(bytes)
            glob = bytes
        }

        private static func containsDoubleStar(_ bytes: [UInt8]) -> Bool {
            zip(bytes, bytes.dropFirst()).contains { $0 == UInt8(ascii: "*") && $1 == UInt8(ascii: "*") }
        }

        /// Whether the rule matches the entry at `path` (relative, `/`-separated).
        func matches(_ path: [UInt8], isDirectory: Bool) -> Bool {
            if directoryOnly, !isDirectory { return false }
            if anchored { return SyncGlob.matches(glob[...], path[...]) }
            if !wholePath {
                let start = path.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? path.startIndex
                return SyncGlob.matches(glob[...], path[start...])
            }
            // Unanchored with a slash: the pattern may match from any
            // component boundary.
            if SyncGlob.matches(glob[...], path[...]) { return true }
            for index in path.indices where path[index] == UInt8(ascii: "/") {
                if SyncGlob.matches(glob[...], path[(index + 1)...]) { return true }
            }
            return false
        }
    }

    public private(set) var rules: [Rule] = []

    public init(_ rules: [Rule] = []) { self.rules = rules }

    public var isEmpty: Bool { rules.isEmpty }

    public mutating func append(_ rule: Rule) { rules.append(rule) }

    /// The rules of an `--exclude-from` file: one pattern a line; blank
    /// lines and lines starting with `#` or `;` are ignored; a line
    /// starting with `+ ` is an include, `- ` an exclude.
    public static func rules(fromFile text: String, default action: Rule.Action = .exclude) -> [Rule] {
        var rules: [Rule] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("+ ") { rules.append(Rule(.include, String(line.dropFirst(2)))) }
            else if line.hasPrefix("- ") { rules.append(Rule(.exclude, String(line.dropFirst(2)))) }
            else { rules.append(Rule(action, String(line))) }
        }
        return rules
    }

    /// Whether the entry at `path` (relative to the root) is excluded.
    public func excludes(_ path: [UInt8], isDirectory: Bool) -> Bool {
        for rule in rules where rule.matches(path, isDirectory: isDirectory) { return rule.action == .exclude }
        return false
    }
}

/// SyncGlob matches rsync-style glob patterns on bytes (see `SyncFilter`).
/// Patterns come from the user but names from a peer: matching is
/// memoised over (pattern index, name index), so no name can make it take
/// more than |pattern| × |name| steps, however many stars.
enum SyncGlob {
    static func matches(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        var memo: [Int: Bool] = [:]
        return match(pattern, pattern.startIndex, name, name.startIndex, &memo)
    }

    private static let slash = UInt8(ascii: "/")
    private static let star = UInt8(ascii: "*")

    /// Dynamic programming over (pattern index, name index), memoised:
    /// at most |pattern| × |name| states whatever the input.
    private static func match(_ p: ArraySlice<UInt8>, _ pi: Int, _ n: ArraySlice<UInt8>, _ ni: Int,
                              _ memo: inout [Int: Bool]) -> Bool {
        let key = (pi - p.startIndex) * (n.count + 1) + (ni - n.startIndex)
        if let known = memo[key] { return known }
        let result: Bool
        if pi == p.endIndex {
            result = ni == n.endIndex
        } else if p[pi] == star {
            let double = pi + 1 < p.endIndex && p[pi + 1] == star
            var next = pi + 1
            while next < p.endIndex, p[next] == star { next += 1 }
            if match(p, next, n, ni, &memo) {
                result = true
            } else if ni < n.endIndex, double || n[ni] != slash {
                result = match(p, pi, n, ni + 1, &memo)
            } else {
                result = false
            }
        } else if ni == n.endIndex {
            result = false
        } else if p[pi] == UInt8(ascii: "?") {
            result = n[ni] != slash && match(p, pi + 1, n, ni + 1, &memo)
        } else if p[pi] == UInt8(ascii: "["), let (matched, after) = matchClass(p, pi, n[ni]) {
            result = matched && n[ni] != slash && match(p, after, n, ni + 1, &memo)
        } else if p[pi] == UInt8(ascii: "\\"), pi + 1 < p.endIndex {
            result = p[pi + 1] == n[ni] && match(p, pi + 2, n, ni + 1, &memo)
        } else {
            result = p[pi] == n[ni] && match(p, pi + 1, n, ni + 1, &memo)
        }
        memo[key] = result
        return result
    }

    /// Whether `byte` is in the class that opens at `start`, and the index
    /// after the class; nil when the `[` does not open a well-formed class
    /// (it is then a literal `[`).
    private static func matchClass(_ p: ArraySlice<UInt8>, _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negated = false
        if i < p.endIndex, p[i] == UInt8(ascii: "!") || p[i] == UInt8(ascii: "^") {
            negated = true
            i += 1
        }
        var matched = false
        var first = true
        while i < p.endIndex {
            let c = p[i]
            if c == UInt8(ascii: "]"), !first { return (matched != negated, i + 1) }
            first = false
            if i + 2 < p.endIndex, p[i + 1] == UInt8(ascii: "-"), p[i + 2] != UInt8(ascii: "]") {
                if c <= byte && byte <= p[i + 2] { matched = true }
                i += 3
            } else {
                if c == byte { matched = true }
                i += 1
            }
        }
        return nil
    }
}
