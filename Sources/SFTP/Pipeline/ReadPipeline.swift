import NIOCore

/// ReadPipeline reads one remote file (or a range of it) with many READ
/// requests in flight, the engine under get, resume and sync.
///
/// Requests go out in file order; the window of outstanding requests
/// starts at one (or at enough to cover a known size, see `PipelineWindow`)
/// and grows by one per reply up to `maxOutstanding`, while the bytes
/// outstanding stay within the shared `budget`.
/// Replies are taken in whatever order they come and held until the bytes
/// before them have arrived, so `sink` sees the file in order, once. A
/// short read (fewer bytes than asked, which servers may send anywhere) is
/// kept and the missing tail asked for again at once: treating it as the
/// end, or skipping the gap, is how SFTP clients have silently truncated
/// files. EOF ends the file at the lowest offset that reported it; data
/// beyond that offset means the file changed underneath and is an error.
public struct ReadPipeline: Sendable {
    public let client: SFTPClient
    public let handle: SFTPHandle
    /// Bytes per READ (limits@openssh.com's read length, else 32 KiB).
    public var blockLength: Int {
        max(1, min(requestedBlockLength ?? client.readBlockLength, SFTPProtocol.maxReadLength, budget.capacity, limiter?.maxBlockLength ?? .max))
    }
    /// `-B`: nil takes the server's limits (known once `limitsResolved()`).
    public let requestedBlockLength: Int?
    /// The most READs outstanding at once.
    public let maxOutstanding: Int
    /// Where reading starts (a resumed download starts past what it has).
    public let startOffset: UInt64
    /// Where reading stops at the latest; nil reads to EOF.
    public let endOffset: UInt64?
    /// The file's size as listed, when known: the first requests cover it
    /// and probe for EOF together, and the last data request is cut to it.
    /// Only a hint: a file that grew is read on to its real end.
    public let expectedSize: UInt64?
    /// Caps the bytes requested and not yet handed to the sink, shared
    /// with the other pipelines of a transfer.
    public let budget: PipelineBudget
    /// Paces the issue of requests to a bandwidth limit shared with the
    /// other pipelines of a transfer; nil: no limit.
    public let limiter: RateLimiter?

    /// The most READs a file of known size starts with, when not the
    /// default (`PipelineWindow.initialCap`, 8). The window then grows by
    /// one per reply, doubling each round trip: over a long link a caller
    /// that knows it can start nearer the bandwidth-delay product.
    public let initialRequests: Int?

    /// Outstanding READs by default: enough to fill a long fat link (the
    /// budget caps the bytes; at 255 KiB a block that is 64 MiB).
    public static let defaultMaxOutstanding = 256

    /// Length of the READ at the listed size, which normally answers EOF.
    static let probeLength = 4096

    public init(client: SFTPClient, handle: SFTPHandle, blockLength: Int? = nil,
                maxOutstanding: Int = ReadPipeline.defaultMaxOutstanding,
                startOffset: UInt64 = 0, endOffset: UInt64? = nil, expectedSize: UInt64? = nil,
                budget: PipelineBudget? = nil, limiter: RateLimiter? = nil, initialRequests: Int? = nil) {
        self.client = client
        self.limiter = limiter
        self.initialRequests = initialRequests
        self.handle = handle
        self.budget = budget ?? PipelineBudget()
        self.requestedBlockLength = blockLength
        self.maxOutstanding = max(1, maxOutstanding)
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.expectedSize = expectedSize
    }

