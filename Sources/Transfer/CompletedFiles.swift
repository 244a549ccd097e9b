import Locking

/// CompletedFiles carries what one run of a transfer learnt to the same
/// transfer run again — a reconnect after a lost connection
/// (`--retries`) — so the rerun plans the same copy and does only what is
/// left:
///
/// - the destinations already landed: their files are neither read nor
///   written again, and do not count twice in the report;
/// - whether the destination was a directory when first planned: the
///   first run may have made it (`get -r dir local`), and planning again
///   would then copy into it (`local/dir/…`) instead of as it.
///
/// Destinations are the exact bytes of the local path (get) or remote
/// path (put) the planner produced, which the same plan produces again.
public final class CompletedFiles: Sendable {
    private struct State {
        var destinations = Set<[UInt8]>()
        var intoDirectory: Bool?
    }

    private let state = Locked(State())

    public init() {}

    /// How many destinations are recorded.
    public var count: Int { state.withLock { $0.destinations.count } }

    /// True when `destination` landed in an earlier run.
    public func contains(_ destination: [UInt8]) -> Bool {
        state.withLock { $0.destinations.contains(destination) }
    }

    func insert(_ destination: [UInt8]) {
        _ = state.withLock { $0.destinations.insert(destination) }
    }

    /// Whether the first run found the destination a directory; nil
    /// before any run planned.
    var intoDirectory: Bool? { state.withLock { $0.intoDirectory } }

    /// Records the first run's answer (later answers are ignored) and
    /// returns the one in force.
    func pinIntoDirectory(_ found: Bool) -> Bool {
        state.withLock { state in
            if let pinned = state.intoDirectory { return pinned }
            state.intoDirectory = found
            return found
        }
    }
}
