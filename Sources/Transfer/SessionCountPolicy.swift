/// SessionCountPolicy chooses how many SFTP sessions (channels) a transfer
/// spreads over, from the measured round-trip time and throughput.
///
/// One session channel carries at most its window per round trip: sshd
/// grants a session channel 2 MiB and never more, so an upload over one
/// channel tops out near 2 MiB / RTT (≈ 40 MB/s at 50 ms) whatever the
/// client does. Several channels on one connection each get their own
/// window. Past one connection's own ceiling (sshd's one process encrypts
/// everything of its connection on one core) more channels only cost
/// server processes, so the policy aims at `connectionRate` and no more,
/// and at one session when the window is no limit at all (a short link:
/// there extra sessions only cost CPU).
///
/// Two steps: `initial` before any data moved (from the RTT of the SFTP
/// session's first request and the window), then `next` as throughput is
/// measured: the count doubles, up to `cap`, while the sessions carry
/// nearly all their windows allow (the window is the limit), and stays
/// put otherwise (the link, the disk or the CPU is).
public struct SessionCountPolicy: Sendable, Equatable {
    /// The most sessions chosen automatically (`--channels` may ask for more).
    public var cap = 8
    /// Bytes per second that one SSH connection is expected to carry at
    /// most (about one server core's cipher and MAC): the target of
    /// `initial`. Measured throughput corrects it through `next`.
    public var connectionRate = 400e6
    /// The share of the windows' limit (sessions × window / RTT) that
    /// counts as window-bound in `next`.
    public var windowBound = 0.7

    /// OpenSSH's session channel window (CHAN_SES_WINDOW_DEFAULT, 64 ×
    /// 32 KiB): what a stock sshd lets a client send per channel, and so
    /// the window an upload is planned with.
    public static let openSSHChannelWindow = 2 << 20

    public init(cap: Int = 8, connectionRate: Double = 400e6, windowBound: Double = 0.7) {
        self.cap = max(1, cap)
        self.connectionRate = connectionRate
        self.windowBound = windowBound
    }

    /// The sessions to start with: enough that their windows together
    /// cover the bandwidth-delay product of `connectionRate` at `rtt`,
    /// between 1 and `cap`.
    public func initial(rtt: Duration, window: Int) -> Int {
        let seconds = Self.seconds(rtt)
        guard seconds > 0, window > 0, connectionRate > 0 else { return 1 }
        let needed = (connectionRate * seconds / Double(window)).rounded(.up)
        guard needed.isFinite else { return cap }
        return Int(min(Double(cap), max(1, needed)))
    }

    /// The sessions to have after `current` sessions carried `throughput`
    /// bytes per second: twice as many (up to `cap`) when that is at least
    /// `windowBound` of what their windows allow at `rtt`, else `current`.
    public func next(current: Int, rtt: Duration, window: Int, throughput: Double) -> Int {
        let current = max(1, current)
        let seconds = Self.seconds(rtt)
        guard current < cap, seconds > 0, window > 0, throughput.isFinite, throughput > 0 else { return current }
        let windowLimit = Double(current) * Double(window) / seconds
        guard throughput >= windowBound * windowLimit else { return current }
        return min(cap, current * 2)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
