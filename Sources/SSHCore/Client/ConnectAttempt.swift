import NIOConcurrencyHelpers
import NIOCore

/// ConnectAttempt lets the cancellation of the task that awaits
/// `SSHClient.connect` end the attempt: the channel, handed over as soon as
/// the bootstrap makes it (before the TCP connect completes), is closed,
/// which fails a pending TCP connect and the wait for the server's version
/// line, key exchange or authentication alike. A channel handed over after
/// the cancellation is refused (`attach` returns false).
final class ConnectAttempt: Sendable {
    private struct State {
        var cancelled = false
        var channel: Channel?
    }

    private let state = NIOLockedValueBox(State())

    var isCancelled: Bool { state.withLockedValue { $0.cancelled } }

    /// Takes the attempt's channel, from the bootstrap's initializer; false
    /// when the attempt was cancelled already (the initializer fails then).
    func attach(_ channel: Channel) -> Bool {
        state.withLockedValue { state in
            guard !state.cancelled else { return false }
            state.channel = channel
            return true
        }
    }

    /// Closes the channel (now, or when it is attached).
    func cancel() {
        let channel = state.withLockedValue { state -> Channel? in
            state.cancelled = true
            return state.channel
        }
        channel?.close(promise: nil)
    }
}
