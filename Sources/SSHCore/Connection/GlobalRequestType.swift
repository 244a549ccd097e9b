import NIOCore

/// GlobalRequestType is the request name of SSH_MSG_GLOBAL_REQUEST together
/// with its request-specific data (RFC 4254 §4, §7.1).
///
/// Names ferry does not interpret (e.g. "hostkeys-00@openssh.com",
/// "no-more-sessions@openssh.com") travel as `.other` with their bytes
/// undecoded.
@_spi(Internals) public enum GlobalRequestType: Sendable, Equatable {
    /// "tcpip-forward": ask the peer to listen on address:port and open forwarded-tcpip channels (RFC 4254 §7.1).
    case tcpipForward(address: String, port: UInt32)
    /// "cancel-tcpip-forward": stop a tcpip-forward listener (RFC 4254 §7.1).
    case cancelTCPIPForward(address: String, port: UInt32)
    /// "keepalive@openssh.com": a liveness probe with no data; any reply (OpenSSH answers REQUEST_FAILURE) proves the peer is alive.
    case keepalive
    /// Any other request name, with its request-specific data as received.
    case other(name: String, data: ByteBuffer)

    /// The request name string as on the wire.
    public var name: String {
        switch self {
        case .tcpipForward: "tcpip-forward"
        case .cancelTCPIPForward: "cancel-tcpip-forward"
        case .keepalive: "keepalive@openssh.com"
        case .other(let name, _): name
        }
    }
}
