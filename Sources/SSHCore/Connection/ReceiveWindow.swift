/// ReceiveWindow is our half of one channel's flow control: how many bytes
/// the peer may still send, and when to grant more (RFC 4254 §5.2).
///
/// Invariant: `remaining + unconsumed + consumedSinceAdjust == size`. Bytes
/// in flight from the peer plus bytes the owner holds can never exceed
/// `size`, the window we granted — that is the memory bound of the channel.
///
/// A WINDOW_ADJUST goes out only when the owner has consumed at least half
/// the window, not on every packet. When one is due and the consumer has kept
/// up (it never held more than a quarter of the window since the last
/// adjust), the window doubles, up to `maximumSize`: a fast consumer on a
/// long fat pipe gets a window that covers the bandwidth-delay product,
/// while a slow consumer keeps the initial grant. Without a clock this lag
/// is the only signal a sans-I/O state machine has that the window, not the
/// consumer, is the bottleneck. (Upstream OpenSSH keeps a fixed window and
/// re-grants only what was consumed; growing windows come from HPN-SSH.)
struct ReceiveWindow: Sendable {
    /// Bytes the peer may still send before our next WINDOW_ADJUST.
    private(set) var remaining: Int
    /// The window currently granted: in flight + held by the owner + consumed but not re-granted.
    private(set) var size: Int
    /// The most `size` may grow to.
    let maximumSize: Int
    /// Bytes delivered to the owner and not yet reported consumed.
    private(set) var unconsumed: Int = 0
    /// Bytes the owner consumed since our last WINDOW_ADJUST.
    private(set) var consumedSinceAdjust: Int = 0
    /// The most the owner held unconsumed since our last WINDOW_ADJUST: its lag.
    private(set) var peakUnconsumed: Int = 0

    init(initialSize: UInt32, maximumSize: UInt32) {
        self.size = Int(initialSize)
        self.remaining = Int(initialSize)
        self.maximumSize = max(Int(initialSize), Int(maximumSize))
    }

    /// Accounts for `count` bytes of data from the peer. Returns false, and
    /// changes nothing, when they exceed the window we granted.
    ///
    /// `deliver` is false for data arriving after we closed: it is dropped
    /// rather than handed to the owner, so it is counted as consumed at once.
    mutating func accept(_ count: Int, deliver: Bool) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        remaining -= count
        if deliver {
            unconsumed += count
            peakUnconsumed = max(peakUnconsumed, unconsumed)
        } else {
            consumedSinceAdjust += count
        }
        return true
    }

    /// Accounts for the owner having processed `count` delivered bytes
    /// (counts beyond what was delivered are ignored), and returns the number
    /// of bytes to grant in a WINDOW_ADJUST when one is due.
    ///
    /// Pass `mayAdjust: false` once the peer sent EOF or either side closed:
    /// no more data will come, so granting more would only cost a packet.
    mutating func consume(_ count: Int, mayAdjust: Bool) -> UInt32? {
        let consumed = min(max(count, 0), unconsumed)
        guard consumed > 0 else { return nil }
        unconsumed -= consumed
        consumedSinceAdjust += consumed
        guard mayAdjust, consumedSinceAdjust >= max(size / 2, 1) else { return nil }
        var newSize = size
        if size < maximumSize && peakUnconsumed <= size / 4 {
            newSize = min(maximumSize, size * 2)
        }
        let grant = consumedSinceAdjust + (newSize - size)
        // grant <= newSize <= maximumSize <= UInt32.max by construction.
        guard let wire = UInt32(exactly: grant) else { return nil }
        remaining += grant
        size = newSize
        consumedSinceAdjust = 0
        peakUnconsumed = unconsumed
        return wire
    }
}
