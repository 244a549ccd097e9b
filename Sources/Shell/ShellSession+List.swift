import SFTP

/// `ls`: sftp's `do_ls_dir` and `do_globbed_ls`. A pattern naming one
/// directory lists its contents; otherwise the matches are listed. Names
/// are shown relative to the working directory when the argument was
/// relative, as sftp strips it.
extension ShellSession {
    func list(_ flags: ShellCommand.ListFlags, _ pattern: [UInt8]?, _ state: ShellState) async -> Bool {
        guard let pattern else {
            return await listDirectory(state.remoteDirectory, strip: state.remoteDirectory, flags)
        }
        let strip: [UInt8]? = pattern.first == UInt8(ascii: "/") ? nil : state.remoteDirectory
        let absolute = ShellState.join(GlobPattern.escape(state.remoteDirectory), pattern)
        var matches = (try? await RemoteGlob(client: client).expand(absolute)) ?? []
        if matches.count == 1, matches[0].attributes == nil {
            // A literal name: it must exist (lstat, as sftp's glob checks).
            guard let attributes = try? await client.lstat(SFTPPath(bytes: matches[0].path)) else { matches = [] ; return notFound(absolute) }
            matches[0].attributes = attributes
        }
        guard !matches.isEmpty else { return notFound(absolute) }
        if matches.count == 1, let attributes = matches[0].attributes, attributes.isDirectory {
            return await listDirectory(matches[0].path, strip: strip, flags)
        }
        let entries = matches.map { match in
            Entry(display: Self.strip(match.path, strip), attributes: match.attributes ?? .none, longname: nil)
        }
        await printEntries(entries, flags)
        return true
    }

    private func notFound(_ pattern: [UInt8]) -> Bool {
        output.error("Can't ls: \"\(show(GlobPattern.literal(pattern)))\" not found")
        return false
    }

    private struct Entry {
        var display: [UInt8]
        var attributes: SFTPAttributes
        var longname: [UInt8]?
    }

    private func listDirectory(_ path: [UInt8], strip: [UInt8]?, _ flags: ShellCommand.ListFlags) async -> Bool {
        let names: [SFTPName]
        do { names = try await client.listDirectory(SFTPPath(bytes: path)) } catch {
            output.error("Couldn't read directory: \(Self.reason(error))")
            return false
        }
        let shown = names.filter { flags.all || $0.filename.first != UInt8(ascii: ".") }
        let entries = shown.map { name in
            Entry(display: Self.strip(ShellState.join(path, name.filename), strip), attributes: name.attributes,
                  longname: name.longname.isEmpty ? nil : name.longname)
        }
        await printEntries(entries, flags)
        return true
    }

    private func printEntries(_ unsorted: [Entry], _ flags: ShellCommand.ListFlags) async {
        var entries = unsorted
        switch flags.sort {
        case .name: entries.sort { $0.display.lexicographicallyPrecedes($1.display) }
        case .size: entries.sort { ($0.attributes.size ?? 0) > ($1.attributes.size ?? 0) }
        case .time: entries.sort { ($0.attributes.times?.modificationTime ?? 0) > ($1.attributes.times?.modificationTime ?? 0) }
        case .none: break
        }
        if flags.reverse, flags.sort != .none { entries.reverse() }
        if flags.long {
            var users: [UInt32: String] = [:]
            var groups: [UInt32: String] = [:]
            let byName = !flags.numeric && client.supports(.usersGroupsByID)
            if byName {
                let uids = Array(Set(entries.compactMap { $0.attributes.owner?.uid }))
                let gids = Array(Set(entries.compactMap { $0.attributes.owner?.gid }))
                if let names = try? await client.userGroupNames(uids: uids, gids: gids) {
                    for (id, name) in zip(uids, names.userNames) where !name.isEmpty { users[id] = name }
                    for (id, name) in zip(gids, names.groupNames) where !name.isEmpty { groups[id] = name }
                }
            }
            for entry in entries {
                if !flags.numeric, !flags.human, !byName, let longname = entry.longname {
                    output.line(show(longname))
                } else {
                    output.line(ListingFormat.longLine(
                        name: show(entry.display), attributes: entry.attributes,
                        user: entry.attributes.owner.flatMap { users[$0.uid] },
                        group: entry.attributes.owner.flatMap { groups[$0.gid] }, human: flags.human))
                }
            }
        } else if flags.onePerLine {
            for entry in entries { output.line(show(entry.display)) }
        } else {
            for line in ListingFormat.columns(entries.map { show($0.display) }, width: terminalWidth) { output.line(line) }
        }
    }

    /// `path` with `prefix/` taken off its front (sftp's `path_strip`).
    static func strip(_ path: [UInt8], _ prefix: [UInt8]?) -> [UInt8] {
        guard let prefix, !prefix.isEmpty else { return path }
        let slash = UInt8(ascii: "/")
        let base = prefix.last == slash ? prefix : prefix + [slash]
        if path.starts(with: base) { return Array(path.dropFirst(base.count)) }
        return path
    }
}
