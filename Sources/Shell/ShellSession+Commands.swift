#if canImport(Glibc)
import Glibc
#endif
import SFTP
import Transfer

/// The commands that inspect or change state (everything but get and
/// put), each worded and failing as sftp's does.
extension ShellSession {
    /// Runs a command that is not a transfer; false when it failed.
    func inspectOrChange(_ command: ShellCommand, _ state: inout ShellState) async -> Bool {
        switch command {
        case .ls(let flags, let pattern):
            return await list(flags, pattern, state)
        case .lls(let arguments):
            let ls = Array("ls ".utf8) + arguments
            runLocal(ls, in: state.localDirectory)
            return true
        case .shell(let line):
            runLocal(line, in: state.localDirectory)
            return true
        case .cd(let path):
            return await changeDirectory(path, &state)
        case .lcd(let path):
            return changeLocalDirectory(path, &state)
        case .pwd:
            output.line("Remote working directory: \(show(state.remoteDirectory))")
            return true
        case .lpwd:
            output.line("Local working directory: \(show(state.localDirectory))")
            return true
        case .mkdir(let path):
            let target = state.remote(path)
            do { try await client.mkdir(SFTPPath(bytes: target), attributes: SFTPAttributes(permissions: 0o777)) } catch {
                output.error("remote mkdir \"\(show(target))\": \(Self.reason(error))")
                return false
            }
            return true
        case .rmdir(let path):
            let target = state.remote(path)
            do { try await client.rmdir(SFTPPath(bytes: target)) } catch {
                output.error("remote rmdir \"\(show(target))\": \(Self.reason(error))")
                return false
            }
            return true
        case .lmkdir(let path):
            let target = state.local(path)
            if Glibc.mkdir(cPath(target), 0o777 & ~state.localUmask) != 0 {
                output.error("Couldn't create local directory \"\(show(target))\": \(String(cString: strerror(errno)))")
                return false
            }
            return true
        case .rm(let pattern):
            return await forEachMatch(pattern, state, verb: "Removing") { path in
                do { try await self.client.remove(SFTPPath(bytes: path)) } catch {
                    self.output.error("remote delete \(self.show(path)): \(Self.reason(error))")
                    return false
                }
                return true
            }
        case .rename(let old, let new, let legacy):
            let from = SFTPPath(bytes: state.remote(old))
            let to = SFTPPath(bytes: state.remote(new))
            do {
                if !legacy, client.supports(.posixRename) {
                    try await client.posixRename(from, to: to)
                } else {
                    try await client.rename(from, to: to)
                }
            } catch {
                output.error("Couldn't rename file \"\(from)\" to \"\(to)\": \(Self.reason(error))")
                return false
            }
            return true
        case .link(let old, let new, let symbolic):
            let link = SFTPPath(bytes: state.remote(new))
            do {
                if symbolic {
                    // The target is stored as given: a relative link stays relative.
                    try await client.symlink(at: link, pointingTo: SFTPPath(bytes: old))
                } else {
                    guard client.supports(.hardlink) else {
                        output.error("Server does not support hardlink@openssh.com extension")
                        return false
                    }
                    try await client.hardlink(SFTPPath(bytes: state.remote(old)), to: link)
                }
            } catch {
                output.error("Couldn't \(symbolic ? "symlink" : "link") file \"\(show(old))\" to \"\(link)\": \(Self.reason(error))")
                return false
            }
            return true
        case .chmod(let mode, let pattern, let noFollow):
            return await forEachMatch(pattern, state, verb: "Changing mode on") { path in
                await self.setAttributes(path, SFTPAttributes(permissions: mode & 0o7777), noFollow: noFollow, what: "mode")
            }
        case .chown(let id, let pattern, let noFollow), .chgrp(let id, let pattern, let noFollow):
            let isOwner = if case .chown = command { true } else { false }
            return await forEachMatch(pattern, state, verb: isOwner ? "Changing owner on" : "Changing group on") { path in
                let current: SFTPAttributes
                do {
                    current = noFollow ? try await self.client.lstat(SFTPPath(bytes: path)) : try await self.client.stat(SFTPPath(bytes: path))
                } catch {
                    self.output.error("Can't get current ownership of remote file \"\(self.show(path))\"")
                    return false
                }
                guard let owner = current.owner else {
                    self.output.error("Can't get current ownership of remote file \"\(self.show(path))\"")
                    return false
                }
                let changed = isOwner ? SFTPAttributes.Owner(uid: id, gid: owner.gid) : SFTPAttributes.Owner(uid: owner.uid, gid: id)
                return await self.setAttributes(path, SFTPAttributes(owner: changed), noFollow: noFollow, what: isOwner ? "owner" : "group")
            }
        case .df(let human, let inodes, let path):
            guard client.supports(.statvfs) else {
                output.error("Server does not support statvfs@openssh.com extension")
                return false
            }
            let target = path.map { state.remote($0) } ?? state.remoteDirectory
            do {
                let stats = try await client.statvfs(SFTPPath(bytes: target))
                for line in ListingFormat.diskFree(stats, human: human, inodes: inodes) { output.line(line) }
            } catch {
                output.error("Couldn't statvfs \"\(show(target))\": \(Self.reason(error))")
                return false
            }
            return true
        case .lumask(let mask):
            state.localUmask = mask & 0o777
            output.line("Local umask: " + String(state.localUmask, radix: 8).leftPadded(3))
            return true
        case .progress:
            state.showProgress.toggle()
            output.line(state.showProgress ? "Progress meter enabled" : "Progress meter disabled")
            return true
        case .version:
            output.line("SFTP protocol version \(client.serverVersion)")
            return true
        case .help:
            output.standardOutput(ShellHelp.text)
            return true
        case .get, .put, .quit:
            return true
        }
    }

