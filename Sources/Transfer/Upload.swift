#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SFTP

/// Upload of one local file to one remote path, the mirror of `Download`:
/// written under the partial name beside the destination, renamed into
/// place only when complete (posix-rename@openssh.com replaces an existing
/// file atomically; without it, the old file is removed first, as plain
/// SSH_FXP_RENAME refuses to replace). Resume compares the remote partial
/// file's last block with the local file before continuing.
extension FileTransfer {
    /// Uploads `local` to exactly `remote`. Returns the bytes written.
    @discardableResult
    public func upload(_ local: String, to remote: SFTPPath) async throws -> UInt64 {
        do {
            return try await uploadFile(local, to: remote)
        } catch {
            throw TransferError.wrap(error, local)
        }
    }

    private func uploadFile(_ local: String, to remote: SFTPPath) async throws -> UInt64 {
        let file = try LocalFile.open(local, flags: O_RDONLY)
        defer { try? file.close() }
        let st = try file.status()
        if st.st_mode & S_IFMT == S_IFDIR { throw TransferError(.isDirectory, "\(local): is a directory (use -r)") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw TransferError(.notRegularFile, "\(local): not a regular file") }
        let size = UInt64(max(0, st.st_size))
        let partial = SFTPPath(bytes: PartialName.remote(remote.bytes))

        var start: UInt64 = 0
        if options.resume { start = try await resumeOffset(of: partial, local: file, localSize: size) }
        var flags: SFTPOpenFlags = [.write, .create]
        if start == 0 { flags.insert(.truncate) }
        // The partial file is always writable by us, whatever the source's
        // mode: a 0400 source would otherwise leave a partial that neither a
        // resume nor a rerun can open. Its real mode is set before the rename.
        let mode = UInt32(st.st_mode) & 0o777
        let handle = try await client.open(partial, flags: flags, attributes: SFTPAttributes(permissions: mode | 0o600))
        do {
            let end = try await WritePipeline(client: client, handle: handle, blockLength: options.blockLength,
                                              maxOutstanding: options.maxOutstanding, memoryBudget: options.writeMemoryBudget,
                                              startOffset: start, expectedSize: size - min(size, start), budget: budget)
                .run { offset, length in
                    // The file as it was when opened: its size then is where it
                    // ends (as scp sends st_size bytes), which spares a read
                    // that would only find the end.
                    guard offset < size else { return nil }
                    let count = Int(min(UInt64(length), size - offset))
                    return try await DiskIO.run { try file.read(at: offset, length: count) }
                }
            // FSETSTAT and CLOSE go out together (one round trip, not two);
            // the server handles them in order, and both must succeed before
            // the file is renamed into place.
            let attributes: SFTPAttributes?
            if options.preserve {
                attributes = SFTPAttributes(
                    permissions: UInt32(st.st_mode) & 0o7777,
                    times: SFTPAttributes.Times(accessTime: UInt32(truncatingIfNeeded: st.st_atim.tv_sec),
                                                modificationTime: UInt32(truncatingIfNeeded: st.st_mtim.tv_sec)))
            } else if mode & 0o600 != 0o600 {
                // Narrow the partial's owner bits back to the source's.
                attributes = SFTPAttributes(permissions: mode)
            } else {
                attributes = nil
            }
            do { try await client.close(handle, setting: attributes) } catch { throw CloseFailed(error: error) }
            try await replace(remote, with: partial)
            return end - start
        } catch let failed as CloseFailed {
            throw failed.error
        } catch {
            try? await client.close(handle)
            throw error
        }
    }

    /// Finishing the file failed: the handle is gone, do not close it again.
    private struct CloseFailed: Error { let error: Error }

    /// Renames the finished partial file to its final name.
    private func replace(_ remote: SFTPPath, with partial: SFTPPath) async throws {
        if client.supports(.posixRename) {
            try await client.posixRename(partial, to: remote)
        } else {
            try? await client.remove(remote)
            try await client.rename(partial, to: remote)
        }
    }

    /// Where a resumed upload continues: the remote partial file's length
    /// when its last block equals the same range of the local file, else 0.
    private func resumeOffset(of partial: SFTPPath, local: LocalFile, localSize: UInt64) async throws -> UInt64 {
        guard let attributes = try? await client.stat(partial), attributes.isRegularFile,
              let have = attributes.size, have > 0, have <= localSize else { return 0 }
        let check = min(have, UInt64(options.blockLength ?? client.readBlockLength))
        let from = have - check
        let handle = try await client.open(partial, flags: .read)
        var theirs: [UInt8] = []
        do {
            try await ReadPipeline(client: client, handle: handle, blockLength: options.blockLength,
                                   maxOutstanding: options.maxOutstanding, startOffset: from, endOffset: have)
                .run { _, data in theirs += data.readableBytesView }
        } catch {
            try? await client.close(handle)
            throw error
        }
        try await client.close(handle)
        let ours = try local.readFully(at: from, length: Int(check))
        return ours == theirs ? have : 0
    }
}
