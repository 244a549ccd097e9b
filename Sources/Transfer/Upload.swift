#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SFTP

/// Upload of one local file to one remote path, the mirror of `Download`.
///
/// Where the bytes go is `RemoteDestination`'s decision, from an LSTAT of
/// the destination that is sent together with the exclusive open of the
/// canonical partial name, so the common case (a new file, or one to
/// replace) costs no extra round trip. A partial file is renamed into
/// place only when complete (posix-rename@openssh.com replaces an existing
/// file atomically; without it, the old file is removed first, as plain
/// SSH_FXP_RENAME refuses to replace). Resume compares the remote partial
/// file's last block with the local file before continuing.
extension FileTransfer {
    /// Uploads `local` to exactly `remote`. Returns the bytes written.
    @discardableResult
    public func upload(_ local: LocalPath, to remote: SFTPPath) async throws -> UInt64 {
        do {
            return try await uploadFile(local, to: remote)
        } catch {
            throw TransferError.wrap(error, "\(local)")
        }
    }

    @discardableResult
    public func upload(_ local: String, to remote: SFTPPath) async throws -> UInt64 {
        try await upload(LocalPath(local), to: remote)
    }

    /// The local side of one upload: the file as it was when opened.
    private struct UploadSource {
        let path: LocalPath
        let file: LocalFile
        let status: stat
        var size: UInt64 { UInt64(max(0, status.st_size)) }
        var mode: UInt32 { UInt32(status.st_mode) & 0o777 }
    }

    private func uploadFile(_ local: LocalPath, to remote: SFTPPath) async throws -> UInt64 {
        // O_NONBLOCK: a FIFO named as the source (or planted at its name)
        // would block the open until some writer came, and a terminal
        // must not become ours; a regular file reads the same with it.
        let file = try LocalFile.open(local, flags: O_RDONLY | O_NOCTTY | O_NONBLOCK)
        defer { try? file.close() }
        let st = try file.status()
        if st.st_mode & S_IFMT == S_IFDIR { throw TransferError(.isDirectory, "\(local): is a directory (use -r)") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw TransferError(.notRegularFile, "\(local): not a regular file") }
        let source = UploadSource(path: local, file: file, status: st)
        // The partial file is always writable by us, whatever the source's
        // mode: a 0400 source would otherwise leave a partial that neither a
        // resume nor a rerun can open. Its real mode is set before the rename.
        let permissions = source.mode | 0o600

        let client = self.client
        let canonical = RemotePartialFile.canonicalPath(for: remote)
        async let lookedUp = Self.capture { try await RemoteDestination.lstatIfExists(client, remote) }
        async let opened: Result<SFTPHandle, Error>? = options.inPlace ? nil : Self.capture {
            try await client.open(canonical, flags: [.write, .create, .exclusive], attributes: SFTPAttributes(permissions: permissions))
        }
        let (seen, first) = await (lookedUp, opened)
        let destination: RemoteDestination
        do {
            destination = try await RemoteDestination.resolve(client, remote, seen: try seen.get(), inPlace: options.inPlace)
        } catch {
            if case .success(let handle) = first { await RemotePartialFile(handle: handle, path: canonical, resumable: false, existingLength: 0).discard(client) }
            throw error
        }
        // The first open was for `remote` itself: of no use when the
        // destination turns out to be elsewhere or not to be replaced.
        var early = first
        if case .replace(let path, _) = destination, path == remote {} else if case .success(let handle) = first {
            await RemotePartialFile(handle: handle, path: canonical, resumable: false, existingLength: 0).discard(client)
            early = nil
        }
        switch destination {
        case .replace(let path, let existing):
            if options.resume, options.resumesDestination, let existing, (existing.size ?? 0) > 0,
               await noPartialFile(for: path, early: &early),
               let bytes = try await continueDestination(path, existing: existing, from: source) {
                return bytes
            }
            let partial: RemotePartialFile
            do {
                partial = try await RemotePartialFile.claim(client, for: path, permissions: permissions, resume: options.resume, first: early)
            } catch let error as SFTPError where error.code == .permissionDenied || error.code == .noSuchFile {
                guard error.code == .permissionDenied, let existing else {
                    // Name the file the user asked for, not the hidden one.
                    let reason = error.cause ?? error.message
                    throw TransferError(.remote, "\(path): cannot create a file in its directory: \(reason)")
                }
                onEvent(.notice(path: "\(path)", message: "cannot create a temporary file beside it; writing in place"))
                return try await writeInPlace(path, existing: existing, from: source)
            }
            return try await replace(path, existing: existing, with: partial, from: source)
        case .inPlace(let path, let existing):
            return try await writeInPlace(path, existing: existing, from: source)
        case .stream(let path):
            let handle = try await client.open(path, flags: [.write])
            do {
                let end = try await send(source, to: handle, from: 0)
                try await client.close(handle)
                return end
            } catch {
                try? await client.close(handle)
                throw error
            }
        }
    }

