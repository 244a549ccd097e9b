/// ConnectionError is the one error type of the SSH connection protocol layer
/// (RFC 4254): a channel or global message from the peer broke the protocol,
/// or the owner asked the multiplexer for something the channel's state does
/// not allow.
///
/// Errors thrown by `ChannelMultiplexer.receive(payload:)` are the peer's
/// fault; the owner must end the connection (SSH_MSG_DISCONNECT with reason 2,
/// SSH_DISCONNECT_PROTOCOL_ERROR) because the two sides no longer agree on
/// channel state. Errors thrown by the command methods (`openSession()`,
/// `sendData(_:on:)`, …) are local misuse and leave the multiplexer unchanged.
///
/// Every failure carries a stable `code` (for tests and for mapping to exit
/// statuses) and a `message` a person can act on.
public struct ConnectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers for the ways the connection protocol can fail.
    public enum Code: String, Sendable {
        /// A payload is too short, has a bad length field, or has trailing bytes.
        case malformedMessage
        /// A payload outside the connection protocol's numbers (80–127) reached the multiplexer.
        case unexpectedMessage
        /// A message names a channel number this side never allocated (or the owner passed one).
        case unknownChannel
        /// A message names a channel that is already closed and released.
        case channelClosed
        /// A message names a channel whose open has not completed yet.
        case channelNotOpen
        /// OPEN_CONFIRMATION or OPEN_FAILURE for a channel that has no open pending.
        case unexpectedOpenReply
        /// The peer sent more channel data than the window we granted.
        case windowExceeded
        /// The peer sent one data packet larger than the maximum packet size we advertised.
        case packetTooLarge
        /// A WINDOW_ADJUST would push the peer's window past 2^32−1 bytes.
        case windowOverflow
        /// Data, extended data or a second EOF arrived after the peer's EOF.
        case dataAfterEOF
        /// REQUEST_SUCCESS/FAILURE or CHANNEL_SUCCESS/FAILURE with no request awaiting a reply.
        case unexpectedReply
        /// The peer left more requests unanswered by us than the configured cap.
        case requestBacklogExceeded
        /// The owner tried to open a channel while the configured number of channels is open.
        case tooManyChannels
        /// The owner sent a request wanting a reply while the configured number are unanswered.
        case tooManyPendingRequests
        /// The owner asked for something the channel's state does not allow (send after EOF, reply with nothing pending…).
        case invalidState
    }

    /// Which failure this is; stable across releases.
    public let code: Code
    /// What happened, for a person: names the message and channel involved.
    public let message: String

    /// Makes an error with a stable code and a human message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Errors compare by code only, so tests can match on the kind of failure.
    public static func == (a: ConnectionError, b: ConnectionError) -> Bool { a.code == b.code }
}
