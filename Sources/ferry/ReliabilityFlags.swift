import FerryKit
import ArgumentParser

/// `--retries`, `--retry-delay` and `--fsync`: what a transfer does about a
/// connection that fails under it, and about a machine that fails after it.
/// Spelled as rclone (`--retries`) and sftp (`-f`, here `--fsync`) users know them.
struct ReliabilityFlags: ParsableArguments {
    @Option(help: ArgumentHelp("When the connection is lost (cut, stalled past ServerAliveInterval × ServerAliveCountMax or --timeout, or a packet failed its integrity check), reconnect up to this many times and resume every unfinished file with verified resume (as -a); files already complete are not copied again; 0 fails at once.", valueName: "count"))
    var retries: Int = 0

    @Option(name: .customLong("retry-delay"), help: ArgumentHelp("Seconds to wait before each reconnect.", valueName: "seconds"))
    var retryDelay: Double = 2

    @Flag(help: "Flush each file to stable storage before it takes its final name, as sftp -f: fsync locally, fsync@openssh.com on uploads (when the server offers it).")
    var fsync = false

    func validate() throws {
        guard (0...1000).contains(retries) else { throw ValidationError("--retries must be between 0 and 1000") }
        guard retryDelay.isFinite, (0...86_400).contains(retryDelay) else {
            throw ValidationError("--retry-delay must be a number of seconds between 0 and 86400")
        }
    }

    /// The policy these flags ask for.
    var policy: RetryPolicy { RetryPolicy(retries: retries, delay: .nanoseconds(Int64(retryDelay * 1e9))) }
}
