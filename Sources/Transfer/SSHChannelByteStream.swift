import NIOCore
import SFTP
import SSHCore

/// SSHChannelByteStream makes an SSH channel (opened for the `sftp`
/// subsystem) the `ByteStream` the SFTP module runs over. The shapes match
/// exactly; this type exists because SFTP must not import SSHCore, and a
/// wrapper avoids a retroactive conformance of one module's type to
/// another module's protocol.
public struct SSHChannelByteStream: ByteStream {
    public let channel: SSHChannelStream

    public init(_ channel: SSHChannelStream) { self.channel = channel }

    public func read() async throws -> ByteBuffer? { try await channel.read() }
    public func write(_ data: ByteBuffer) async throws { try await channel.write(data) }
    public func closeWrite() async throws { try await channel.closeWrite() }
}

extension SSHClient {
    /// Opens the `sftp` subsystem and starts an SFTP session on it, its
    /// reader and writer on the connection's event loop. The limits are not
    /// waited for (a round trip saved), and SSH_FXP_INIT is queued with the
    /// subsystem request: a server that grants a window when the channel
    /// opens gets it at once (OpenSSH grants none until it has answered the
    /// request, so there INIT follows the answer). Closing the session
    /// (`SFTPClient.close()`) ends the channel's input; the caller closes
    /// the channel itself with `SSHChannelStream.close()`.
    ///
    /// The channel's window is granted at `receiveWindow` from the start (by
    /// default the transfer budget, `TransferOptions().memoryBudget`): the
    /// reads a transfer keeps outstanding must fit in it, and growing it
    /// from OpenSSH's 2 MiB takes several round trips, each of which on a
    /// 50 ms link is worth 20 MB at full speed.
    ///
    /// `requestTimeout` (see `SFTPClient.requestTimeout`; nil: never) ends
    /// the session when the server's SFTP side goes silent with requests
    /// outstanding, which keepalives cannot see: sshd answers them for a
    /// hung sftp-server. A shorter one also shortens the wait for the
    /// subsystem to open (30 s at most).
    ///
    /// `statsAhead`: paths to STAT right behind INIT (see
    /// `SFTPClient.connect`): the sources named on a command line, whose
    /// attributes then arrive with the server's VERSION.
    public func openSFTP(receiveWindow: Int = TransferOptions.receiveWindow,
                         requestTimeout: Duration? = SFTPClient.defaultRequestTimeout,
                         statsAhead: [SFTPPath] = []) async throws -> (SFTPClient, SSHChannelStream) {
        let window = UInt32(clamping: max(0, receiveWindow))
        let openTimeout = min(requestTimeout ?? .seconds(30), .seconds(30))
        let channel = try await openSubsystem("sftp", initialData: SFTPClient.openingPackets(statsAhead: statsAhead),
                                              receiveWindow: window, timeout: openTimeout)
        do {
            let client = try await SFTPClient.connect(over: SSHChannelByteStream(channel), executor: taskExecutor,
                                                      initSent: true, statsAhead: statsAhead, awaitLimits: false,
                                                      requestTimeout: requestTimeout)
            return (client, channel)
        } catch {
            await channel.close()
            throw error
        }
    }
}
