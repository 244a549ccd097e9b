import NIOCore
import SFTP

/// The upload of one big file over several sessions, the mirror of
/// `RangedDownload`: each other session opens the partial file this
/// transfer claimed (by its name, write only, never creating it) and
/// writes its ranges at their offsets; the caller closes and renames it
/// only once every range is acknowledged.
///
/// A WRITE counts only when acknowledged, and a pipeline reports its
/// acknowledgements at its end, so a range counts as written only when
/// finished. When the copy fails, the partial file is cut (FSETSTAT size)
/// to the complete prefix, which `-a` verifies and continues.
extension FileTransfer {
    /// Sends `file` (of `size` bytes when opened) from `start` to the
    /// partial file `path`, open as `handle` on this transfer's session.
    /// Returns where it ended, or nil when it is not worth splitting.
    /// `destination` is where the file lands; `resumable` says the partial
    /// file is the canonical one: then a `RangeRecord` is kept beside it
    /// (see `receiveSpread`).
    func sendSpread(_ file: LocalFile, size: UInt64, to path: SFTPPath, handle: SFTPHandle,
                    from start: UInt64, destination: SFTPPath, resumable: Bool) async throws -> UInt64? {
        guard let plan = await spread(from: start, to: size) else { return nil }
        let (ranges, sessions) = (plan.ranges, plan.sessions)
        var record: RemoteRangeRecord?
        if resumable {
            guard let created = await RemoteRangeRecord.create(client, for: destination, prefix: start) else { return nil }
            record = created
        }
        let progress = RangeProgress(ranges)
        let options = self.options
        let budget = self.budget
        let pool = self.pool
        let limiter = self.limiter
        let onEvent = self.onEvent
        let work = RangeWork(
            open: { session in try await session.open(path, flags: [.write]) },
            copy: { session, handle, index, from, range, _ in
                let end = try await WritePipeline(client: session, handle: handle, blockLength: options.blockLength,
                                                  maxOutstanding: options.maxOutstanding,
                                                  memoryBudget: options.writeMemoryBudget, startOffset: from,
                                                  expectedSize: range.upperBound - min(range.upperBound, from), budget: budget,
                                                  limiter: limiter)
                    .run { offset, length in
                        guard offset < range.upperBound else { return nil }
                        let count = Int(min(UInt64(length), range.upperBound - offset))
                        let data = try await file.fetch(at: offset, length: count, headroom: WritePipeline.headroom)
                        pool?.moved(data.readableBytes)
                        onEvent(.progress(bytes: UInt64(data.readableBytes)))
                        return data
                    }
                return end
            },
            close: { session, handle in try await session.close(handle) },
            finished: { [record] prefix in try? await record?.write(prefix) })
        do {
            try await copyRanges(progress, of: "\(path)", over: sessions, handle: handle, work)
        } catch {
            let prefix = progress.completePrefix
            try? await record?.write(prefix)
            try? await client.fsetstat(handle, SFTPAttributes(size: prefix))
            if let record { try? await client.close(record.handle) }
            throw error
        }
        await record?.remove()
        return progress.end ?? size
    }
}
