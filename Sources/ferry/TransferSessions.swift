import ArgumentParser
import FerryKit
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

/// TransferSessions sets up the `SFTPSessionPool` of one get or put from
/// the command line's flags (FerryKit's `SFTPSessionPool.spreading` does
/// the work, as it does for a library user).
enum TransferSessions {
    typealias Direction = TransferDirection

    /// With `whenNeeded` the other sessions are opened only once the
    /// transfer asks for them (`SFTPSessionPool.prepareWhenNeeded`): what
    /// a sync does, which may find nothing to copy.
    static func pool(client: SSHClient, sftp: SFTPClient, configuration: SSHConnectionPlan,
                     flags: SessionFlags, direction: Direction, requestTimeout: Duration?,
                     connection: ConnectionOptions, whenNeeded: Bool = false) -> SFTPSessionPool {
        SFTPSessionPool.spreading(SessionSpread(channels: flags.channels, connections: flags.connections),
                                  client: client, sftp: sftp, plan: configuration, direction: direction,
                                  requestTimeout: requestTimeout, logger: configuration.configuration.logger,
                                  whenNeeded: whenNeeded)
    }
}
