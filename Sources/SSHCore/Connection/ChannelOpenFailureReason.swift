/// ChannelOpenFailureReason is the reason code of SSH_MSG_CHANNEL_OPEN_FAILURE
/// (RFC 4254 §5.1, registry in RFC 4250 §4.3).
///
/// A struct rather than an enum because a peer may send any uint32 and the
/// value must survive a round trip unchanged; the four registered codes are
/// the static constants.
public struct ChannelOpenFailureReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The reason code as on the wire.
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// 1: SSH_OPEN_ADMINISTRATIVELY_PROHIBITED — policy forbids this channel (OpenSSH's answer when forwarding is off).
    public static let administrativelyProhibited = ChannelOpenFailureReason(rawValue: 1)
    /// 2: SSH_OPEN_CONNECT_FAILED — the target of a forwarding could not be reached.
    public static let connectFailed = ChannelOpenFailureReason(rawValue: 2)
    /// 3: SSH_OPEN_UNKNOWN_CHANNEL_TYPE — the channel type is not supported.
    public static let unknownChannelType = ChannelOpenFailureReason(rawValue: 3)
    /// 4: SSH_OPEN_RESOURCE_SHORTAGE — too many channels, or no memory.
    public static let resourceShortage = ChannelOpenFailureReason(rawValue: 4)

    public var description: String {
        switch rawValue {
        case 1: "administratively prohibited"
        case 2: "connect failed"
        case 3: "unknown channel type"
        case 4: "resource shortage"
        default: "reason \(rawValue)"
        }
    }
}
