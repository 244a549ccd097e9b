import SFTP
import SSHCore

/// RetryPolicy decides whether a failed connection is worth another: a
/// lost connection (cut, silent past the keepalives or the request
/// timeout, a packet that failed its MAC) is, since the next one may well
/// get through; a refusal the server would repeat (authentication, host
/// key, no common algorithm, a protocol the server breaks on purpose) is not.
///
/// `ferry get`/`put`/`sync`/`sftp -b` reconnect with it (`--retries`,
/// `--retry-delay`) through ``run(connectingWith:isolation:_:onRetry:)``,
/// which a program can call as they do; one that reconnects by itself can
/// ask ``isConnectionLoss(_:)`` the same question.
public struct RetryPolicy: Sendable, Equatable {
    /// Reconnects allowed after the first connection (`--retries`).
    public var retries: Int
    /// The wait before each reconnect (`--retry-delay`).
    public var delay: Duration

    public init(retries: Int, delay: Duration) {
        self.retries = retries
        self.delay = delay
    }

    public static let none = RetryPolicy(retries: 0, delay: .zero)

    /// True when `error` (from connecting, or why a connection ended) says
    /// the connection was lost rather than refused.
    public static func isConnectionLoss(_ error: Error) -> Bool {
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
    public var delayText: String {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