    /// True when no partial file of ours is beside `path`, so `-a` looks
    /// at the file under the final name. `early` is the exclusive open of
    /// the canonical partial name sent with the LSTAT: when it created the
    /// file there was none, and the new empty file is removed again.
    private func noPartialFile(for path: SFTPPath, early: inout Result<SFTPHandle, Error>?) async -> Bool {
        switch early {
        case .success(let handle):
            await RemotePartialFile(handle: handle, path: RemotePartialFile.canonicalPath(for: path), resumable: false,
                                    existingLength: 0).discard(client)
            early = nil
            return true
        case .failure:
            return false
        case nil:
            guard case .some(.none) = try? await RemoteDestination.lstatIfExists(client, RemotePartialFile.canonicalPath(for: path)) else { return false }
            return true
        }
    }

    /// `-a` on a remote file under the final name with no partial file
    /// beside it, the mirror of the download's: a shorter file whose last
    /// block matches the local file is continued in place (WRITEs go out
    /// in file order, so an interruption leaves a prefix of the source);
    /// one of the source's size that matches is complete
    /// (`alreadyComplete`). Nil when it cannot be continued: the caller
    /// replaces it atomically.
    private func continueDestination(_ path: SFTPPath, existing: SFTPAttributes, from source: UploadSource) async throws -> UInt64? {
        guard let have = existing.size else { return nil }
        if have > source.size {
            onEvent(.notice(path: "\(path)", message: "larger than the source (\(have) bytes, the source has \(source.size)): cannot resume it; copying it anew"))
            return nil
        }
        guard let handle = try? await client.open(path, flags: [.read, .write]) else { return nil }
        var settings = SFTPAttributes()
        if options.preserve { settings.permissions = UInt32(source.status.st_mode) & 0o7777 }
        if options.setsTimes {
            settings.times = SFTPAttributes.Times(
                accessTime: UInt32(truncatingIfNeeded: source.status.st_atim.tv_sec),
                modificationTime: UInt32(truncatingIfNeeded: source.status.st_mtim.tv_sec))
        }
        let setting = settings.permissions == nil && settings.times == nil ? nil : settings
        let matches: Bool
        do {
            let opened = try await client.fstat(handle)
            if opened.isRegularFile, opened.size == have {
                matches = try await resumeOffset(handle, have: have, local: source) == have
            } else {
                matches = false
            }
        } catch {
            try? await client.close(handle)
            throw error
        }
        guard matches else {
            try? await client.close(handle)
            onEvent(.notice(path: "\(path)", message: "does not match the source where it ends: cannot resume it; copying it anew"))
            return nil
        }
        if have == source.size {
            try await client.close(handle, setting: setting)
            throw TransferError(.alreadyComplete, "\(path): already complete")
        }
        onEvent(.resumed(source: "\(source.path)", destination: "\(path)", offset: have, upload: true))
        do {
            let end = try await send(source, to: handle, from: have)
            try await client.close(handle, setting: setting)
            return end - have
        } catch {
            try? await client.close(handle)
            // Still a prefix of the source: the next -a continues it.
            if let size = try? await client.lstat(path).size, size > 0 { onEvent(.partialKept(path: "\(path)", bytes: size)) }
            throw error
        }
    }

