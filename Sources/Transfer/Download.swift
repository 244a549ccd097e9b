#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SFTP

/// Download of one remote file to one local path.
///
/// Where the bytes go is `LocalDestination`'s decision: normally a partial
/// file claimed beside the destination (`LocalPartialFile`) and renamed
/// into place only once every byte is written, so an interrupted download
/// never leaves a short file under the final name. A failed download keeps
/// a non-empty canonical partial file so that `-a` can continue it; resume
/// first re-reads the partial file's last block from the server and
/// compares, and starts over on a mismatch (the source changed, or the
/// partial file is not what it claims to be).
///
/// A server decides how many bytes it sends: one that keeps sending past
/// the size it listed is followed (files grow), said so in a notice, and
/// stopped by `maxSize` when that is set.
extension FileTransfer {
    /// Downloads `remote` to exactly `local` (not into it, if it is a
    /// directory). Returns the bytes read from the server. `attributes`,
    /// when they say a regular file's size and mode (as READDIR and STAT
    /// replies from OpenSSH do), spare an FSTAT round trip.
    @discardableResult
    public func download(_ remote: SFTPPath, to local: LocalPath, attributes: SFTPAttributes? = nil) async throws -> UInt64 {
        let handle: SFTPHandle
        do { handle = try await client.open(remote, flags: .read) } catch let error as SFTPError where error.code == .failure {
            throw TransferError(.openRefused, "\(remote): \(error.message)")
        } catch { throw TransferError.wrap(error, "\(remote)") }
        do {
            let bytes = try await download(handle, remote, to: local, listed: attributes)
            client.closeInBackground(handle)
            return bytes
        } catch {
            try? await client.close(handle)
            throw TransferError.wrap(error, "\(remote)")
        }
    }

    @discardableResult
    public func download(_ remote: SFTPPath, to local: String, attributes: SFTPAttributes? = nil) async throws -> UInt64 {
        try await download(remote, to: LocalPath(local), attributes: attributes)
    }

    private func download(_ handle: SFTPHandle, _ remote: SFTPPath, to local: LocalPath, listed: SFTPAttributes?) async throws -> UInt64 {
        let attributes: SFTPAttributes
        if let listed, listed.isRegularFile, listed.size != nil, listed.permissions != nil,
           !options.setsTimes || listed.times != nil {
            attributes = listed
        } else {
            attributes = try await client.fstat(handle)
        }
        if attributes.isDirectory { throw TransferError(.isDirectory, "\(remote): is a directory (use -r)") }
        if attributes.fileType != nil, !attributes.isRegularFile {
            throw TransferError(.notRegularFile, "\(remote): not a regular file")
        }
        let source = DownloadSource(remote: remote, handle: handle, attributes: attributes)
        switch try LocalDestination.resolve(local, inPlace: options.inPlace) {
        case .replace(let path, let existing):
            return try await replace(path, existing: existing, from: source)
        case .inPlace(let path, let existing):
            return try await writeInPlace(path, existing: existing, from: source)
        case .descriptor(let descriptor, let name):
            return try await stream(try LocalFile.duplicate(descriptor, as: name), from: source)
        case .stream(let path):
            // Opening a FIFO waits for its reader: off the event loop.
            let file = try await DiskIO.run { try LocalFile.open(path, flags: O_WRONLY | O_NOCTTY) }
            return try await stream(file, from: source)
        }
    }

    /// The remote side of one download.
    private struct DownloadSource {
        let remote: SFTPPath
        let handle: SFTPHandle
        let attributes: SFTPAttributes
    }

