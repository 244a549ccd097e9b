import NIOConcurrencyHelpers

/// DelayProxyStatistics counts what the proxy did, across all connections.
/// Safe to read from any thread.
public final class DelayProxyStatistics: Sendable {
    /// Snapshot is a consistent copy of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// Connections accepted so far.
        public var connectionsAccepted = 0
        /// Connections whose both sides are not yet closed.
        public var connectionsOpen = 0
        /// Bytes written to destinations, both directions together.
        public var bytesForwarded = 0
        /// The most bytes any one direction held at once.
        public var peakBufferedBytes = 0
    }

    private let box = NIOLockedValueBox(Snapshot())

    /// Creates zeroed counters.
    public init() {}

    /// The counters now.
    public var snapshot: Snapshot { box.withLockedValue { $0 } }

    func connectionOpened() {
        box.withLockedValue {
            $0.connectionsAccepted += 1
            $0.connectionsOpen += 1
        }
    }

    func connectionClosed() {
        box.withLockedValue { $0.connectionsOpen -= 1 }
    }

    func forwarded(_ bytes: Int) {
        box.withLockedValue { $0.bytesForwarded += bytes }
    }

    func buffered(peak: Int) {
        box.withLockedValue { $0.peakBufferedBytes = max($0.peakBufferedBytes, peak) }
    }
}
