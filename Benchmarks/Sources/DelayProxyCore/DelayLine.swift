import NIOCore

/// DelayLine is the sans-I/O state of one direction of a proxied connection:
/// the bytes read from the source that are not yet written to the destination,
/// each stamped with the time it may leave, plus an optional token bucket.
///
/// Invariants:
/// - Output order is input order: nothing is ever reordered, an end marker
///   leaves only after every byte enqueued before it.
/// - Nothing leaves before `enqueued + delay`.
/// - With a rate cap, bytes leave no faster than the bucket allows.
/// - `bufferedBytes` counts the data held; the driver stops reading the source
///   while `shouldPauseReading` is true, which bounds it by
///   `capacity` + what one read burst can deliver.
///
/// Time is passed in (`now`), so the whole type is testable without a clock.
public struct DelayLine {
    /// End describes how the source finished.
    public enum End: Equatable, Sendable {
        /// The source sent EOF (half-close): shut the destination's output down.
        case halfClose
        /// The source went away altogether (reset, error, full close): close the destination.
        case close
    }

    /// Step is what the driver should do next.
    public enum Step {
        /// Write these bytes to the destination now.
        case write(ByteBuffer)
        /// Forward the source's end to the destination now.
        case end(End)
        /// Nothing may leave before this time; call `next` again then.
        case wait(until: NIODeadline)
        /// Nothing is queued.
        case idle
    }

    private enum Item {
        /// Bytes of the stream.
        case data(ByteBuffer)
        /// The source's end; nothing follows it.
        case end(End)
    }

    private var queue = CircularBuffer<(due: NIODeadline, item: Item)>()
    private var bucket: TokenBucket?
    private var endQueued: End?

    /// The one-way delay added to every byte.
    public let delay: TimeAmount
    /// Above this many buffered bytes, the driver should stop reading the source.
    public let capacity: Int
    /// Bytes currently held.
    public private(set) var bufferedBytes = 0
    /// The most bytes ever held at once.
    public private(set) var peakBufferedBytes = 0

    /// Creates a line with the given delay, optional rate cap and buffer capacity.
    public init(delay: TimeAmount, rate: TokenBucket? = nil, capacity: Int) {
        self.delay = delay
        self.bucket = rate
        self.capacity = max(1, capacity)
    }

    /// True while the source should not be read (more than `capacity` held).
    public var shouldPauseReading: Bool { bufferedBytes > capacity }

    /// True once an end was enqueued; later data is dropped.
    public var hasEnded: Bool { endQueued != nil }

    /// True when neither data nor an end marker is queued.
    public var isEmpty: Bool { queue.isEmpty }

    /// Queues bytes read at `now`; they become due at `now + delay`.
    public mutating func enqueue(_ bytes: ByteBuffer, now: NIODeadline) {
        guard endQueued == nil, bytes.readableBytes > 0 else { return }
        queue.append((now + delay, .data(bytes)))
        bufferedBytes += bytes.readableBytes
        peakBufferedBytes = max(peakBufferedBytes, bufferedBytes)
    }

    /// Queues the source's end, seen at `now`; it is forwarded after every queued byte
    /// and not before `now + delay`. A `.close` may follow a `.halfClose` (the
    /// source first sent EOF, then went away); anything else after an end is ignored.
    public mutating func enqueueEnd(_ end: End, now: NIODeadline) {
        switch (endQueued, end) {
        case (nil, _), (.halfClose?, .close):
            endQueued = end
            queue.append((now + delay, .end(end)))
        default:
            return
        }
    }

    /// Drops everything queued and anything enqueued later (the destination is gone).
    public mutating func discardAll() {
        queue.removeAll()
        bufferedBytes = 0
        endQueued = .close
    }

    /// Returns the next thing to do at time `now`, consuming it from the queue
    /// if it is a write or an end.
    public mutating func next(now: NIODeadline) -> Step {
        guard let head = queue.first else { return .idle }
        if head.due > now { return .wait(until: head.due) }
        switch head.item {
        case .end(let end):
            queue.removeFirst()
            return .end(end)
        case .data(var bytes):
            var allowed = bytes.readableBytes
            if var limiter = bucket {
                let grant = limiter.grant(upTo: allowed, now: now)
                bucket = limiter
                switch grant {
                case .granted(let n):
                    allowed = n
                case .wait(let until):
                    return .wait(until: until)
                }
            }
            if allowed >= bytes.readableBytes {
                queue.removeFirst()
                bufferedBytes -= bytes.readableBytes
                return .write(bytes)
            }
            // Only part of the chunk may go now: split it, keep the rest at the head.
            guard let part = bytes.readSlice(length: allowed) else { return .wait(until: now) }
            queue[queue.startIndex] = (head.due, .data(bytes))
            bufferedBytes -= part.readableBytes
            return .write(part)
        }
    }
}
