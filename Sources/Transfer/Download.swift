#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SFTP

/// Download of one remote file to one local path.
///
/// The bytes go to the partial name beside the destination (see
/// `PartialName`) and are renamed into place only once every byte is
/// written: an interrupted download never leaves a short file under the
/// final name. A failed download keeps a non-empty partial file so that
/// `-a` can continue it; resume first re-reads the partial file's last
/// block from the server and compares, and starts over on a mismatch (the
/// source changed, or the partial file is not what it claims to be).
extension FileTransfer {
    /// Downloads `remote` to exactly `local` (not into it, if it is a
    /// directory). Returns the bytes read from the server. `attributes`,
    /// when they say a regular file's size and mode (as READDIR and STAT
    /// replies from OpenSSH do), spare an FSTAT round trip.
    @discardableResult
    public func download(_ remote: SFTPPath, to local: String, attributes: SFTPAttributes? = nil) async throws -> UInt64 {
        let handle: SFTPHandle
        do { handle = try await client.open(remote, flags: .read) } catch { throw TransferError.wrap(error, "\(remote)") }
        do {
            let bytes = try await download(handle, remote, to: local, listed: attributes)
            client.closeInBackground(handle)
            return bytes
        } catch {
            try? await client.close(handle)
            throw TransferError.wrap(error, "\(remote)")
        }
    }

    private func download(_ handle: SFTPHandle, _ remote: SFTPPath, to local: String, listed: SFTPAttributes?) async throws -> UInt64 {
        let attributes: SFTPAttributes
        if let listed, listed.isRegularFile, listed.size != nil, listed.permissions != nil,
           !options.preserve || listed.times != nil {
            attributes = listed
        } else {
            attributes = try await client.fstat(handle)
        }
        if attributes.isDirectory { throw TransferError(.isDirectory, "\(remote): is a directory (use -r)") }
        if attributes.fileType != nil, !attributes.isRegularFile {
            throw TransferError(.notRegularFile, "\(remote): not a regular file")
        }
        let partial = PartialName.local(local)
        // As sftp: the copy gets the source's permission bits, umask applied,
        // and is always writable by us (we write it, and may resume it).
        let mode = mode_t((attributes.permissions ?? 0o666) & 0o777) | 0o600
        let file = try LocalFile.open(partial, flags: O_RDWR | O_CREAT | (options.resume ? 0 : O_TRUNC), mode: mode)
        var start: UInt64 = 0
        do {
            if options.resume {
                start = try await resumeOffset(of: file, handle: handle, remoteSize: attributes.size)
                if start == 0 { try file.truncate(to: 0) }
            }
            let end = try await ReadPipeline(client: client, handle: handle, blockLength: options.blockLength,
                                             maxOutstanding: options.maxOutstanding, startOffset: start,
                                             expectedSize: attributes.size, budget: budget)
                .run { offset, data in try await DiskIO.run { try file.write(data, at: offset) } }
            try file.truncate(to: end)
            if options.preserve {
                if let permissions = attributes.permissions { try file.setMode(permissions) }
                if let times = attributes.times { try file.setTimes(access: times.accessTime, modification: times.modificationTime) }
            }
            try file.close()
            try LocalFileSystem.rename(partial, to: local)
            return end - start
        } catch {
            let kept = (try? file.status().st_size).map { $0 > 0 } ?? false
            try? file.close()
            if !kept { LocalFileSystem.remove(partial) }
            throw error
        }
    }

    /// Where a resumed download continues: the partial file's length when
    /// its last block equals the same range of the remote file, else 0.
    private func resumeOffset(of file: LocalFile, handle: SFTPHandle, remoteSize: UInt64?) async throws -> UInt64 {
        let have = UInt64(max(0, try file.status().st_size))
        guard have > 0 else { return 0 }
        if let remoteSize, have > remoteSize { return 0 }
        let check = min(have, UInt64(options.blockLength ?? client.readBlockLength))
        let from = have - check
        var theirs: [UInt8] = []
        theirs.reserveCapacity(Int(check))
        try await ReadPipeline(client: client, handle: handle, blockLength: options.blockLength,
                               maxOutstanding: options.maxOutstanding, startOffset: from, endOffset: have, budget: budget)
            .run { _, data in theirs += data.readableBytesView }
        let ours = try file.readFully(at: from, length: Int(check))
        return ours == theirs ? have : 0
    }
}
