import ArgumentParser
import Foundation
import SFTP
import SSHCore
import Locking
import Transfer

/// `--channels` and `--connections`: how many SFTP sessions a get or put
/// spreads its files, and the ranges of its big files, over.
struct SessionFlags: ParsableArguments {
    @Option(name: .customLong("channels"), help: ArgumentHelp("SFTP sessions (channels) per connection, each with its own window (default: chosen from the measured round-trip time and throughput, at most 8).", valueName: "count"))
    var channels: Int?

    @Option(name: .customLong("connections"), help: ArgumentHelp("SSH connections to spread files and the ranges of big files over; each is its own sshd process, so its own server core.", valueName: "count"))
    var connections: Int = 1

    func validate() throws {
        if let channels, !(1...64).contains(channels) { throw ValidationError("--channels must be between 1 and 64") }
        guard (1...16).contains(connections) else { throw ValidationError("--connections must be between 1 and 16") }
    }
}

/// TransferSessions sets up the `SFTPSessionPool` of one get or put: the
/// first session's round trip is measured (the limits@openssh.com
/// request's, `SFTPClient.limitsRoundTrip`), the channel count chosen from it
/// (`SessionCountPolicy`, or `--channels`), and the other channels and
/// connections opened in the background while the transfer plans.
enum TransferSessions {
    /// Which way the data goes: it decides which window limits a channel
    /// (the server's for an upload, ours for a download).
    enum Direction: Sendable {
        case download, upload
    }

    /// The pool around `sftp` (open on `client`), with the rest of its
    /// sessions being opened. `configuration` connects the other
    /// connections (the credentials already loaded: nothing is asked twice
    /// but a password).
    /// With `whenNeeded` the other sessions are opened only once the
    /// transfer asks for them (`SFTPSessionPool.prepareWhenNeeded`): what
    /// a sync does, which may find nothing to copy.
    static func pool(client: SSHClient, sftp: SFTPClient, configuration: SSHClient.Configuration,
                     flags: SessionFlags, direction: Direction, requestTimeout: Duration?,
                     connection: ConnectionOptions, whenNeeded: Bool = false) -> SFTPSessionPool {
        let pool = SFTPSessionPool(primary: sftp)
        let channels = flags.channels
        let connections = flags.connections
        if channels == 1 && connections == 1 { return pool }
        let channelOpener = Self.channelOpener(client, requestTimeout: requestTimeout, closesConnection: nil)
        let prepare: @Sendable (SFTPSessionPool) async -> Void = { pool in
            let started = ContinuousClock.now
            await sftp.limitsResolved()
            // The limits request's own round trip; timing this wait instead
            // gave microseconds whenever the reply was already in (the
            // transfer had waited for it first), and one channel for a put.
            let rtt = sftp.limitsRoundTrip ?? started.duration(to: .now)
            let policy = SessionCountPolicy()
            let window = direction == .upload ? SessionCountPolicy.openSSHChannelWindow : receiveWindow
            let total = channels.map { $0 * connections } ?? policy.initial(rtt: rtt, window: window)
            let perConnection = channels ?? max(1, (total + connections - 1) / connections)
            connection.log(1, "round trip \(rtt); \(perConnection) SFTP channel\(perConnection == 1 ? "" : "s") on each of \(connections) connection\(connections == 1 ? "" : "s")")
            pool.open(perConnection - 1, with: channelOpener)
            if connections > 1 {
                pool.open(connections - 1) { _ in
                    try await Self.openConnection(configuration, connection, channels: perConnection, pool: pool,
                                                  requestTimeout: requestTimeout)
                }
            }
            if channels == nil {
                pool.setGrowth(.init(policy: policy, rtt: rtt, window: window, open: channelOpener))
            }
        }
        if whenNeeded { pool.prepareWhenNeeded(prepare) } else { pool.prepare(prepare) }
        return pool
    }

    /// The window `openSFTP` grants a download's channel.
    static let receiveWindow = TransferOptions().memoryBudget + (1 << 20)

    /// Opens one more SFTP channel on `client`.
    static func channelOpener(_ client: SSHClient, requestTimeout: Duration?,
                              closesConnection: SharedConnection?) -> SFTPSessionPool.Opener {
        { _ in
            let (sftp, channel) = try await client.openSFTP(requestTimeout: requestTimeout)
            closesConnection?.retain()
            return SFTPSessionPool.Session(client: sftp) {
                await channel.close()
                await closesConnection?.release()
            }
        }
    }

    /// Connects another SSH connection and opens `channels` sessions on it
    /// (the first returned, the others added to `pool`); the connection
    /// closes with its last session.
    private static func openConnection(_ configuration: SSHClient.Configuration, _ flags: ConnectionOptions,
                                       channels: Int, pool: SFTPSessionPool,
                                       requestTimeout: Duration?) async throws -> SFTPSessionPool.Session {
        let client = try await SSHSession.connect(configuration, flags)
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
