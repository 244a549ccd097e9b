/// CommandParser turns one input line into a `ShellLine`, as sftp's
/// `parse_args` does: leading `-` (ignore errors) and `@` (no echo)
/// prefixes, blank lines and `#` comments, command names matched without
/// case, flags read getopt-style per command, and sftp's messages for a
/// missing or wrong argument.
public enum CommandParser {
    /// The names sftp knows, and the command each stands for.
    enum Name: CaseIterable {
        case bye, cd, chdir, chgrp, chmod, chown, df, dir, exit, get, help, lcd, lchdir, lls, lmkdir, ln
        case lpwd, ls, lumask, mget, mkdir, mput, progress, put, pwd, quit, reget, rename, reput, rm, rmdir
        case symlink, version, question

        var text: String { self == .question ? "?" : "\(self)" }
    }

    /// Every command name, for completion and help.
    public static var commandNames: [String] { Name.allCases.map(\.text) }

    public static func parse(_ line: String) throws(ShellParseError) -> ShellLine {
        try parse(Array(line.utf8))
    }

    public static func parse(_ line: [UInt8]) throws(ShellParseError) -> ShellLine {
        var i = 0
        var ignoreErrors = false
        var quiet = false
        while i < line.count, isSpace(line[i]) { i += 1 }
        while i < line.count {
            if line[i] == UInt8(ascii: "-") {
                ignoreErrors = true
            } else if line[i] == UInt8(ascii: "@") {
                quiet = true
            } else {
                break
            }
            i += 1
        }
        while i < line.count, isSpace(line[i]) { i += 1 }
        let rest = Array(line[i...])
        func fail(_ message: String) -> ShellParseError { ShellParseError(message, ignoreErrors: ignoreErrors) }
        guard let first = rest.first, first != UInt8(ascii: "#") else {
            return ShellLine(ignoreErrors: ignoreErrors, quiet: quiet, command: nil)
        }
        if first == UInt8(ascii: "!") {
            let command = Array(rest.dropFirst())
            let blank = command.allSatisfy(isSpace)
            return ShellLine(ignoreErrors: ignoreErrors, quiet: quiet, command: .shell(blank ? nil : command))
        }
        let words: [[UInt8]]
        do { words = try CommandLexer.split(rest) } catch { throw fail(error.description) }
        guard let head = words.first else { return ShellLine(ignoreErrors: ignoreErrors, quiet: quiet, command: nil) }
        let lowered = String(decoding: head, as: UTF8.self).lowercased()
        guard let name = Name.allCases.first(where: { $0.text == lowered }) else { throw fail("Invalid command.") }
        let cmd = name.text
        let command: ShellCommand
        switch name {
        case .get, .mget, .reget, .put, .mput, .reput:
            var flags = ShellCommand.TransferFlags()
            let args = try options(words, "afPpRr", cmd, fail) { c in
                switch c {
                case "a": flags.resume = true
                case "f": flags.fsync = true
                case "p", "P": flags.preserve = true
                default: flags.recursive = true
                }
            }
            if name == .reget || name == .reput { flags.resume = true }
            guard let source = args.first else { throw fail("You must specify at least one path after a \(cmd) command.") }
            let destination = args.count > 1 ? GlobPattern.literal(args[1]) : nil
            command = [.get, .mget, .reget].contains(name)
                ? .get(flags, source: source, destination: destination)
                : .put(flags, source: source, destination: destination)
        case .ls, .dir:
            var flags = ShellCommand.ListFlags()
            let args = try options(words, "1Safhlnrt", cmd, fail) { c in
                switch c {
                case "1": flags.onePerLine = true; flags.long = false; flags.numeric = false; flags.human = false
                case "S": flags.sort = .size
                case "a": flags.all = true
                case "f": flags.sort = .none
                case "h": flags.human = true
                case "l": flags.onePerLine = false; flags.long = true
                case "n": flags.onePerLine = false; flags.long = true; flags.numeric = true
                case "r": flags.reverse = true
                default: flags.sort = .time
                }
            }
            command = .ls(flags, args.first)
        case .lls:
            // The rest of the line, unparsed, as sftp hands it to ls.
            var j = 0
            let raw = rest
            while j < raw.count, !isSpace(raw[j]) { j += 1 }
            while j < raw.count, isSpace(raw[j]) { j += 1 }
            command = .lls(Array(raw[j...]))
        case .cd, .chdir, .lcd, .lchdir:
            let args = try options(words, "", cmd, fail) { _ in }
            let path = args.first.map(GlobPattern.literal)
            command = (name == .cd || name == .chdir) ? .cd(path) : .lcd(path)
        case .mkdir, .lmkdir, .rmdir, .rm:
            let args = try options(words, "", cmd, fail) { _ in }
            guard let path = args.first else { throw fail("You must specify a path after a \(cmd) command.") }
            switch name {
            case .mkdir: command = .mkdir(GlobPattern.literal(path))
            case .lmkdir: command = .lmkdir(GlobPattern.literal(path))
            case .rmdir: command = .rmdir(GlobPattern.literal(path))
            default: command = .rm(path)
            }
        case .rename, .ln, .symlink:
            var legacy = false
            var symbolic = name == .symlink
            let args = try options(words, name == .rename ? "l" : name == .ln ? "s" : "", cmd, fail) { c in
                if c == "l" { legacy = true } else { symbolic = true }
            }
            guard args.count >= 2 else { throw fail("You must specify two paths after a \(cmd) command.") }
            let old = GlobPattern.literal(args[0])
            let new = GlobPattern.literal(args[1])
            command = name == .rename ? .rename(old: old, new: new, legacy: legacy) : .link(old: old, new: new, symbolic: symbolic)
        case .df:
            var human = false
            var inodes = false
            let args = try options(words, "hi", cmd, fail) { c in
                if c == "h" { human = true } else { inodes = true }
            }
            command = .df(human: human, inodes: inodes, args.first.map(GlobPattern.literal))
        case .chmod, .chown, .chgrp, .lumask:
            var noFollow = false
            let args = try options(words, name == .lumask ? "" : "h", cmd, fail) { _ in noFollow = true }
            guard let text = args.first, let number = Self.number(text, base: name == .chown || name == .chgrp ? 10 : 8) else {
                throw fail("You must supply a numeric argument to the \(cmd) command.")
            }
            if name == .lumask {
                command = .lumask(number)
                break
            }
            guard args.count >= 2 else { throw fail("You must specify a path after a \(cmd) command.") }
            switch name {
            case .chmod: command = .chmod(number, args[1], noFollow: noFollow)
            case .chown: command = .chown(number, args[1], noFollow: noFollow)
            default: command = .chgrp(number, args[1], noFollow: noFollow)
            }
        case .bye, .exit, .quit, .pwd, .lpwd, .help, .question, .version, .progress:
            _ = try options(words, "", cmd, fail) { _ in }
            switch name {
            case .pwd: command = .pwd
            case .lpwd: command = .lpwd
            case .help, .question: command = .help
            case .version: command = .version
            case .progress: command = .progress
            default: command = .quit
            }
        }
        return ShellLine(ignoreErrors: ignoreErrors, quiet: quiet, command: command)
    }

