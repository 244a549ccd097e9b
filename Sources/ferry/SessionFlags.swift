import ArgumentParser
import FerryKit

/// `--channels` and `--connections`: how many SFTP sessions a get or put
/// spreads its files, and the ranges of its big files, over.
struct SessionFlags: ParsableArguments {
    @Option(name: .customLong("channels"), help: ArgumentHelp("SFTP sessions (channels) per connection, each with its own window (default: chosen from the measured round-trip time and throughput, at most 8); with --scp, the scp sessions a tree upload of 64 files or more spreads over (one unless given: worth more on long links).", valueName: "count"))
    var channels: Int?

    @Option(name: .customLong("connections"), help: ArgumentHelp("SSH connections to spread files and the ranges of big files over; each is its own sshd process, so its own server core.", valueName: "count"))
    var connections: Int = 1

    func validate() throws {
        if let channels, !(1...64).contains(channels) { throw ValidationError("--channels must be between 1 and 64") }
        guard (1...16).contains(connections) else { throw ValidationError("--connections must be between 1 and 16") }
    }

    /// What FerryKit's `SFTPSessionPool.spreading` is given.
    var spread: SessionSpread { SessionSpread(channels: channels, connections: connections) }
}
