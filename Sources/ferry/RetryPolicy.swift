import SFTP
import SSHCore

/// RetryPolicy decides whether a failed connection is worth another: a
/// lost connection (cut, silent past the keepalives or the request
/// timeout, a packet that failed its MAC) is, since the next one may well
/// get through; a refusal the server would repeat (authentication, host
/// key, no common algorithm, a protocol the server breaks on purpose) is not.
struct RetryPolicy {
    /// Reconnects allowed after the first connection (`--retries`).
    var retries: Int
    /// The wait before each reconnect (`--retry-delay`).
    var delay: Duration

    static let none = RetryPolicy(retries: 0, delay: .zero)

    /// True when `error` (from connecting, or why a connection ended) says
    /// the connection was lost rather than refused.
    static func isConnectionLoss(_ error: Error) -> Bool {
        switch error {
        case let error as SSHError:
            switch error.code {
            case .integrityFailure, .protocolError, .disconnectedByPeer, .connectionClosed, .timeout, .io: return true
            default: return false
            }
        case let error as SFTPError:
            return error.code == .connectionClosed || error.code == .timedOut
        default:
            return false
        }
    }

    /// "2 s", "0.5 s": the delay as the messages say it.
    var delayText: String {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
