import NIOCore
import SFTP

/// The download of one big file over several sessions: its ranges are
/// read at once, each session with its own handle and pipeline, and
/// written at their offsets into the one partial file, which is renamed
/// into place (by the caller) only when every range is done.
///
/// Each other session opens the file by name, so its FSTAT must show the
/// size and modification time the first session saw: a file replaced or
/// changed in between would otherwise mix two versions in one copy.
///
/// When the copy fails, the partial file is cut to the complete prefix
/// (`RangeProgress.completePrefix`), which `-a` then verifies and continues
/// like any partial file; the bytes of later ranges are given up.
extension FileTransfer {
    /// Reads `remote` (open as `handle` on this transfer's session) from
    /// `start` into `file` over the pool's sessions. Returns where the file
    /// ended, or nil when it is not worth splitting (the caller reads it
    /// through one pipeline).
    /// `destination` is where the file lands; `resumable` says the partial
    /// file is the canonical one, which `-a` may find: then a `RangeRecord`
    /// is kept beside it while the ranges are written (and without one,
    /// the file is not split).
    func receiveSpread(_ remote: SFTPPath, handle: SFTPHandle, attributes: SFTPAttributes, from start: UInt64,
                       into file: LocalFile, destination: LocalPath, resumable: Bool) async throws -> UInt64? {
        guard let size = attributes.size, let plan = await spread(from: start, to: size) else { return nil }
        let (ranges, sessions) = (plan.ranges, plan.sessions)
        var record: LocalRangeRecord?
        if resumable {
            guard let created = LocalRangeRecord.create(for: destination, prefix: start) else { return nil }
            record = created
        }
        let progress = RangeProgress(ranges)
        let options = self.options
        let budget = self.budget
        let limiter = self.limiter
        let onEvent = self.onEvent
        let pool = self.pool
        let work = RangeWork(
            open: { session in
                let handle = try await session.open(remote, flags: .read)
                let seen: SFTPAttributes
                do { seen = try await session.fstat(handle) } catch {
                    session.closeInBackground(handle)
                    throw error
                }
                guard seen.size == attributes.size,
                      attributes.times == nil || seen.times?.modificationTime == attributes.times?.modificationTime else {
                    session.closeInBackground(handle)
                    throw TransferError(.remote, "\(remote): changed while it was being copied (its size or time differs between sessions); try again, or with --channels 1")
                }
                return handle
            },
            copy: { session, handle, index, from, range, isLast in
                let end = try await ReadPipeline(client: session, handle: handle, blockLength: options.blockLength,
                                                 maxOutstanding: options.maxOutstanding, startOffset: from,
                                                 endOffset: isLast ? nil : range.upperBound,
                                                 expectedSize: range.upperBound, budget: budget, limiter: limiter,
                                                 initialRequests: initialRequests)
                    .run { offset, data in
                        let count = data.readableBytes
                        if let maxSize = options.maxSize, offset + UInt64(count) > maxSize {
                            throw TransferError(.tooLarge, "\(remote): larger than --max-size (\(maxSize) bytes); stopped there")
                        }
                        try await file.store(data, at: offset)
                        progress.advance(index, to: offset + UInt64(count))
                        pool?.moved(count)
                        onEvent(.progress(bytes: UInt64(count)))
                    }
                if !isLast, end < range.upperBound {
                    throw TransferError(.remote, "\(remote): ended at \(end) bytes while being copied, not at its listed \(size) (the file shrank)")
                }
                return end
            },
            close: { session, handle in session.closeInBackground(handle) },
            finished: { [record] prefix in try? record?.write(prefix) })
        do {
            try await copyRanges(progress, of: "\(remote)", over: sessions, handle: handle, work)
        } catch {
            let prefix = progress.completePrefix
            try? record?.write(prefix)
            try? file.truncate(to: prefix)
            record?.close()
            throw error
        }
        // Every range is in: the file's length is the truth again.
        record?.remove()
        let end = progress.end ?? size
        if end > size {
            onEvent(.notice(path: "\(remote)",
                            message: "read \(end - size) bytes past its listed size of \(size) bytes (the file grew, or the server sent more)"))
        }
        return end
    }
}