    /// Reads until EOF (or `endOffset`), handing `sink` each piece with
    /// its offset, in file order. Returns the offset where reading ended.
    @discardableResult
    public func run(_ sink: (UInt64, ByteBuffer) async throws -> Void) async throws -> UInt64 {
        await client.limitsResolved()
        let blockLength = self.blockLength
        // Where the replies land: one object for the whole run, so a
        // request costs no closure, stream element or continuation.
        let replies = PipelineReplies()
        defer { replies.end() }
        let known = expectedSize.map { min($0, endOffset ?? .max) }
        var window = PipelineWindow(
            limit: maxOutstanding,
            initial: PipelineWindow.initial(covering: known.map { $0 > startOffset ? $0 - startOffset : 0 }, block: blockLength,
                                            cap: initialRequests ?? PipelineWindow.initialCap))
        var nextOffset = startOffset
        var delivered = startOffset
        var outstanding = 0
        var endOfFile: UInt64? = endOffset
        var held: [UInt64: ByteBuffer] = [:]
        var failure: Error?
        // Nothing is asked past the listed size until the probe there has
        // answered: a file that did not grow ends with the probe's EOF, and
        // reads sent after it would cost a round trip for nothing.
        var probeAnswered = known.map { $0 < startOffset } ?? true
        // Bytes of `budget` this pipeline holds: every outstanding range's
        // length plus every held reply's.
        var reserved = 0
        defer { budget.release(reserved) }

        func send(_ range: PipelineRange) {
            outstanding += 1
            client.connection.send(.read(handle: handle, offset: range.offset, length: UInt32(range.length)),
                                   maxData: range.length, to: replies, range: range)
        }

        while true {
            while failure == nil, outstanding < window.size, nextOffset < (endOfFile ?? .max) {
                if let known, nextOffset > known, !probeAnswered { break }
                var length = UInt64(blockLength)
                if let known, nextOffset < known { length = min(length, known - nextOffset) }
                // The EOF probe at the listed size is small: it is expected
                // to find nothing, and a full block would hold budget that
                // other files in flight could use. If the file grew, the
                // requests after it are full blocks again.
                if let known, nextOffset == known { length = min(length, UInt64(Self.probeLength)) }
                let count = Int(min(length, (endOfFile ?? .max) - nextOffset))
                if !budget.tryAcquire(count) {
                    // Wait in line only with nothing outstanding: replies
                    // release our bytes, and a waiting pipeline with requests
                    // out could hold budget others wait for.
                    if outstanding > 0 { break }
                    await budget.acquire(count)
                }
                reserved += count
                if let limiter {
                    // Paced here, where the request is issued: the server
                    // sends as fast as we ask. Cancelled (Ctrl-C) while
                    // waiting: stop asking; the replies due are collected.
                    do { try await limiter.acquire(count) } catch {
                        failure = error
                        break
                    }
                }
                send(PipelineRange(offset: nextOffset, length: count))
                nextOffset += UInt64(count)
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
            window.replied()
            let range = completion.range
            if range.offset == known { probeAnswered = true }
            do {
                switch try completion.result.get() {
                case .data(let data):
                    let count = data.readableBytes
                    guard count > 0 else {
                        throw SFTPError(.unexpectedReply, "the SFTP server returned no data and no EOF at offset \(range.offset)")
                    }
                    if let end = endOfFile, range.offset + UInt64(count) > end, endOffset == nil {
                        throw SFTPError(.unexpectedReply, "the file changed while it was read: data past its end at \(end)")
                    }
                    held[range.offset] = data
                    if count < range.length {
                        // The tail keeps the rest of this range's share of the budget.
                        send(PipelineRange(offset: range.offset + UInt64(count), length: range.length - count))
                    }
                case .status(let status) where status.code == .eof:
                    // Nothing came: the bytes asked for do not count against a limit.
                    limiter?.giveBack(range.length)
                    budget.release(range.length)
                    reserved -= range.length
                    if range.offset < (endOfFile ?? .max) {
                        if held.keys.contains(where: { $0 >= range.offset }) {
                            throw SFTPError(.unexpectedReply, "the file changed while it was read: EOF at \(range.offset) before data past it")
                        }
                        endOfFile = range.offset
                    }
                case let reply:
                    _ = try SFTPClient.data(reply, "read")
                }
                while let data = held.removeValue(forKey: delivered) {
                    try await sink(delivered, data)
                    delivered += UInt64(data.readableBytes)
                    budget.release(data.readableBytes)
                    reserved -= data.readableBytes
                }
            } catch {
                // Stop asking; the replies still due are ignored.
                failure = failure ?? error
                break
            }
        }
        if let failure { throw failure }
        if !held.isEmpty || delivered < (endOfFile ?? delivered) {
            throw SFTPError(.unexpectedReply, "the SFTP server's replies left a gap at offset \(delivered)")
        }
        return delivered
    }
}
