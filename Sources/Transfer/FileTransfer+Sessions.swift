import SFTP

/// A transfer over several SFTP sessions (`SFTPSessionPool`): files go to
/// the least busy session, and a big file's ranges to all of them at once
/// (`copyRanges`). Planning (stat, listings, mkdir) and the final rename
/// stay on the session that opened the file.
extension FileTransfer {
    /// A transfer that spreads its files and big files' ranges over the
    /// sessions of `pool`; it plans on `pool.primary`.
    public init(pool: SFTPSessionPool, options: TransferOptions = TransferOptions(),
                onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) {
        self.init(client: pool.primary, options: options, onEvent: onEvent,
                  budget: PipelineBudget(bytes: options.memoryBudget),
                  limiter: options.bytesPerSecond.map { RateLimiter(bytesPerSecond: $0) }, pool: pool)
    }

    /// This transfer on another session of its pool (same budget, options
    /// and events).
    func using(_ session: SFTPClient) -> FileTransfer {
        FileTransfer(client: session, options: options, onEvent: onEvent, budget: budget, limiter: limiter, pool: pool)
    }

    /// How many files to keep in flight over the pool: `concurrentFiles`
    /// for each open session (each is its own server process, with its
    /// own open-handle limit, and on a long link files in flight are what
    /// hides their round trips), within the local descriptor budget.
    /// Without a pool, `concurrentFiles`.
    ///
    /// While the primary is the only session open and the others are still
    /// on their way, it takes a quarter of its share: files started now
    /// stay on the session they started on, and a burst of small uploads
    /// queued behind one channel's window (sshd grants 2 MiB) would wait
    /// round trips that the sessions opening a round trip later could
    /// have taken.
    var filesInFlight: Int {
        guard let pool else { return concurrentFiles }
        let open = pool.openSessions.count
        if open <= 1, pool.isOpeningSessions { return max(1, concurrentFiles / 4) }
        return max(1, min(concurrentFiles * max(1, open), DescriptorBudget.filesInFlight))
    }

    /// `perform` on the least busy session of the pool (on `client` without
    /// one). When that session ends under the file, the file is tried once
    /// more on another: what was lost is the session, not the file.
    func performOnSession(_ job: TransferJob) async -> Result<(String, UInt64), TransferError> {
        guard let pool else { return await perform(job) }
        let session = pool.lease()
        let result = await using(session).perform(job)
        pool.release(session)
        guard case .failure(let error) = result, !session.isOpen else { return result }
        let other = pool.lease()
        defer { pool.release(other) }
        guard other !== session, other.isOpen else { return result }
        onEvent(.notice(path: job.sourceName, message: "its SFTP session ended (\(error.message)); trying it again on another"))
        return await using(other).perform(job)
    }

    /// The ranges of `start..<end` and the sessions to copy them over,
    /// this transfer's own session first; nil when the file is not worth
    /// splitting or there is one session. Waits for sessions still being
    /// opened: they were started before planning, so the wait is short.
    func spread(from start: UInt64, to end: UInt64) async -> (ranges: [Range<UInt64>], sessions: [SFTPClient])? {
        guard let pool, end > start, (end - start) / max(1, options.rangeLength) >= 2 else { return nil }
        await pool.settled()
        let sessions = [client] + pool.openSessions.filter { $0 !== client }
        guard sessions.count > 1 else { return nil }
        let ranges = RangePlan.split(from: start, to: end, sessions: sessions.count, minimum: options.rangeLength)
        guard ranges.count > 1 else { return nil }
        return (ranges, Array(sessions.prefix(ranges.count)))
    }

    /// One session's part in a ranged copy.
    struct RangeWork: Sendable {
        /// Opens the file on a session other than the first.
        let open: @Sendable (SFTPClient) async throws -> SFTPHandle
        /// Copies range `index` from `from` to its end (the file's end for
        /// the last range); returns where it ended.
        let copy: @Sendable (_ session: SFTPClient, _ handle: SFTPHandle, _ index: Int, _ from: UInt64,
                             _ range: Range<UInt64>, _ isLast: Bool) async throws -> UInt64
        /// Closes a handle `open` gave, when its ranges are done.
        let close: @Sendable (SFTPClient, SFTPHandle) async throws -> Void
        /// Told the complete prefix each time a range finishes (to keep
        /// the `RangeRecord`).
        var finished: @Sendable (UInt64) async -> Void = { _ in }
    }

    /// Copies every range of `progress` over `sessions`, each session
    /// taking the next waiting range when it finishes one. The first
    /// session uses `handle`, the others open their own. A session that
    /// ends in the middle gives its range back and the others finish it;
    /// any other failure stops the copy (and the other ranges) with that
    /// error. Fails when no session is left, naming the file (`name`) and
    /// why the sessions ended.
    func copyRanges(_ progress: RangeProgress, of name: String, over sessions: [SFTPClient], handle: SFTPHandle,
                    _ work: RangeWork) async throws {
        guard let first = sessions.first else { return }
        let all = sessions
        var sessions = sessions
        while !progress.isComplete {
            sessions = sessions.filter(\.isOpen)
            guard !sessions.isEmpty else {
                let why = all.lazy.compactMap { $0.sessionFailure?.message }.first.map { " (\($0))" } ?? ""
                throw TransferError(.remote, "\(name): every SFTP session ended before the file was complete\(why)")
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for session in sessions {
                    let own = session === first ? handle : nil
                    group.addTask { try await Self.work(on: session, handle: own, progress, work) }
                }
                try await group.waitForAll()
            }
        }
    }

    private static func work(on session: SFTPClient, handle own: SFTPHandle?, _ progress: RangeProgress,
                             _ work: RangeWork) async throws {
        var opened: SFTPHandle?
        do {
            while let next = progress.take() {
                let (index, from, range) = (next.index, next.from, next.range)
                do {
                    try Task.checkCancellation()
                    let handle: SFTPHandle
                    if let own { handle = own } else if let opened { handle = opened } else {
                        handle = try await work.open(session)
                        opened = handle
                    }
                    let end = try await work.copy(session, handle, index, from, range, index == progress.count - 1)
                    progress.finish(index, at: end)
                    await work.finished(progress.completePrefix)
                } catch {
                    progress.putBack(index)
                    // The session went away: its range waits for another.
                    if !session.isOpen, !(error is CancellationError) { return }
                    throw error
                }
            }
            if let opened { try await work.close(session, opened) }
        } catch {
            if let opened { try? await session.close(opened) }
            throw error
        }
    }
}