    private static func capture<T>(_ body: () async throws -> T) async -> Result<T, Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// Written to `partial`, renamed over `path` when complete.
    private func replace(_ path: SFTPPath, existing: SFTPAttributes?, with claimed: RemotePartialFile,
                         from source: UploadSource) async throws -> UInt64 {
        var partial = claimed
        var start: UInt64 = 0
        let end: UInt64
        do {
            if partial.existingLength > 0 {
                var have = partial.existingLength
                if let recorded = await RemoteRangeRecord.recorded(client, for: path) {
                    // A ranged copy was here: only its complete prefix counts.
                    have = min(have, recorded)
                    try await client.fsetstat(partial.handle, SFTPAttributes(size: have))
                    try? await client.remove(RemoteRangeRecord.path(for: path))
                }
                start = try await resumeOffset(partial.handle, have: have, local: source)
                if start > 0 { onEvent(.resumed(source: "\(source.path)", destination: "\(path)", offset: start, upload: true)) }
                if start == 0 {
                    // Not what we would have written. SFTP cannot show its
                    // link count, so it is never emptied (it might be a
                    // hard link to someone's file): its name is unlinked,
                    // which leaves any other link's data alone, and claimed
                    // anew.
                    try? await client.close(partial.handle)
                    try? await client.remove(partial.path)
                    partial = try await RemotePartialFile.claim(client, for: path, permissions: source.mode | 0o600, resume: false)
                }
            }
            if start == 0, let finished = try await finishSmall(source, into: partial, over: path, existing: existing) {
                return finished
            }
            if let spread = try await sendSpread(source.file, size: source.size, to: partial.path, handle: partial.handle,
                                                 from: start, destination: path, resumable: partial.resumable) {
                end = spread
            } else {
                end = try await send(source, to: partial.handle, from: start)
            }
            try await syncRemote(partial.handle, path)
        } catch {
            let explained = await explainingFullDisk(error, partial.handle, path)
            try? await client.close(partial.handle)
            if let kept = await partial.abandon(client) { onEvent(.partialKept(path: "\(path)", bytes: kept)) }
            throw explained
        }
        let (mode, settings) = finalAttributes(source, existing: existing)
        let owner = existing?.owner
        do {
            // The handle is gone after this, even when it throws.
            let ownerSet = try await client.close(partial.handle, trying: owner.map { SFTPAttributes(owner: $0) }, setting: settings)
            if !ownerSet, let owner { await keepGroup(owner, of: partial.path, mode: mode) }
            try await rename(partial.path, over: path)
        } catch {
            await partial.abandon(client)
            throw error
        }
        return end - start
    }

    /// What a replaced file gets with its CLOSE: it keeps its owner and
    /// group (tried first: only root may give a file away) and its mode;
    /// -p gives the source's. The FSETSTATs and CLOSE go out together, and
    /// must succeed before the file is renamed into place.
    private func finalAttributes(_ source: UploadSource, existing: SFTPAttributes?) -> (mode: UInt32?, settings: SFTPAttributes?) {
        let mode: UInt32?
        if options.preserve {
            mode = UInt32(source.status.st_mode) & 0o7777
        } else if let permissions = existing?.permissions {
            mode = permissions & 0o7777
        } else {
            mode = source.mode & 0o600 != 0o600 ? source.mode : nil
        }
        let times = options.setsTimes ? SFTPAttributes.Times(
            accessTime: UInt32(truncatingIfNeeded: source.status.st_atim.tv_sec),
            modificationTime: UInt32(truncatingIfNeeded: source.status.st_mtim.tv_sec)) : nil
        return (mode, mode == nil && times == nil ? nil : SFTPAttributes(permissions: mode, times: times))
    }

    /// A file that fits in one WRITE, sent from its start: the WRITE, the
    /// FSETSTATs and the CLOSE go out back to back (`writeAndClose`), then
    /// the rename: two round trips after the OPEN where the pipeline takes
    /// three, which on a long link is most of what a small file costs.
    /// The rename still waits for every reply to be OK. Nil when the file
    /// does not qualify (bigger, rate-limited, or flushed with --fsync,
    /// which must come between the write and the close).
    private func finishSmall(_ source: UploadSource, into partial: RemotePartialFile, over path: SFTPPath,
                             existing: SFTPAttributes?) async throws -> UInt64? {
        let block = options.blockLength ?? client.writeBlockLength
        guard limiter == nil, !options.fsync, source.size <= UInt64(block) else { return nil }
        let count = Int(source.size)
        let granted = await budget.acquire(count)
        defer { budget.release(granted) }
        let (mode, settings) = finalAttributes(source, existing: existing)
        let owner = existing?.owner
        do {
            let piece = count == 0 ? ByteBuffer() : try await source.file.fetch(at: 0, length: count)
            let length = piece.readableBytes
            onEvent(.progress(bytes: UInt64(length)))
            pool?.moved(length)
            let ownerSet: Bool
            do {
                // The handle is gone after this, even when it throws.
                ownerSet = try await client.writeAndClose(partial.handle, offset: 0, data: consume piece,
                                                          trying: owner.map { SFTPAttributes(owner: $0) }, setting: settings)
            } catch {
                throw await explainingFullDisk(error, at: partial.path, path)
            }
            if !ownerSet, let owner { await keepGroup(owner, of: partial.path, mode: mode) }
            try await rename(partial.path, over: path)
            return UInt64(length)
        } catch {
            if let kept = await partial.abandon(client) { onEvent(.partialKept(path: "\(path)", bytes: kept)) }
            throw error
        }
    }