    /// Runs `body` on each path `pattern` names (itself when nothing
    /// matches, as sftp's GLOB_NOCHECK); false when any failed.
    private func forEachMatch(_ pattern: [UInt8], _ state: ShellState, verb: String,
                              _ body: @Sendable ([UInt8]) async -> Bool) async -> Bool {
        let absolute = ShellState.join(GlobPattern.escape(state.remoteDirectory), pattern)
        var paths = ((try? await RemoteGlob(client: client).expand(absolute)) ?? []).map(\.path)
        if paths.isEmpty { paths = [GlobPattern.literal(absolute)] }
        var succeeded = true
        for path in paths {
            if verbose { output.line("\(verb) \(show(path))") }
            if !(await body(path)) { succeeded = false }
        }
        return succeeded
    }

    private func setAttributes(_ path: [UInt8], _ attributes: SFTPAttributes, noFollow: Bool, what: String) async -> Bool {
        do {
            if noFollow {
                try await client.lsetstat(SFTPPath(bytes: path), attributes)
            } else {
                try await client.setstat(SFTPPath(bytes: path), attributes)
            }
        } catch {
            output.error("Couldn't setstat on \"\(show(path))\": \(Self.reason(error))")
            return false
        }
        return true
    }

    private func changeDirectory(_ path: [UInt8]?, _ state: inout ShellState) async -> Bool {
        guard let path else {
            state.remoteDirectory = state.remoteHome
            return true
        }
        var target = state.remote(path)
        if path.first == UInt8(ascii: "~"), client.supports(.expandPath),
           let expanded = try? await client.expandPath(SFTPPath(bytes: path)) {
            target = expanded.bytes
        }
        let resolved: SFTPPath
        do { resolved = try await client.realpath(SFTPPath(bytes: target)) } catch {
            output.error("realpath \(show(target)): \(Self.reason(error))")
            return false
        }
        guard let attributes = try? await client.stat(resolved) else {
            output.error("Can't change directory: Can't check target")
            return false
        }
        guard attributes.isDirectory else {
            output.error("Can't change directory: \"\(resolved)\" is not a directory")
            return false
        }
        state.remoteDirectory = resolved.bytes
        return true
    }

    private func changeLocalDirectory(_ path: [UInt8]?, _ state: inout ShellState) -> Bool {
        var target: [UInt8]
        if let path {
            target = path
            if target.first == UInt8(ascii: "~"), let home = getenv("HOME") {
                target = Array(String(cString: home).utf8) + target.dropFirst()
            }
            target = state.local(target)
        } else if let home = getenv("HOME") {
            target = Array(String(cString: home).utf8)
        } else {
            return true
        }
        var resolved: [UInt8]?
        if let real = realpath(cPath(target), nil) {
            resolved = Array(UnsafeBufferPointer(start: real, count: strlen(real)).map { UInt8(bitPattern: $0) })
            free(real)
        }
        guard let resolved, LocalDirectory.exists(resolved) else {
            output.error("Couldn't change local directory to \"\(show(target))\": \(String(cString: strerror(errno == 0 ? ENOTDIR : errno)))")
            return false
        }
        state.localDirectory = resolved
        return true
    }

    /// Runs `line` with /bin/sh in `directory` (an interactive shell when
    /// nil), its output straight to ours, and waits for it.
    func runLocal(_ line: [UInt8]?, in directory: [UInt8]) {
        let shell = getenv("SHELL").map { String(cString: $0) } ?? "/bin/sh"
        var arguments: [[UInt8]] = [Array(shell.utf8)]
        if let line { arguments += [Array("-c".utf8), line] }
        guard !arguments.contains(where: { $0.contains(0) }), !directory.contains(0) else { return }
        LocalProcess.run(arguments, in: directory)
    }
}

extension String {
    func leftPadded(_ width: Int, with fill: Character = "0") -> String {
        count >= width ? self : String(repeating: fill, count: width - count) + self
    }
}