    /// Reads getopt-style flags from `words` (after the command name):
    /// bundles (`-lt`), `--` to end them, the first non-flag word ends
    /// them too. Returns the remaining words.
    private static func options(_ words: [[UInt8]], _ letters: String, _ cmd: String,
                                _ fail: (String) -> ShellParseError,
                                _ set: (Character) -> Void) throws(ShellParseError) -> [[UInt8]] {
        var index = 1
        while index < words.count {
            let word = words[index]
            guard word.count > 1, word[0] == UInt8(ascii: "-") else { break }
            index += 1
            if word == Array("--".utf8) { break }
            for byte in word.dropFirst() {
                let c = Character(Unicode.Scalar(byte))
                guard byte < 0x80, letters.contains(c) else {
                    throw fail("\(cmd): Invalid flag -\(byte < 0x80 ? String(c) : "?")")
                }
                set(c)
            }
        }
        return Array(words[index...])
    }

    /// A non-negative number in `base` that fits 32 bits, as strtoll checks it.
    static func number(_ word: [UInt8], base: Int) -> UInt32? {
        guard !word.isEmpty, word.count <= 40 else { return nil }
        var value: UInt64 = 0
        for c in word {
            let digit: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(c - UInt8(ascii: "0"))
            default: return nil
            }
            guard digit < UInt64(base) else { return nil }
            value = value * UInt64(base) + digit
            guard value <= UInt64(UInt32.max) else { return nil }
        }
        return UInt32(value)
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (0x09...0x0D).contains(c) }
}
