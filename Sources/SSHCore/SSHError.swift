/// SSHError is the one error type of the SSH core: the transport, key
/// exchange, authentication and connection layers, as the client API reports
/// them. `code` is stable (tests and exit statuses map from it); `message`
/// tells a person what happened and, where possible, what to do.
public struct SSHError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers for the ways an SSH connection can fail.
    public enum Code: String, Sendable {
        /// The peer is not an SSH-2 server (or sent a malformed identification).
        case notSSH
        /// The peer broke the protocol: malformed, unexpected or out-of-order messages.
        case protocolError
        /// A packet failed its MAC or AEAD check: corruption or tampering.
        case integrityFailure
        /// No algorithm in common for some category (kex, host key, cipher, MAC, compression).
        case noCommonAlgorithm
        /// The server's host key signature over the exchange hash did not verify.
        case hostKeySignatureInvalid
        /// The host key is unknown, changed or revoked and policy refused it.
        case hostKeyRejected
        /// Every authentication method was tried and refused.
        case authenticationFailed
        /// The peer sent SSH_MSG_DISCONNECT.
        case disconnectedByPeer
        /// The TCP connection closed while the protocol expected more.
        case connectionClosed
        /// An operation or the peer took longer than allowed.
        case timeout
        /// A channel could not be opened or a channel request was refused.
        case channelFailure
        /// A configuration value is invalid (bad algorithm list, option…).
        case invalidConfiguration
        /// A local I/O failure (socket, file).
        case io
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (a: SSHError, b: SSHError) -> Bool { a.code == b.code }
}

/// SSH_MSG_DISCONNECT reason codes (RFC 4253 §11.1).
public enum DisconnectReason: UInt32, Sendable {
    /// SSH_DISCONNECT_HOST_NOT_ALLOWED_TO_CONNECT.
    case hostNotAllowedToConnect = 1
    /// SSH_DISCONNECT_PROTOCOL_ERROR.
    case protocolError = 2
    /// SSH_DISCONNECT_KEY_EXCHANGE_FAILED.
    case keyExchangeFailed = 3
    /// SSH_DISCONNECT_RESERVED.
    case reserved = 4
    /// SSH_DISCONNECT_MAC_ERROR.
    case macError = 5
    /// SSH_DISCONNECT_COMPRESSION_ERROR.
    case compressionError = 6
    /// SSH_DISCONNECT_SERVICE_NOT_AVAILABLE.
    case serviceNotAvailable = 7
    /// SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED.
    case protocolVersionNotSupported = 8
    /// SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE.
    case hostKeyNotVerifiable = 9
    /// SSH_DISCONNECT_CONNECTION_LOST.
    case connectionLost = 10
    /// SSH_DISCONNECT_BY_APPLICATION.
    case byApplication = 11
    /// SSH_DISCONNECT_TOO_MANY_CONNECTIONS.
    case tooManyConnections = 12
    /// SSH_DISCONNECT_AUTH_CANCELLED_BY_USER.
    case authCancelledByUser = 13
    /// SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE.
    case noMoreAuthMethodsAvailable = 14
    /// SSH_DISCONNECT_ILLEGAL_USER_NAME.
    case illegalUserName = 15
}
