/// HostPatternList is the host field of a plain (unhashed) known_hosts line:
/// comma-separated patterns with `*` and `?` wildcards, each optionally
/// negated by a leading `!`. Matching follows OpenSSH's match.c
/// (`match_hostname`), so a file means the same thing to ferry and to ssh:
///
/// - patterns and the name are compared lower-cased (ASCII only);
/// - a negated pattern that matches excludes the name outright, whatever
///   other patterns say; otherwise any positive match is a match;
/// - a subpattern of 1023 bytes or more makes OpenSSH stop and report no
///   match for the whole list, and so does this type.
///
/// The wildcard matcher is iterative (O(name × pattern)), unlike OpenSSH's
/// recursive one, so a hostile pattern such as `*a*a*a*…b` cannot make it
/// take exponential time; both accept exactly the same names.
struct HostPatternList: Sendable, Hashable {
    /// One comma-separated element of the list.
    enum Element: Sendable, Hashable {
        /// A (lower-cased) pattern, negated when written with a leading `!`.
        case pattern(negated: Bool, [UInt8])
        /// A subpattern too long for OpenSSH's buffer: matching stops here with no match.
        case tooLong
    }

    /// The outcome of matching a name against the list.
    enum Outcome: Sendable, Equatable {
        /// A positive pattern matched and no negated one did.
        case matched
        /// A negated pattern matched: the line does not apply to the name.
        case excluded
        /// Nothing matched.
        case none
    }

    /// match.c copies each subpattern into a 1024-byte buffer.
    static let maxSubpatternLength = 1023

    let elements: [Element]

    init(_ field: some Collection<UInt8>) {
        var elements: [Element] = []
        var rest = field[...]
        while !rest.isEmpty {
            var negated = false
            if rest.first == UInt8(ascii: "!") {
                negated = true
                rest = rest.dropFirst()
            }
            let end = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            let sub = rest[rest.startIndex..<end]
            if sub.count >= Self.maxSubpatternLength {
                elements.append(.tooLong)
                break
            }
            elements.append(.pattern(negated: negated, sub.map(Self.lowercased)))
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
        self.elements = elements
    }

    /// Matches `name` (lower-cased here, as match_hostname does).
    func match(_ name: some Collection<UInt8>) -> Outcome {
        let name = name.map(Self.lowercased)
        var positive = false
        for element in elements {
            switch element {
            case .tooLong:
                return .none
            case .pattern(let negated, let pattern):
                if Self.wildcardMatch(name, pattern) {
                    if negated { return .excluded }
                    positive = true
                }
            }
        }
        return positive ? .matched : .none
    }

    /// Whether the list has wildcards or negations (OpenSSH's `ssh-keygen -H`
    /// leaves such lines unhashed, since a hash can only stand for one name).
    var isPattern: Bool {
        elements.contains { element in
            switch element {
            case .tooLong: return true
            case .pattern(let negated, let bytes):
                return negated || bytes.contains(UInt8(ascii: "*")) || bytes.contains(UInt8(ascii: "?"))
            }
        }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// Glob match of the whole `string` against `pattern`: `*` matches any
    /// run of bytes (including none), `?` exactly one byte. Backtracks only
    /// to the most recent `*`, which is enough for these two wildcards.
    static func wildcardMatch(_ string: [UInt8], _ pattern: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*")
        let any = UInt8(ascii: "?")
        var s = 0
        var p = 0
        var starPattern = -1
        var starString = 0
        while s < string.count {
            if p < pattern.count, pattern[p] == star {
                starPattern = p
                starString = s
                p += 1
            } else if p < pattern.count, pattern[p] == any || pattern[p] == string[s] {
                s += 1
                p += 1
            } else if starPattern >= 0 {
                p = starPattern + 1
                starString += 1
                s = starString
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }
}
