/// CommandLexer splits one sftp command line into words exactly as
/// OpenSSH's sftp does (`makeargv` in sftp.c), so batch files written for
/// `sftp -b` mean the same thing here:
///
/// - words are separated by unquoted white space; `#` outside quotes ends
///   the line (a comment);
/// - `'…'` and `"…"` quote, and may start or end in the middle of a word
///   (`a"b c"d` is one word `ab cd`); inside quotes a backslash escapes only
///   the quote character in use, and is otherwise kept;
/// - outside quotes a backslash takes the next character literally;
/// - glob characters (`* ? [`) that are quoted or escaped come out escaped
///   with a backslash (and an escaped backslash stays escaped), because
///   every word may later be used as a glob pattern: `GlobPattern.literal`
///   undoes that one level for the commands that do not glob.
///
/// The lexer works on bytes, never traps, and caps a line's words and size
/// as sftp does (`maxWords`, `maxLength`).
public enum CommandLexer {
    /// sftp's MAXARGS.
    public static let maxWords = 128
    /// sftp's MAXARGLEN (bytes of one line, words included).
    public static let maxLength = 8192

    /// Why a line could not be split.
    public enum LexError: Error, Equatable, Sendable, CustomStringConvertible {
        /// A quote was opened and not closed.
        case unterminatedQuote
        /// More than `maxWords` words.
        case tooManyWords
        /// The line (or the words, once glob characters are escaped) is
        /// longer than `maxLength`.
        case tooLong

        public var description: String {
            switch self {
            case .unterminatedQuote: "Unterminated quoted argument"
            case .tooManyWords: "Too many arguments."
            case .tooLong: "string too long"
            }
        }
    }

    /// The result of a lenient split (for tab completion): the words so far,
    /// the quote left open at the end (nil when none), and whether the line
    /// ended in white space (a new, empty word is being typed).
    public struct Partial: Equatable, Sendable {
        public var words: [[UInt8]]
        public var openQuote: UInt8?
        public var endsInSpace: Bool
    }

    private enum State { case start, single, double, unquoted }

    /// The words of `line`, or why it cannot be split.
    public static func split(_ line: [UInt8]) throws(LexError) -> [[UInt8]] {
        try lex(line, sloppy: false).words
    }

    public static func split(_ line: String) throws(LexError) -> [[UInt8]] {
        try split(Array(line.utf8))
    }

    /// Splits `line` without failing on an open quote: what completion needs.
    public static func splitPartial(_ line: [UInt8]) -> Partial {
        (try? lex(line, sloppy: true)) ?? Partial(words: [], openQuote: nil, endsInSpace: false)
    }

    private static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || (0x09...0x0D).contains(c)
    }

    private static func isGlob(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "*") || c == UInt8(ascii: "?") || c == UInt8(ascii: "[")
    }

    private static func lex(_ line: [UInt8], sloppy: Bool) throws(LexError) -> Partial {
        guard line.count < maxLength else { throw .tooLong }
        let backslash = UInt8(ascii: "\\")
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        var state = State.start
        var openQuote: UInt8?
        var size = 0
        var i = 0
        func append(_ bytes: UInt8...) throws(LexError) {
            size += bytes.count
            guard size < maxLength else { throw .tooLong }
            word += bytes
        }
        func finishWord() throws(LexError) {
            guard words.count < maxWords else { throw .tooManyWords }
            words.append(word)
            word = []
            size += 1
        }
        while i < line.count {
            let c = line[i]
            let next: UInt8? = i + 1 < line.count ? line[i + 1] : nil
            if isSpace(c) {
                if state == .unquoted {
                    try finishWord()
                    state = .start
                } else if state != .start {
                    try append(c)
                }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                let quote: State = c == UInt8(ascii: "\"") ? .double : .single
                switch state {
                case .start:
                    state = quote
                    openQuote = c
                case .unquoted:
                    state = quote
                    openQuote = c
                case quote:
                    state = .unquoted
                    openQuote = nil
                default:
                    try append(c)
                }
            } else if c == backslash {
                if state == .single || state == .double {
                    let quoteChar = UInt8(ascii: state == .single ? "'" : "\"")
                    if let next, next == quoteChar {
                        i += 1
                        try append(next)
                    } else if let next, isGlob(next) {
                        // Already escaped for glob, and escaped once more
                        // because quoting escapes glob characters too.
                        i += 1
                        try append(backslash, backslash, backslash, next)
                    } else if let next {
                        i += 1
                        try append(backslash, next)
                    } else {
                        try append(backslash)
                    }
                } else {
                    if state == .start {
                        state = .unquoted
                        openQuote = nil
                    }
                    if let next, isGlob(next) || next == backslash {
                        // Kept escaped: glob expansion undoes one level.
                        i += 1
                        try append(backslash, next)
                    } else if let next {
                        i += 1
                        try append(next)
                    }
                    // A lone backslash at the end of the line is dropped.
                }
            } else if c == UInt8(ascii: "#") && (state == .start || state == .unquoted) {
                break
            } else {
                if state == .start {
                    state = .unquoted
                    openQuote = nil
                }
                if (state == .single || state == .double) && isGlob(c) {
                    try append(backslash, c)
                } else {
                    try append(c)
                }
            }
            i += 1
        }
        if state == .single || state == .double {
            guard sloppy else { throw .unterminatedQuote }
            try finishWord()
            return Partial(words: words, openQuote: openQuote, endsInSpace: false)
        }
        let endsInSpace = state == .start && !line.isEmpty && isSpace(line[line.count - 1])
        if state == .unquoted { try finishWord() }
        return Partial(words: words, openQuote: nil, endsInSpace: endsInSpace)
    }
}