    /// Written under a partial name, renamed over `path` when complete.
    private func replace(_ path: LocalPath, existing: stat?, from source: DownloadSource) async throws -> UInt64 {
        // A partial file of ours comes first; without one, `-a` looks at
        // what is under the final name (sftp's or scp's leftover).
        if options.resume, options.resumesDestination, let existing, existing.st_size > 0,
           LocalFileSystem.lstatus(path.split.directory.appending(PartialName.canonical(path.split.name))) == nil,
           let bytes = try await continueDestination(path, existing: existing, from: source) {
            return bytes
        }
        // As sftp: a new copy gets the source's permission bits, umask
        // applied, and is always writable by us (we write it, and may
        // resume it). A replaced file keeps its own mode.
        let sourceMode = mode_t((source.attributes.permissions ?? 0o666) & 0o777)
        let mode = existing.map { $0.st_mode & 0o777 } ?? sourceMode
        let partial: LocalPartialFile
        do {
            partial = try LocalPartialFile.claim(for: path, mode: mode | 0o600, resume: options.resume)
        } catch let error as TransferError where error.systemError == EACCES || error.systemError == EPERM {
            // A writable file in a directory we cannot write: update it in
            // place, as scp and sftp do, rather than fail.
            guard let existing, path.withCString({ access($0, W_OK) }) == 0 else { throw error }
            onEvent(.notice(path: "\(path)", message: "cannot create a temporary file beside it; writing in place"))
            return try await writeInPlace(path, existing: existing, from: source)
        }
        let file = partial.file
        do {
            var have = partial.existingLength
            if have > 0, let recorded = LocalRangeRecord.recorded(for: path) {
                // A ranged copy was here: only its complete prefix counts.
                have = min(have, recorded)
                try file.truncate(to: have)
                LocalFileSystem.remove(LocalRangeRecord.path(for: path))
            }
            let start = have > 0 ? try await resumeOffset(of: file, have: have, source: source) : 0
            if options.resume, start == 0, partial.existingLength > 0 { try file.truncate(to: 0) }
            if start > 0 { onEvent(.resumed(source: "\(source.remote)", destination: "\(path)", offset: start, upload: false)) }
            let end: UInt64
            if let spread = try await receiveSpread(source.remote, handle: source.handle, attributes: source.attributes,
                                                    from: start, into: file, destination: path, resumable: partial.resumable) {
                end = spread
            } else {
                end = try await receive(source, from: start) { offset, data in
                    try await file.store(data, at: offset)
                }
            }
            try file.truncate(to: end)
            if let existing {
                let st = try file.status()
                if st.st_uid != existing.st_uid || st.st_gid != existing.st_gid {
                    file.setOwner(existing.st_uid, group: existing.st_gid)
                }
            }
            // After chown, which clears set-id bits.
            if options.preserve, let permissions = source.attributes.permissions {
                try file.setMode(permissions)
            } else if let existing {
                try file.setMode(UInt32(existing.st_mode) & 0o7777)
            }
            try setTimesIfPreserving(file, source)
            try await syncBeforeRename(file)
            try file.close()
            try LocalFileSystem.rename(partial.path, to: path)
            try await syncDirectory(of: path)
            return end - start
        } catch {
            if let kept = partial.abandon(after: error) { onEvent(.partialKept(path: "\(path)", bytes: kept)) }
            throw error
        }
    }

    /// `-a` on a file under the final name with no partial file beside it:
    /// a shorter file whose last block matches the same bytes of the
    /// source is continued in place (written front to back from its end,
    /// so that whatever stops it leaves a longer prefix of the source); one
    /// of the source's size that matches is complete, and reported so
    /// (`alreadyComplete`). Returns nil when the file cannot be continued
    /// (larger than the source, different, not writable): the caller then
    /// replaces it as any download does, atomically.
    private func continueDestination(_ path: LocalPath, existing: stat, from source: DownloadSource) async throws -> UInt64? {
        let have = UInt64(max(0, existing.st_size))
        guard let size = source.attributes.size else { return nil }
        if have > size {
            onEvent(.notice(path: "\(path)", message: "larger than the source (\(have) bytes, the source has \(size)): cannot resume it; copying it anew"))
            return nil
        }
        guard let file = try? LocalFile.open(path, flags: O_RDWR | O_NOFOLLOW | O_NONBLOCK) else { return nil }
        defer { try? file.close() }
        // The very file `existing` describes, still regular and that long.
        guard let st = try? file.status(), st.st_mode & S_IFMT == S_IFREG, st.st_dev == existing.st_dev,
              st.st_ino == existing.st_ino, st.st_size == existing.st_size,
              file.tryLock() // not another transfer's live file
        else { return nil }
        guard try await resumeOffset(of: file, have: have, source: source) == have else {
            onEvent(.notice(path: "\(path)", message: "does not match the source where it ends: cannot resume it; copying it anew"))
            return nil
        }
        if have == size {
            if options.preserve, let permissions = source.attributes.permissions { try file.setMode(permissions) }
            try setTimesIfPreserving(file, source)
            throw TransferError(.alreadyComplete, "\(path): already complete")
        }
        onEvent(.resumed(source: "\(source.remote)", destination: "\(path)", offset: have, upload: false))
        do {
            let end = try await receive(source, from: have) { offset, data in
                try await file.store(data, at: offset)
            }
            if options.preserve, let permissions = source.attributes.permissions { try file.setMode(permissions) }
            try setTimesIfPreserving(file, source)
            try await syncBeforeRename(file)
            try file.close()
            return end - have
        } catch {
            // Still a prefix of the source: the next -a continues it.
            if let st = try? file.status(), st.st_size > 0 { onEvent(.partialKept(path: "\(path)", bytes: UInt64(st.st_size))) }
            throw error
        }
    }