    /// Where the owner could not be given back (this user is not root),
    /// the group may still be, when this user belongs to it.
    private func keepGroup(_ owner: SFTPAttributes.Owner, of path: SFTPPath, mode: UInt32?) async {
        guard let mine = try? await client.lstat(path).owner, mine.gid != owner.gid else { return }
        guard (try? await client.setstat(path, SFTPAttributes(owner: .init(uid: mine.uid, gid: owner.gid)))) != nil else { return }
        // chown cleared any set-id bits the mode had.
        if let mode, mode & 0o6000 != 0 { try? await client.setstat(path, SFTPAttributes(permissions: mode)) }
    }

    /// Written into the existing regular file at `path`: its inode, hard
    /// links, owner and mode stay; a failure leaves it partly rewritten.
    private func writeInPlace(_ path: SFTPPath, existing: SFTPAttributes, from source: UploadSource) async throws -> UInt64 {
        let handle = try await client.open(path, flags: [.read, .write])
        do {
            let have = existing.size ?? 0
            let start = options.resume && have > 0 ? try await resumeOffset(handle, have: have, local: source) : 0
            let end = try await send(source, to: handle, from: start)
            try await syncRemote(handle, path)
            var settings = SFTPAttributes(size: end)
            if options.preserve { settings.permissions = UInt32(source.status.st_mode) & 0o7777 }
            if options.setsTimes {
                settings.times = SFTPAttributes.Times(
                    accessTime: UInt32(truncatingIfNeeded: source.status.st_atim.tv_sec),
                    modificationTime: UInt32(truncatingIfNeeded: source.status.st_mtim.tv_sec))
            }
            try await client.close(handle, setting: settings)
            return end - start
        } catch {
            try? await client.close(handle)
            throw error
        }
    }

    /// Sends the source from `start` to the size it had when opened (as
    /// scp sends st_size bytes; that spares a read that would only find
    /// the end). Returns the offset where it ended.
    private func send(_ source: UploadSource, to handle: SFTPHandle, from start: UInt64) async throws -> UInt64 {
        let size = source.size
        let file = source.file
        return try await WritePipeline(client: client, handle: handle, blockLength: options.blockLength,
                                       maxOutstanding: maxOutstanding, memoryBudget: options.writeMemoryBudget,
                                       startOffset: start, expectedSize: size - min(size, start), budget: budget, limiter: limiter)
            .run { offset, length in
                guard offset < size else { return nil }
                let count = Int(min(UInt64(length), size - offset))
                let piece = try await file.fetch(at: offset, length: count, headroom: WritePipeline.headroom)
                // Counted when handed to the pipeline: at most its memory
                // budget ahead of what the server acknowledged.
                onEvent(.progress(bytes: UInt64(piece.readableBytes)))
                pool?.moved(count)
                return piece
            }
    }

    /// Renames the finished partial file to its final name.
    private func rename(_ partial: SFTPPath, over remote: SFTPPath) async throws {
        if client.supports(.posixRename) {
            try await client.posixRename(partial, to: remote)
        } else {
            try? await client.remove(remote)
            try await client.rename(partial, to: remote)
        }
    }

    /// Where a resumed upload continues: `have` (the remote file's length)
    /// when its last block equals the same range of the local file, else 0.
    private func resumeOffset(_ handle: SFTPHandle, have: UInt64, local: UploadSource) async throws -> UInt64 {
        guard have <= local.size else { return 0 }
        let check = min(have, UInt64(options.blockLength ?? client.readBlockLength))
        let from = have - check
        var theirs: [UInt8] = []
        try await ReadPipeline(client: client, handle: handle, blockLength: options.blockLength,
                               maxOutstanding: options.maxOutstanding, startOffset: from, endOffset: have, budget: budget, limiter: limiter)
            .run { _, data in theirs += data.readableBytesView }
        let ours = try local.file.readFully(at: from, length: Int(check))
        return ours == theirs ? have : 0
    }
}
