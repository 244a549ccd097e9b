import Locking

/// RangePlan splits what is left of one big file into ranges that several
/// SFTP sessions copy at once, each range front to back through its own
/// pipeline.
///
/// Ranges are large (`minimum`, by default 32 MiB, up to twice that):
/// each costs an OPEN per session and a pipeline ramp, and a resume keeps
/// only the complete prefix (see `RangeProgress`), so a few big ranges
/// beat many small ones. A file is split only when at least two ranges of
/// `minimum` bytes remain and there are at least two sessions.
enum RangePlan {
    /// The ranges of `start..<end` for `sessions` sessions, in file order,
    /// adjacent, covering it exactly. One range when splitting does not pay.
    /// Lengths are multiples of `alignment` (but the last).
    static func split(from start: UInt64, to end: UInt64, sessions: Int, minimum: UInt64,
                      alignment: UInt64 = 1 << 20) -> [Range<UInt64>] {
        guard end > start else { return [] }
        let remaining = end - start
        let minimum = max(1, minimum)
        guard sessions > 1, remaining / minimum >= 2 else { return [start..<end] }
        let maximum = minimum.multipliedReportingOverflow(by: 2).overflow ? UInt64.max : minimum * 2
        let share = remaining / UInt64(sessions) + (remaining % UInt64(sessions) == 0 ? 0 : 1)
        var length = min(max(share, minimum), maximum)
        let alignment = max(1, min(alignment, minimum))
        if length % alignment != 0 {
            let up = length + (alignment - length % alignment)
            length = up < length ? length : up
        }
        var ranges: [Range<UInt64>] = []
        var lower = start
        while lower < end {
            let upper = end - lower <= length ? end : lower + length
            ranges.append(lower..<upper)
            lower = upper
        }
        return ranges
    }
}

/// RangeProgress is the shared state of one file's ranges while sessions
/// copy them: which range to take next, how far each got, and the
/// complete prefix.
///
/// Ranges are handed out in file order, so the complete prefix trails the
/// furthest byte by at most one range per session. That prefix is what a
/// failed ranged transfer keeps: the partial file is cut to it, and a
/// later `-a` verifies its last block and continues, as for any partial
/// file. Bytes written past the prefix by other ranges are given up (they
/// would be holes to a resume that cannot tell data from zeros).
final class RangeProgress: Sendable {
    private struct State {
        let ranges: [Range<UInt64>]
        /// Per range, the bytes written contiguously from its start.
        var done: [UInt64]
        /// Ranges no session holds and not complete, lowest first.
        var waiting: [Int]
        /// Where each range actually ended: the last one may end past its
        /// planned end (the file grew) or before it (it shrank).
        var ends: [UInt64?]
    }

    private let state: Locked<State>

    init(_ ranges: [Range<UInt64>]) {
        state = Locked(State(ranges: ranges, done: Array(repeating: 0, count: ranges.count),
                            waiting: Array(ranges.indices), ends: Array(repeating: nil, count: ranges.count)))
    }

    var count: Int { state.withLock { $0.ranges.count } }

    /// The next range to copy: its index and where to start (past what an
    /// earlier attempt wrote), or nil when none is waiting.
    func take() -> (index: Int, from: UInt64, range: Range<UInt64>)? {
        state.withLock { state in
            guard !state.waiting.isEmpty else { return nil }
            let index = state.waiting.removeFirst()
            let range = state.ranges[index]
            return (index, range.lowerBound + state.done[index], range)
        }
    }

    /// Range `index` holds data up to `offset`, contiguously from its start.
    func advance(_ index: Int, to offset: UInt64) {
        state.withLock { state in
            guard state.ranges.indices.contains(index) else { return }
            let lower = state.ranges[index].lowerBound
            if offset > lower { state.done[index] = max(state.done[index], offset - lower) }
        }
    }

    /// Range `index` ended at `offset` (its planned end, or the file's).
    func finish(_ index: Int, at offset: UInt64) {
        state.withLock { state in
            guard state.ranges.indices.contains(index) else { return }
            state.ends[index] = offset
            let lower = state.ranges[index].lowerBound
            if offset > lower { state.done[index] = max(state.done[index], offset - lower) }
        }
    }

    /// Range `index` was given up by a session that went away: another
    /// takes it from where it got.
    func putBack(_ index: Int) {
        state.withLock { state in
            guard state.ranges.indices.contains(index), state.ends[index] == nil, !state.waiting.contains(index) else { return }
            state.waiting.append(index)
            state.waiting.sort()
        }
    }

    /// True when every range finished.
    var isComplete: Bool { state.withLock { !$0.ends.contains(nil) } }

    /// Where the file ended: the last range's end, once all finished.
    var end: UInt64? {
        state.withLock { state in state.ends.contains(nil) ? nil : state.ends.last ?? nil }
    }

    /// The end of the leading bytes all written: through every finished
    /// range in order, into the first unfinished one as far as it got.
    var completePrefix: UInt64 {
        state.withLock { state in
            var prefix: UInt64 = state.ranges.first?.lowerBound ?? 0
            for index in state.ranges.indices {
                let range = state.ranges[index]
                prefix = range.lowerBound + state.done[index]
                guard let end = state.ends[index], end >= range.upperBound else { break }
                prefix = end
            }
            return prefix
        }
    }
}
