import NIOCore

/// ChannelOpenType is the channel type of SSH_MSG_CHANNEL_OPEN together with
/// its type-specific fields (RFC 4254 §5.1, §6.1, §6.3.2, §7.2).
///
/// Types ferry does not interpret (e.g. "auth-agent@openssh.com", which has
/// no extra fields) travel as `.other` with their bytes undecoded, so an
/// unknown type is never a decoding error: it is rejected by policy instead.
@_spi(Internals) public enum ChannelOpenType: Sendable, Equatable {
    /// "session": a remote command, shell or subsystem (RFC 4254 §6.1).
    case session
    /// "direct-tcpip": the server connects to host:port; the originator is who connected to us (RFC 4254 §7.2). Used for ProxyJump and -L.
    case directTCPIP(host: String, port: UInt32, originatorAddress: String, originatorPort: UInt32)
    /// "forwarded-tcpip": a connection arrived on a port the peer listens on after tcpip-forward (RFC 4254 §7.2).
    case forwardedTCPIP(connectedAddress: String, connectedPort: UInt32, originatorAddress: String, originatorPort: UInt32)
    /// "x11": an X11 client connected to the forwarded display (RFC 4254 §6.3.2).
    case x11(originatorAddress: String, originatorPort: UInt32)
    /// Any other channel type, with its type-specific data as received.
    case other(name: String, data: ByteBuffer)

    /// The channel type string as on the wire.
    public var name: String {
        switch self {
        case .session: "session"
        case .directTCPIP: "direct-tcpip"
        case .forwardedTCPIP: "forwarded-tcpip"
        case .x11: "x11"
        case .other(let name, _): name
        }
    }
}
