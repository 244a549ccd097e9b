import NIOCore

/// ConnectionMessage is one message of the SSH connection protocol
/// (RFC 4254, message numbers 80–100), decoded from or encoded to a packet
/// payload.
///
/// Byte fields (channel data, undecoded request data) are `ByteBuffer`
/// slices of the payload they were decoded from: decoding CHANNEL_DATA copies
/// nothing and allocates nothing. Channel numbers are raw wire values here;
/// the multiplexer maps them to `ChannelID`s.
@_spi(Internals) public enum ConnectionMessage: Sendable, Equatable {
    /// SSH_MSG_GLOBAL_REQUEST (80): a connection-wide request (RFC 4254 §4).
    case globalRequest(GlobalRequest)
    /// SSH_MSG_REQUEST_SUCCESS (81): yes to the oldest global request wanting a reply, with response-specific data (RFC 4254 §4).
    case requestSuccess(data: ByteBuffer)
    /// SSH_MSG_REQUEST_FAILURE (82): no to the oldest global request wanting a reply (RFC 4254 §4).
    case requestFailure
    /// SSH_MSG_CHANNEL_OPEN (90): the sender wants a new channel (RFC 4254 §5.1).
    case channelOpen(ChannelOpen)
    /// SSH_MSG_CHANNEL_OPEN_CONFIRMATION (91): the open succeeded (RFC 4254 §5.1).
    case channelOpenConfirmation(ChannelOpenConfirmation)
    /// SSH_MSG_CHANNEL_OPEN_FAILURE (92): the open was refused (RFC 4254 §5.1).
    case channelOpenFailure(ChannelOpenFailure)
    /// SSH_MSG_CHANNEL_WINDOW_ADJUST (93): the recipient may send `bytesToAdd` more bytes (RFC 4254 §5.2).
    case channelWindowAdjust(recipientChannel: UInt32, bytesToAdd: UInt32)
    /// SSH_MSG_CHANNEL_DATA (94): data for the channel; `data` is a slice of the payload (RFC 4254 §5.2).
    case channelData(recipientChannel: UInt32, data: ByteBuffer)
    /// SSH_MSG_CHANNEL_EXTENDED_DATA (95): typed data, 1 = stderr; `data` is a slice of the payload (RFC 4254 §5.2).
    case channelExtendedData(recipientChannel: UInt32, dataType: UInt32, data: ByteBuffer)
    /// SSH_MSG_CHANNEL_EOF (96): the sender sends no more data on the channel (RFC 4254 §5.3).
    case channelEOF(recipientChannel: UInt32)
    /// SSH_MSG_CHANNEL_CLOSE (97): the sender sends nothing more on the channel (RFC 4254 §5.3).
    case channelClose(recipientChannel: UInt32)
    /// SSH_MSG_CHANNEL_REQUEST (98): a channel-specific request (RFC 4254 §5.4).
    case channelRequest(ChannelRequest)
    /// SSH_MSG_CHANNEL_SUCCESS (99): yes to the oldest request on the channel wanting a reply (RFC 4254 §5.4).
    case channelSuccess(recipientChannel: UInt32)
    /// SSH_MSG_CHANNEL_FAILURE (100): no to the oldest request on the channel wanting a reply (RFC 4254 §5.4).
    case channelFailure(recipientChannel: UInt32)

    /// The message number this message is encoded with.
    public var messageNumber: MessageNumber {
        switch self {
        case .globalRequest: .globalRequest
        case .requestSuccess: .requestSuccess
        case .requestFailure: .requestFailure
        case .channelOpen: .channelOpen
        case .channelOpenConfirmation: .channelOpenConfirmation
        case .channelOpenFailure: .channelOpenFailure
        case .channelWindowAdjust: .channelWindowAdjust
        case .channelData: .channelData
        case .channelExtendedData: .channelExtendedData
        case .channelEOF: .channelEOF
        case .channelClose: .channelClose
        case .channelRequest: .channelRequest
        case .channelSuccess: .channelSuccess
        case .channelFailure: .channelFailure
        }
    }
}

