import Locking
import Logging

/// The direction of a transfer: it decides which window limits a channel
/// (the server's for an upload, ours for a download).
public enum TransferDirection: Sendable {
    case download, upload
}

/// How many SFTP sessions a transfer spreads its files, and the ranges of
/// its big files, over: `ferry get`/`put`'s `--channels` and `--connections`.
public struct SessionSpread: Sendable, Equatable {
    /// SFTP channels per connection; nil chooses from the measured round
    /// trip and throughput (`SessionCountPolicy`, at most 8), growing while
    /// the transfer is window-bound.
    public var channels: Int?
    /// SSH connections (each its own sshd process, so its own server core).
    public var connections: Int

    public init(channels: Int? = nil, connections: Int = 1) {
        self.channels = channels
        self.connections = connections
    }

    /// One session: the one the transfer was given.
    public static let single = SessionSpread(channels: 1, connections: 1)
}

extension SFTPSessionPool {
    /// The pool of one transfer around `sftp` (open on `client`): the first
    /// session's round trip is measured (the limits@openssh.com request's,
    /// `SFTPClient.limitsRoundTrip`), the channel count chosen from it or
    /// taken from `spread`, and the other channels and connections opened
    /// in the background while the transfer plans. Extra connections are
    /// made with `plan` (its credentials already loaded: nothing is asked
    /// twice but a password), each closed with its last session.
    /// `whenNeeded`: the other sessions open only once the transfer asks
    /// for them (a sync starts them unless it is a dry run).
    /// `roundTrip`: the connection's round trip when already measured (the
    /// SFTP channel's `SSHChannelStream.openRoundTrip`): the channels are
    /// then chosen and opened at once, a round trip before the limits
    /// reply would have said (on a 50 ms link, 50 ms sooner ready).
    public static func spreading(_ spread: SessionSpread, client: SSHClient, sftp: SFTPClient, plan: SSHConnectionPlan,
                                 direction: TransferDirection, requestTimeout: Duration?,
                                 logger: Logger, whenNeeded: Bool = false, roundTrip: Duration? = nil) -> SFTPSessionPool {
        let pool = SFTPSessionPool(primary: sftp)
        let channels = spread.channels
        let connections = max(1, spread.connections)
        if channels == 1 && connections == 1 { return pool }
        let channelOpener = Self.channelOpener(client, requestTimeout: requestTimeout, closesConnection: nil)
        let prepare: @Sendable (SFTPSessionPool) async -> Void = { pool in
            let rtt: Duration
            if let roundTrip {
                rtt = roundTrip
            } else {
                let started = ContinuousClock.now
                await sftp.limitsResolved()
                // The limits request's own round trip; timing this wait instead
                // gave microseconds whenever the reply was already in.
                rtt = sftp.limitsRoundTrip ?? started.duration(to: .now)
            }
            let policy = SessionCountPolicy()
            let window = direction == .upload ? SessionCountPolicy.openSSHChannelWindow : TransferOptions.receiveWindow
            let total = channels.map { $0 * connections } ?? policy.initial(rtt: rtt, window: window)
            let perConnection = channels ?? max(1, (total + connections - 1) / connections)
            logger.ssh(1, "round trip \(rtt); \(perConnection) SFTP channel\(perConnection == 1 ? "" : "s") on each of \(connections) connection\(connections == 1 ? "" : "s")")
            pool.open(perConnection - 1, with: channelOpener)
            if connections > 1 {
                pool.open(connections - 1) { _ in
                    try await Self.openConnection(plan, channels: perConnection, pool: pool, requestTimeout: requestTimeout)
                }
            }
            if channels == nil {
                pool.setGrowth(.init(policy: policy, rtt: rtt, window: window, open: channelOpener))
            }
        }
        if whenNeeded { pool.prepareWhenNeeded(prepare) } else { pool.prepare(prepare) }
        return pool
    }

    /// Opens one more SFTP channel on `client`.
    static func channelOpener(_ client: SSHClient, requestTimeout: Duration?,
                              closesConnection: SharedConnection?) -> SFTPSessionPool.Opener {
        { _ in
            // Counted while it opens, not only once open: a sibling closed
            // meanwhile (a late session, closed at once) must not close the
            // connection under this open.
            closesConnection?.retain()
            let sftp: SFTPClient
            let channel: SSHChannelStream
            do {
                (sftp, channel) = try await client.openSFTP(requestTimeout: requestTimeout)
            } catch {
                await closesConnection?.release()
                throw error
            }
            return SFTPSessionPool.Session(client: sftp) {
                await channel.close()
                await closesConnection?.release()
            }
        }
    }

    /// Connects another SSH connection and opens `channels` sessions on it
    /// (the first returned, the others added to `pool`).
    private static func openConnection(_ plan: SSHConnectionPlan, channels: Int, pool: SFTPSessionPool,
                                       requestTimeout: Duration?) async throws -> SFTPSessionPool.Session {
        let client = try await plan.connect()
        let shared = SharedConnection(client)
        let opener = channelOpener(client, requestTimeout: requestTimeout, closesConnection: shared)
        let first: SFTPSessionPool.Session
        do { first = try await opener(0) } catch {
            await client.close()
            throw error
        }
        pool.open(channels - 1, with: opener)
        return first
    }
}

/// SharedConnection closes an extra connection once the last of its
/// sessions is closed.
final class SharedConnection: Sendable {
    private let client: SSHClient
    private let users = Locked(0)

    init(_ client: SSHClient) { self.client = client }

    func retain() { users.withLock { $0 += 1 } }

    func release() async {
        let last = users.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if last { await client.close() }
    }
}
