/// SCPShell builds the remote command lines `scp -f` and `scp -t` run as,
/// quoted for a POSIX shell.
///
/// The server hands an exec request's command to the user's shell, so a
/// path pasted into it unquoted runs whatever it holds: `$(…)`, backticks,
/// `;`, a newline (CVE-2020-15778 is this for scp's target). Here every
/// byte is inside single quotes, where a POSIX shell expands nothing; a `'`
/// itself is written `'\''`. Only what the user means the remote shell to
/// see is left outside: glob characters of a source (`*`, `?`, `[…]`),
/// which scp has always let the remote shell expand, and a leading `~`,
/// `~/`, `~user` or `~user/` (a home directory; see `leadingTilde`). A path that begins with `-` follows `--`, so
/// scp cannot take it for an option.
public enum SCPShell {
    /// The bytes a source path leaves to the remote shell's globbing.
    public static let globCharacters: Set<UInt8> = [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "[")]

    /// `text` as one literal word for a POSIX shell.
    public static func quote(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "'")]
        for byte in text {
            if byte == UInt8(ascii: "'") {
                out += Array("'\\''".utf8)
            } else {
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "'"))
        return out
    }

    /// Bytes a backslash makes literal in a source path.
    static let escapable: Set<UInt8> = [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "\\")]

    /// A source path as one shell word in which only the glob characters
    /// (and a leading `~`) stay active; a backslash before one of them (or
    /// before a backslash) makes it literal, as it does for scp's remote shell. A `[` opens a bracket expression
    /// whose `]`, and `!`/`^` right after it, are left outside the quotes.
    public static func quoteGlob(_ path: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var literal: [UInt8] = []
        var index = 0
        func flush() {
            if !literal.isEmpty { out += quote(literal); literal = [] }
        }
        if let tilde = leadingTilde(path) {
            out += tilde
            index = tilde.count
        }
        var inBracket = false
        while index < path.count {
            let byte = path[index]
            if !inBracket, byte == UInt8(ascii: "\\"), index + 1 < path.count, escapable.contains(path[index + 1]) {
                // `\*`, `\?`, `\[`, `\]`, `\\`: the character itself, literally.
                literal.append(path[index + 1])
                index += 2
                continue
            }
            if !inBracket, byte == UInt8(ascii: "*") || byte == UInt8(ascii: "?") {
                flush(); out.append(byte)
            } else if !inBracket, byte == UInt8(ascii: "["), path[(index + 1)...].contains(UInt8(ascii: "]")) {
                flush(); out.append(byte)
                inBracket = true
                if index + 1 < path.count, path[index + 1] == UInt8(ascii: "!") || path[index + 1] == UInt8(ascii: "^") {
                    out.append(path[index + 1])
                    index += 1
                }
                // A `]` first in the bracket is a member, not its end.
                if index + 1 < path.count, path[index + 1] == UInt8(ascii: "]") {
                    out += quote([UInt8(ascii: "]")])
                    index += 1
                }
            } else if inBracket, byte == UInt8(ascii: "]") {
                flush(); out.append(byte)
                inBracket = false
            } else {
                literal.append(byte)
            }
            index += 1
        }
        flush()
        return out.isEmpty ? quote([]) : out
    }

    /// `~` or `~/` at the start of `path`, left for the shell to expand.
    /// The leading `~`, `~/`, `~user` or `~user/` of `path` that the remote
    /// shell may expand, or nil. A user name is left unquoted only when it
    /// is made of the portable user-name characters (letters, digits, `.`,
    /// `_`, `-`, not starting with `-`): nothing a shell expands further,
    /// and not bash's `~+` or `~-`. Anything else stays quoted (literal).
    static func leadingTilde(_ path: [UInt8]) -> [UInt8]? {
        guard path.first == UInt8(ascii: "~") else { return nil }
        let end = path.firstIndex(of: UInt8(ascii: "/")) ?? path.count
        let user = path[1..<end]
        if let first = user.first, first == UInt8(ascii: "-") { return nil }
        guard user.allSatisfy(isPortableNameByte) else { return nil }
        return Array(path[..<min(end + 1, path.count)])
    }

    private static func isPortableNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    /// The command that makes the server the source of `path`:
    /// `scp -f [-r] [-p] [--] path`, globs left to the remote shell.
    public static func sourceCommand(_ path: [UInt8], recursive: Bool, preserve: Bool, program: String = "scp") -> [UInt8] {
        let word = path.isEmpty ? quote(Array(".".utf8)) : quoteGlob(path)
        return command(program, "-f", recursive: recursive, preserve: preserve, directory: false, path: path, word: word)
    }

    /// The command that makes the server the sink at `path`:
    /// `scp -t [-r] [-p] [-d] [--] path`, every byte literal. `directory`
    /// (`-d`) asks that the target be a directory (several sources).
    public static func sinkCommand(_ path: [UInt8], recursive: Bool, preserve: Bool, directory: Bool,
                                   program: String = "scp") -> [UInt8] {
        let target = path.isEmpty ? Array(".".utf8) : path
        var word = quote(target)
        if let tilde = leadingTilde(target) { word = tilde + (target.count > tilde.count ? quote(Array(target[tilde.count...])) : []) }
        return command(program, "-t", recursive: recursive, preserve: preserve, directory: directory, path: target, word: word)
    }

    private static func command(_ program: String, _ role: String, recursive: Bool, preserve: Bool, directory: Bool,
                                path: [UInt8], word: [UInt8]) -> [UInt8] {
        var line = program + " " + role
        if recursive { line += " -r" }
        if preserve { line += " -p" }
        if directory { line += " -d" }
        if path.first == UInt8(ascii: "-") { line += " --" }
        return Array((line + " ").utf8) + word
    }
}
