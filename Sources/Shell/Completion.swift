#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// Completion for the interactive prompt, as sftp's `complete` does: the
/// first word completes command names; later words complete remote names
/// or local names, whichever the command takes in that position (get's
/// first path is remote and its second local; put the other way round).
extension ShellSession {
    /// What to insert after the text before the cursor, and the candidates
    /// to show when several names fit.
    public func complete(_ before: [UInt8], _ state: ShellState) async -> (insert: [UInt8], candidates: [String]) {
        let partial = CommandLexer.splitPartial(before)
        var words = partial.words
        if partial.endsInSpace || words.isEmpty { words.append([]) }
        guard let current = words.last else { return ([], []) }
        if words.count == 1 {
            let typed = String(decoding: current, as: UTF8.self).lowercased()
            let names = CommandParser.commandNames.filter { $0.hasPrefix(typed) && $0 != "?" }.sorted()
            return Self.completion(typed: current, names.map { Array($0.utf8) }, directories: [], addSpace: true)
        }
        let command = String(decoding: words[0], as: UTF8.self).lowercased()
        let position = words.dropFirst().filter { $0.first != UInt8(ascii: "-") }.count
        let remote: Bool
        switch command {
        case "get", "reget", "mget": remote = position <= 1
        case "put", "reput", "mput": remote = position > 1
        case "lcd", "lchdir", "lls", "lmkdir": remote = false
        case "cd", "chdir", "chgrp", "chmod", "chown", "df", "ls", "dir", "mkdir", "rename", "rm", "rmdir", "symlink", "ln": remote = true
        default: return ([], [])
        }
        // The word as typed is in glob form; complete the name it stands for.
        let typed = GlobPattern.literal(current)
        let slash = UInt8(ascii: "/")
        let directoryPart: [UInt8] = typed.lastIndex(of: slash).map { Array(typed[...$0]) } ?? []
        let prefix: [UInt8] = typed.lastIndex(of: slash).map { Array(typed[($0 + 1)...]) } ?? typed
        var names: [[UInt8]] = []
        var directories: Set<[UInt8]> = []
        if remote {
            let directory = state.remote(directoryPart.isEmpty ? Array(".".utf8) : directoryPart)
            guard let entries = try? await client.listDirectory(SFTPPath(bytes: directory)) else { return ([], []) }
            for entry in entries where entry.filename.starts(with: prefix) && entry.componentProblem == nil {
                if entry.filename.first == UInt8(ascii: "."), prefix.first != UInt8(ascii: ".") { continue }
                names.append(entry.filename)
                if entry.attributes.isDirectory { directories.insert(entry.filename) }
            }
        } else {
            let directory = state.local(directoryPart.isEmpty ? Array(".".utf8) : directoryPart)
            for (name, isDirectory) in LocalListing.entries(directory) where name.starts(with: prefix) {
                if name.first == UInt8(ascii: "."), prefix.first != UInt8(ascii: ".") { continue }
                names.append(name)
                if isDirectory { directories.insert(name) }
            }
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return Self.completion(typed: prefix, names, directories: directories, addSpace: partial.openQuote == nil)
    }

    /// The text to insert for `names` that all start with `typed`: the
    /// rest of a single name (and `/` or a space after it), else the
    /// longest common prefix; escaped so the lexer gives the name back.
    static func completion(typed: [UInt8], _ names: [[UInt8]], directories: Set<[UInt8]>, addSpace: Bool) -> (insert: [UInt8], candidates: [String]) {
        guard let first = names.first else { return ([], []) }
        if names.count == 1 {
            var insert = GlobPattern.escape(Array(first.dropFirst(typed.count)))
            if directories.contains(first) {
                insert.append(UInt8(ascii: "/"))
            } else if addSpace {
                insert.append(UInt8(ascii: " "))
            }
            return (insert, [])
        }
        var common = first.count
        for name in names.dropFirst() {
            var length = 0
            while length < min(common, name.count), name[length] == first[length] { length += 1 }
            common = length
        }
        let insert = common > typed.count ? GlobPattern.escape(Array(first[typed.count..<common])) : []
        return (insert, names.map { EscapedName.render($0) + (directories.contains($0) ? "/" : "") })
    }
}

/// LocalListing lists a local directory's names (not `.` and `..`) and
/// whether each is a directory, for completion.
enum LocalListing {
    static func entries(_ directory: [UInt8]) -> [([UInt8], Bool)] {
        guard let handle = opendir(cPath(directory)) else { return [] }
        defer { closedir(handle) }
        var out: [([UInt8], Bool)] = []
        while let entry = readdir(handle), out.count < 100_000 {
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == Array(".".utf8) || name == Array("..".utf8) || name.isEmpty { continue }
            out.append((name, LocalDirectory.exists(ShellState.join(directory, name))))
        }
        return out
    }
}
