import NIOCore

/// WritePipeline writes one remote file (or its tail) with many WRITE
/// requests in flight: the mirror of `ReadPipeline`, the engine under put
/// and resumed uploads.
///
/// The source is asked for the file in order, one block at a time, and each
/// block goes out as a WRITE at its offset as soon as the window allows, so
/// requests reach the server in file order. The window of outstanding
/// requests starts at one and grows by one per reply up to
/// `maxOutstanding` (slow start: a server that refuses the first WRITE has
/// not been sent a hundred more). Unlike reads, every outstanding WRITE
/// holds its data in our memory until the packet is written, so the bytes
/// outstanding are also capped by `memoryBudget`. Replies are taken in
/// whatever order they come; the first failure stops new requests, the
/// replies still due are awaited (so nothing is in flight once `run`
/// returns), and the failure is thrown.
public struct WritePipeline: Sendable {
    public let client: SFTPClient
    public let handle: SFTPHandle
    /// Bytes per WRITE (limits@openssh.com's write length, else 32 KiB).
    public var blockLength: Int {
        max(1, min(requestedBlockLength ?? client.writeBlockLength, SFTPProtocol.maxReadLength, budget.capacity, limiter?.maxBlockLength ?? .max))
    }
    /// `-B`: nil takes the server's limits (known once `limitsResolved()`).
    public let requestedBlockLength: Int?
    /// The most WRITEs outstanding at once.
    public let maxOutstanding: Int
    /// The most bytes outstanding at once (at least one block is always allowed).
    public let memoryBudget: Int
    /// Where writing starts (a resumed upload starts past what is there).
    public let startOffset: UInt64
    /// The bytes the source will supply, when known: the first window
    /// covers a small file whole (one round trip).
    public let expectedSize: UInt64?
    /// Caps the bytes outstanding across all pipelines of a transfer.
    public let budget: PipelineBudget
    /// Paces the issue of requests to a bandwidth limit shared with the
    /// other pipelines of a transfer; nil: no limit.
    public let limiter: RateLimiter?

    public init(client: SFTPClient, handle: SFTPHandle, blockLength: Int? = nil,
                maxOutstanding: Int = ReadPipeline.defaultMaxOutstanding,
                memoryBudget: Int = 16 << 20, startOffset: UInt64 = 0, expectedSize: UInt64? = nil,
                budget: PipelineBudget? = nil, limiter: RateLimiter? = nil) {
        self.client = client
        self.limiter = limiter
        self.handle = handle
        self.budget = budget ?? PipelineBudget()
        self.requestedBlockLength = blockLength
        self.maxOutstanding = max(1, maxOutstanding)
        self.memoryBudget = max(1, memoryBudget)
        self.startOffset = startOffset
        self.expectedSize = expectedSize
    }

    /// Bytes a source may leave free before each block's data (its reader
    /// index): the WRITE header is then written there, and the block is
    /// sent without being copied. Enough for any handle OpenSSH makes.
    public static let headroom = 512

    /// Writes what `source` supplies until it returns nil or an empty
    /// buffer. `source(offset, maxLength)` gives the next bytes of the file
    /// at `offset`, at most `maxLength` of them (fewer is fine: the next
    /// call asks from where they ended). A block in a buffer of its own
    /// with `headroom` bytes before its data goes out without a copy.
    /// Returns the offset where the data ended, once the server has
    /// acknowledged every WRITE.
    @discardableResult
    public func run(_ source: (UInt64, Int) async throws -> ByteBuffer?) async throws -> UInt64 {
        await client.limitsResolved()
        let blockLength = self.blockLength
        // As in ReadPipeline: one object takes every reply of the run.
        let replies = PipelineReplies()
        defer { replies.end() }
        var window = PipelineWindow(limit: maxOutstanding,
                                    initial: PipelineWindow.initial(covering: expectedSize, block: blockLength))
        var nextOffset = startOffset
        var outstanding = 0
        var outstandingBytes = 0
        var sourceEnded = false
        var failure: Error?
        defer { budget.release(outstandingBytes) }

        while true {
            while failure == nil, !sourceEnded, outstanding < window.size,
                  outstanding == 0 || outstandingBytes + blockLength <= memoryBudget {
                // The block's share of the budget is taken before the source
                // is read, so no data waits in memory for it. As in
                // ReadPipeline: wait in line only with nothing outstanding.
                if !budget.tryAcquire(blockLength) {
                    if outstanding > 0 { break }
                    await budget.acquire(blockLength)
                }
                let supplied: ByteBuffer?
                do {
                    supplied = try await source(nextOffset, blockLength)
                } catch {
                    budget.release(blockLength)
                    failure = error
                    break
                }
                // One binding of the block from here on (`consume`): the
                // WRITE header can then go in its headroom without a copy.
                guard let data = consume supplied, data.readableBytes > 0 else {
                    budget.release(blockLength)
                    sourceEnded = true
                    break
                }
                guard data.readableBytes <= blockLength else {
                    budget.release(blockLength)
                    failure = SFTPError(.invalidArgument, "the write source returned \(data.readableBytes) bytes for a block of \(blockLength)")
                    break
                }
                let range = PipelineRange(offset: nextOffset, length: data.readableBytes)
                budget.release(blockLength - range.length)
                if let limiter {
                    // Paced where the WRITE is sent (see RateLimiter).
                    do { try await limiter.acquire(range.length) } catch {
                        budget.release(range.length)
                        failure = error
                        break
                    }
                }
                outstanding += 1
                outstandingBytes += range.length
                nextOffset += UInt64(range.length)
                // Handed over (the pipeline keeps no reference), so the
                // header can go in the block's headroom without a copy.
                client.connection.sendWrite(handle: handle, offset: range.offset, data: consume data, to: replies, range: range)
            }
            if outstanding == 0 { break }
            guard let completion = await replies.next() else {
                // The reply stream ends early only when this task is
                // cancelled (Ctrl-C): that is a failure, never the end of
                // the file, or a short copy would be renamed into place.
                failure = failure ?? CancellationError()
                break
            }
            outstanding -= 1
            outstandingBytes -= completion.range.length
            budget.release(completion.range.length)
            window.replied()
            do {
                try SFTPClient.ok(try completion.result.get(), "write at offset \(completion.range.offset)")
            } catch {
                // Stop sending; keep collecting the replies still due.
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return nextOffset
    }
}