extension ConnectionMessage {
    /// The fields of SSH_MSG_GLOBAL_REQUEST: `string name, boolean want_reply, ...`.
    public struct GlobalRequest: Sendable, Equatable {
        /// The request name and its request-specific data.
        public var type: GlobalRequestType
        /// Whether the sender waits for REQUEST_SUCCESS/FAILURE.
        public var wantReply: Bool

        public init(type: GlobalRequestType, wantReply: Bool) {
            self.type = type
            self.wantReply = wantReply
        }
    }

    /// The fields of SSH_MSG_CHANNEL_OPEN: `string type, uint32 sender channel,
    /// uint32 initial window size, uint32 maximum packet size, ...`.
    public struct ChannelOpen: Sendable, Equatable {
        /// Channel type and its type-specific fields.
        public var type: ChannelOpenType
        /// The opener's number for the channel.
        public var senderChannel: UInt32
        /// How many bytes the opener lets the recipient send before a WINDOW_ADJUST.
        public var initialWindowSize: UInt32
        /// The largest data field the opener accepts in one CHANNEL_DATA/EXTENDED_DATA.
        public var maximumPacketSize: UInt32

        public init(type: ChannelOpenType, senderChannel: UInt32, initialWindowSize: UInt32, maximumPacketSize: UInt32) {
            self.type = type
            self.senderChannel = senderChannel
            self.initialWindowSize = initialWindowSize
            self.maximumPacketSize = maximumPacketSize
        }
    }

    /// The fields of SSH_MSG_CHANNEL_OPEN_CONFIRMATION: `uint32 recipient channel,
    /// uint32 sender channel, uint32 initial window size, uint32 maximum packet size`.
    public struct ChannelOpenConfirmation: Sendable, Equatable {
        /// The opener's number for the channel (from its CHANNEL_OPEN).
        public var recipientChannel: UInt32
        /// The confirmer's number for the channel.
        public var senderChannel: UInt32
        /// How many bytes the confirmer lets the opener send before a WINDOW_ADJUST.
        public var initialWindowSize: UInt32
        /// The largest data field the confirmer accepts in one data message.
        public var maximumPacketSize: UInt32

        public init(recipientChannel: UInt32, senderChannel: UInt32, initialWindowSize: UInt32, maximumPacketSize: UInt32) {
            self.recipientChannel = recipientChannel
            self.senderChannel = senderChannel
            self.initialWindowSize = initialWindowSize
            self.maximumPacketSize = maximumPacketSize
        }
    }

    /// The fields of SSH_MSG_CHANNEL_OPEN_FAILURE: `uint32 recipient channel,
    /// uint32 reason code, string description, string language tag`.
    public struct ChannelOpenFailure: Sendable, Equatable {
        /// The opener's number for the channel (from its CHANNEL_OPEN).
        public var recipientChannel: UInt32
        /// Why the open was refused.
        public var reason: ChannelOpenFailureReason
        /// Text from the peer. Peer-supplied: sanitize before printing to a terminal.
        public var description: String
        /// RFC 3066 language tag of `description`, usually empty.
        public var languageTag: String

        public init(recipientChannel: UInt32, reason: ChannelOpenFailureReason, description: String, languageTag: String = "") {
            self.recipientChannel = recipientChannel
            self.reason = reason
            self.description = description
            self.languageTag = languageTag
        }
    }

    /// The fields of SSH_MSG_CHANNEL_REQUEST: `uint32 recipient channel,
    /// string request type, boolean want_reply, ...`.
    public struct ChannelRequest: Sendable, Equatable {
        /// The recipient's number for the channel.
        public var recipientChannel: UInt32
        /// Request type and its type-specific fields.
        public var type: ChannelRequestType
        /// Whether the sender waits for CHANNEL_SUCCESS/FAILURE.
        public var wantReply: Bool

        public init(recipientChannel: UInt32, type: ChannelRequestType, wantReply: Bool) {
            self.recipientChannel = recipientChannel
            self.type = type
            self.wantReply = wantReply
        }
    }
}
