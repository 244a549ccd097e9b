/// SSHConfigLine is one ssh_config directive split as OpenSSH's readconf.c
/// splits it: a keyword ended by whitespace or a single `=`, then the rest
/// of the line, which most keywords read as arguments (`argv_split`: quotes,
/// backslash escapes, `#` starts a comment) and a few (`ProxyCommand`,
/// `Match`) read as text.
@_spi(Internals) public struct SSHConfigLine: Sendable, Equatable {
    /// The keyword, lower-cased (keywords are case-insensitive).
    public let keyword: String
    /// The text after the keyword and its separator, trailing whitespace removed.
    public let rest: String
    /// `rest` split into arguments, quotes and escapes removed, comment dropped.
    public let arguments: [String]
}

/// SSHConfigParser holds the byte-level splitting rules of ssh_config; it
/// never traps, whatever bytes a file holds.
@_spi(Internals) public enum SSHConfigParser {
    /// A line that cannot be split; `message` says why (without file and line).
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let message: String

        public var description: String { message }
    }

    static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n"), formFeed: UInt8 = 0x0c
    static let quote = UInt8(ascii: "\""), singleQuote = UInt8(ascii: "'")
    static let equals = UInt8(ascii: "="), hash = UInt8(ascii: "#"), backslash = UInt8(ascii: "\\")

    static func isWhitespace(_ b: UInt8) -> Bool { b == space || b == tab || b == cr || b == lf }

    /// Splits one line; nil for a blank or comment line (or one whose keyword
    /// has an unterminated quote, which OpenSSH also passes over).
    public static func parse(_ line: some Collection<UInt8>) throws(Problem) -> SSHConfigLine? {
        var bytes = Array(line)
        // Strip trailing whitespace; a form feed is allowed at the end only.
        while let last = bytes.last, isWhitespace(last) || last == formFeed { bytes.removeLast() }
        var cursor: Int? = 0
        guard var keyword = strdelim(bytes, &cursor) else { return nil }
        if keyword.isEmpty { guard let next = strdelim(bytes, &cursor) else { return nil }; keyword = next }
        guard let first = keyword.first, first != lf, first != hash else { return nil }
        let key = String(decoding: keyword, as: UTF8.self).lowercased()
        var start = cursor ?? bytes.count
        while start < bytes.count, isWhitespace(bytes[start]) { start += 1 }
        guard start < bytes.count else { throw Problem(message: "no argument after keyword \"\(key)\"") }
        let restBytes = Array(bytes[start...])
        guard let arguments = splitArguments(restBytes) else { throw Problem(message: "invalid quotes") }
        return SSHConfigLine(keyword: key, rest: String(decoding: restBytes, as: UTF8.self),
                             arguments: arguments.map { String(decoding: $0, as: UTF8.self) })
    }

    /// misc.c `strdelim`: the next token, ended by whitespace, a `"`-quoted
    /// run, or one `=`; advances `cursor` (nil once the line is used up).
    /// Returns nil only for an unterminated quote or when nothing is left.
    static func strdelim(_ s: [UInt8], _ cursor: inout Int?) -> [UInt8]? {
        guard let start = cursor, start <= s.count else { return nil }
        guard let stop = s[start...].firstIndex(where: { isWhitespace($0) || $0 == quote || $0 == equals }) else {
            cursor = nil
            return Array(s[start...])
        }
        if s[stop] == quote {
            // The token runs up to the next quote, the quote itself removed.
            guard let close = s[(stop + 1)...].firstIndex(of: quote) else { cursor = nil; return nil }
            var token = Array(s[start..<stop])
            token += s[(stop + 1)..<close]
            var next = close + 1
            while next < s.count, isWhitespace(s[next]) { next += 1 }
            cursor = next
            return token
        }
        let token = Array(s[start..<stop])
        let sawEquals = s[stop] == equals
        var next = stop + 1
        while next < s.count, isWhitespace(s[next]) { next += 1 }
        if !sawEquals, next < s.count, s[next] == equals {
            next += 1
            while next < s.count, isWhitespace(s[next]) { next += 1 }
        }
        cursor = next
        return token
    }

    /// misc.c `argv_split` with comments ending the line: single or double
    /// quotes group, `\` escapes a quote, a backslash or (outside quotes) a
    /// space. Returns nil for an unterminated quote.
    static func splitArguments(_ s: [UInt8]) -> [[UInt8]]? {
        var result: [[UInt8]] = []
        var i = 0
        while i < s.count {
            if s[i] == space || s[i] == tab { i += 1; continue }
            if s[i] == hash { break }
            var quoteChar: UInt8 = 0
            var arg: [UInt8] = []
            while i < s.count {
                let c = s[i]
                if c == backslash {
                    if i + 1 < s.count {
                        let n = s[i + 1]
                        if n == singleQuote || n == quote || n == backslash || (quoteChar == 0 && n == space) {
                            arg.append(n)
                            i += 2
                            continue
                        }
                    }
                    arg.append(c)
                } else if quoteChar == 0 && (c == space || c == tab) {
                    break
                } else if quoteChar == 0 && (c == quote || c == singleQuote) {
                    quoteChar = c
                } else if quoteChar != 0 && c == quoteChar {
                    quoteChar = 0
                } else {
                    arg.append(c)
                }
                i += 1
            }
            if quoteChar != 0 { return nil }
            result.append(arg)
        }
        return result
    }

    /// Splits a file into lines on `\n` (a final line without one counts).
    static func lines(_ data: [UInt8]) -> [ArraySlice<UInt8>] {
        var result = data.split(separator: lf, omittingEmptySubsequences: false)
        if result.last?.isEmpty == true { result.removeLast() }
        return result
    }
}