    /// Written into the existing regular file at `path`: `--inplace`, or
    /// a directory that holds no partial file. Its inode, hard links,
    /// owner and mode stay; a failure leaves it partly rewritten.
    private func writeInPlace(_ path: LocalPath, existing: stat, from source: DownloadSource) async throws -> UInt64 {
        let file = try LocalFile.open(path, flags: O_RDWR | O_NOFOLLOW | O_NONBLOCK)
        defer { try? file.close() }
        let have = UInt64(max(0, existing.st_size))
        let start = options.resume && have > 0 ? try await resumeOffset(of: file, have: have, source: source) : 0
        let end = try await receive(source, from: start) { offset, data in
            try await file.store(data, at: offset)
        }
        try file.truncate(to: end)
        if options.preserve, let permissions = source.attributes.permissions { try file.setMode(permissions) }
        try setTimesIfPreserving(file, source)
        try await syncBeforeRename(file)
        try file.close()
        return end - start
    }

    /// Written front to back to a stream: no offsets, no resume, and
    /// nothing about the file itself is changed.
    private func stream(_ file: LocalFile, from source: DownloadSource) async throws -> UInt64 {
        defer { try? file.close() }
        let end = try await receive(source, from: 0) { _, data in
            try await DiskIO.run { try file.append(data) }
        }
        try file.close()
        return end
    }

    private func setTimesIfPreserving(_ file: LocalFile, _ source: DownloadSource) throws {
        if options.setsTimes, let times = source.attributes.times {
            try file.setTimes(access: times.accessTime, modification: times.modificationTime)
        }
    }

    /// Reads the remote file from `start` to its end through the read
    /// pipeline, handing each piece to `write` in order. Enforces
    /// `maxSize`, and notes a file that went on past its listed size.
    /// Returns the offset where the file ended.
    private func receive(_ source: DownloadSource, from start: UInt64,
                         _ write: @escaping (UInt64, ByteBuffer) async throws -> Void) async throws -> UInt64 {
        let maxSize = options.maxSize
        let end = try await ReadPipeline(client: client, handle: source.handle, blockLength: options.blockLength,
                                         maxOutstanding: maxOutstanding, startOffset: start,
                                         expectedSize: source.attributes.size, budget: budget, limiter: limiter,
                                         initialRequests: initialRequests)
            .run { offset, data in
                if let maxSize, offset + UInt64(data.readableBytes) > maxSize {
                    throw TransferError(.tooLarge, "\(source.remote): larger than --max-size (\(maxSize) bytes); stopped there")
                }
                let count = UInt64(data.readableBytes)
                try await write(offset, data)
                onEvent(.progress(bytes: count))
                pool?.moved(data.readableBytes)
            }
        if let listed = source.attributes.size, end > listed {
            onEvent(.notice(path: "\(source.remote)",
                            message: "read \(end - listed) bytes past its listed size of \(listed) bytes (the file grew, or the server sent more)"))
        }
        return end
    }

    /// Where a resumed download continues: `have` (the local file's
    /// length) when its last block equals the same range of the remote
    /// file, else 0.
    private func resumeOffset(of file: LocalFile, have: UInt64, source: DownloadSource) async throws -> UInt64 {
        guard have > 0 else { return 0 }
        if let remoteSize = source.attributes.size, have > remoteSize { return 0 }
        let check = min(have, UInt64(options.blockLength ?? client.readBlockLength))
        let from = have - check
        var theirs: [UInt8] = []
        theirs.reserveCapacity(Int(check))
        try await ReadPipeline(client: client, handle: source.handle, blockLength: options.blockLength,
                               maxOutstanding: options.maxOutstanding, startOffset: from, endOffset: have, budget: budget, limiter: limiter)
            .run { _, data in theirs += data.readableBytesView }
        let ours = try file.readFully(at: from, length: Int(check))
        return ours == theirs ? have : 0
    }
}
