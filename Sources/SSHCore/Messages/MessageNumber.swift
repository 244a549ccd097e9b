/// MessageNumber is the first byte of every SSH packet payload: it says which
/// message follows (RFC 4250 §4.1, with later additions noted per case).
///
/// Numbers fall into ranges that say which layer owns them (RFC 4250 §4.1.1,
/// RFC 4253 §12); the ranges are the `static let` ranges below, and the
/// transport routes a payload to a layer by range, not by case.
///
/// The key-exchange range 30–49 and the user-authentication range 60–79 are
/// *method specific*: the same number means different messages depending on
/// the negotiated KEX or auth method (30 is KEXDH_INIT, KEX_ECDH_INIT and
/// KEX_DH_GEX_REQUEST_OLD). An enum cannot hold two cases with one raw value,
/// so each number in those ranges has one case named for its first meaning,
/// and the other meanings are `static let` aliases that compare equal to it.
/// Decode with `MessageNumber(rawValue:)` and interpret 30–49 and 60–79 in the
/// context of the negotiated method.
@_spi(Internals) public enum MessageNumber: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    // MARK: Transport layer generic (1–19), RFC 4253 §11, RFC 8308

    /// 1: SSH_MSG_DISCONNECT — reason code, description, language tag; the connection ends (RFC 4253 §11.1).
    case disconnect = 1
    /// 2: SSH_MSG_IGNORE — arbitrary data, must be ignored (RFC 4253 §11.2).
    case ignore = 2
    /// 3: SSH_MSG_UNIMPLEMENTED — reply to an unrecognized message, carries its sequence number (RFC 4253 §11.4).
    case unimplemented = 3
    /// 4: SSH_MSG_DEBUG — always_display flag, message, language tag (RFC 4253 §11.3).
    case debug = 4
    /// 5: SSH_MSG_SERVICE_REQUEST — asks for a service such as "ssh-userauth" (RFC 4253 §10).
    case serviceRequest = 5
    /// 6: SSH_MSG_SERVICE_ACCEPT — the requested service is running (RFC 4253 §10).
    case serviceAccept = 6
    /// 7: SSH_MSG_EXT_INFO — extension negotiation, e.g. server-sig-algs (RFC 8308 §2.3).
    case extInfo = 7
    /// 8: SSH_MSG_NEWCOMPRESS — delayed compression switches on (RFC 8308 §3.2).
    case newCompress = 8

    // MARK: Algorithm negotiation (20–29), RFC 4253 §7

    /// 20: SSH_MSG_KEXINIT — algorithm lists that start a key exchange (RFC 4253 §7.1).
    case kexInit = 20
    /// 21: SSH_MSG_NEWKEYS — the sender switches to the new keys (RFC 4253 §7.3).
    case newKeys = 21

    // MARK: Key-exchange method specific (30–49); see the aliases below

    /// 30: SSH_MSG_KEXDH_INIT (RFC 4253 §8); also KEX_ECDH_INIT, KEX_HYBRID_INIT, KEX_DH_GEX_REQUEST_OLD.
    case kexDHInit = 30
    /// 31: SSH_MSG_KEXDH_REPLY (RFC 4253 §8); also KEX_ECDH_REPLY, KEX_HYBRID_REPLY, KEX_DH_GEX_GROUP.
    case kexDHReply = 31
    /// 32: SSH_MSG_KEX_DH_GEX_INIT — client's e in group exchange (RFC 4419 §5).
    case kexDHGexInit = 32
    /// 33: SSH_MSG_KEX_DH_GEX_REPLY — server's host key, f and signature in group exchange (RFC 4419 §5).
    case kexDHGexReply = 33
    /// 34: SSH_MSG_KEX_DH_GEX_REQUEST — client's min/preferred/max group size (RFC 4419 §5).
    case kexDHGexRequest = 34

    // MARK: User authentication generic (50–59), RFC 4252 §6

    /// 50: SSH_MSG_USERAUTH_REQUEST — user name, service, method and method data (RFC 4252 §5).
    case userauthRequest = 50
    /// 51: SSH_MSG_USERAUTH_FAILURE — methods that can continue, partial success flag (RFC 4252 §5.1).
    case userauthFailure = 51
    /// 52: SSH_MSG_USERAUTH_SUCCESS — authentication is complete (RFC 4252 §5.1).
    case userauthSuccess = 52
    /// 53: SSH_MSG_USERAUTH_BANNER — text to show the user before authentication (RFC 4252 §5.4).
    case userauthBanner = 53

    // MARK: User authentication method specific (60–79); see the aliases below

    /// 60: SSH_MSG_USERAUTH_PK_OK (RFC 4252 §7); also PASSWD_CHANGEREQ, INFO_REQUEST, GSSAPI_RESPONSE.
    case userauthPKOK = 60
    /// 61: SSH_MSG_USERAUTH_INFO_RESPONSE — keyboard-interactive answers (RFC 4256 §3.4); also GSSAPI_TOKEN.
    case userauthInfoResponse = 61
    /// 63: SSH_MSG_USERAUTH_GSSAPI_EXCHANGE_COMPLETE (RFC 4462 §3.6).
    case userauthGSSAPIExchangeComplete = 63
    /// 64: SSH_MSG_USERAUTH_GSSAPI_ERROR (RFC 4462 §3.8).
    case userauthGSSAPIError = 64
    /// 65: SSH_MSG_USERAUTH_GSSAPI_ERRTOK (RFC 4462 §3.9).
    case userauthGSSAPIErrorToken = 65
    /// 66: SSH_MSG_USERAUTH_GSSAPI_MIC (RFC 4462 §3.5).
    case userauthGSSAPIMIC = 66

    // MARK: Connection protocol generic (80–89), RFC 4254 §4

    /// 80: SSH_MSG_GLOBAL_REQUEST — request name, want_reply, request data (RFC 4254 §4).
    case globalRequest = 80
    /// 81: SSH_MSG_REQUEST_SUCCESS — positive reply to the oldest unanswered global request (RFC 4254 §4).
    case requestSuccess = 81
    /// 82: SSH_MSG_REQUEST_FAILURE — negative reply to the oldest unanswered global request (RFC 4254 §4).
    case requestFailure = 82

    // MARK: Channel related (90–127), RFC 4254 §5

    /// 90: SSH_MSG_CHANNEL_OPEN — channel type, sender channel, initial window, maximum packet (RFC 4254 §5.1).
    case channelOpen = 90
    /// 91: SSH_MSG_CHANNEL_OPEN_CONFIRMATION — the open succeeded; carries the peer's channel number and window (RFC 4254 §5.1).
    case channelOpenConfirmation = 91
    /// 92: SSH_MSG_CHANNEL_OPEN_FAILURE — the open was refused, with a reason code (RFC 4254 §5.1).
    case channelOpenFailure = 92
    /// 93: SSH_MSG_CHANNEL_WINDOW_ADJUST — the sender may send this many more bytes (RFC 4254 §5.2).
    case channelWindowAdjust = 93
    /// 94: SSH_MSG_CHANNEL_DATA — channel data, counted against the window (RFC 4254 §5.2).
    case channelData = 94
    /// 95: SSH_MSG_CHANNEL_EXTENDED_DATA — typed data, 1 = stderr (RFC 4254 §5.2).
    case channelExtendedData = 95
    /// 96: SSH_MSG_CHANNEL_EOF — the sender will send no more data on this channel (RFC 4254 §5.3).
    case channelEOF = 96
    /// 97: SSH_MSG_CHANNEL_CLOSE — the sender will send nothing more on this channel (RFC 4254 §5.3).
    case channelClose = 97
    /// 98: SSH_MSG_CHANNEL_REQUEST — a channel-specific request such as exec or exit-status (RFC 4254 §5.4).
    case channelRequest = 98
    /// 99: SSH_MSG_CHANNEL_SUCCESS — positive reply to the oldest unanswered channel request (RFC 4254 §5.4).
    case channelSuccess = 99
    /// 100: SSH_MSG_CHANNEL_FAILURE — negative reply to the oldest unanswered channel request (RFC 4254 §5.4).
    case channelFailure = 100

    // MARK: Local extensions (192–255)

    /// 192: SSH2_MSG_PING — OpenSSH "ping@openssh.com" transport extension, answered by PONG.
    case ping = 192
    /// 193: SSH2_MSG_PONG — OpenSSH "ping@openssh.com" reply carrying the ping's data.
    case pong = 193

    // MARK: Method-specific aliases

    /// 30: SSH_MSG_KEX_ECDH_INIT — client's ephemeral public key (RFC 5656 §7.1).
    public static let kexECDHInit = MessageNumber.kexDHInit
    /// 31: SSH_MSG_KEX_ECDH_REPLY — host key, server's ephemeral key, signature (RFC 5656 §7.1).
    public static let kexECDHReply = MessageNumber.kexDHReply
    /// 30: SSH_MSG_KEX_HYBRID_INIT — post-quantum hybrid KEX (mlkem768x25519-sha256, sntrup761x25519-sha512).
    public static let kexHybridInit = MessageNumber.kexDHInit
    /// 31: SSH_MSG_KEX_HYBRID_REPLY — post-quantum hybrid KEX reply.
    public static let kexHybridReply = MessageNumber.kexDHReply
    /// 30: SSH_MSG_KEX_DH_GEX_REQUEST_OLD — obsolete single-size group request (RFC 4419 §5).
    public static let kexDHGexRequestOld = MessageNumber.kexDHInit
    /// 31: SSH_MSG_KEX_DH_GEX_GROUP — server's prime p and generator g (RFC 4419 §5).
    public static let kexDHGexGroup = MessageNumber.kexDHReply
    /// 60: SSH_MSG_USERAUTH_PASSWD_CHANGEREQ — the server asks for a new password (RFC 4252 §8).
    public static let userauthPasswordChangeRequest = MessageNumber.userauthPKOK
    /// 60: SSH_MSG_USERAUTH_INFO_REQUEST — keyboard-interactive prompts (RFC 4256 §3.2).
    public static let userauthInfoRequest = MessageNumber.userauthPKOK
    /// 60: SSH_MSG_USERAUTH_GSSAPI_RESPONSE — the server picked a mechanism (RFC 4462 §3.3).
    public static let userauthGSSAPIResponse = MessageNumber.userauthPKOK
    /// 61: SSH_MSG_USERAUTH_GSSAPI_TOKEN — a GSS-API context token (RFC 4462 §3.4).
    public static let userauthGSSAPIToken = MessageNumber.userauthInfoResponse

    // MARK: Ranges (RFC 4250 §4.1.1, RFC 4253 §12)

    /// Transport layer generic messages: disconnect, ignore, debug, service, ext-info.
    public static let transportGenericRange: ClosedRange<UInt8> = 1...19
    /// Algorithm negotiation: KEXINIT and NEWKEYS.
    public static let algorithmNegotiationRange: ClosedRange<UInt8> = 20...29
    /// Key-exchange method specific messages (meaning depends on the negotiated KEX).
    public static let keyExchangeMethodRange: ClosedRange<UInt8> = 30...49
    /// The whole transport layer: everything the transport itself consumes.
    public static let transportRange: ClosedRange<UInt8> = 1...49
    /// User authentication generic messages.
    public static let userauthGenericRange: ClosedRange<UInt8> = 50...59
    /// User authentication method specific messages (meaning depends on the method).
    public static let userauthMethodRange: ClosedRange<UInt8> = 60...79
    /// The whole user authentication protocol.
    public static let userauthRange: ClosedRange<UInt8> = 50...79
    /// The whole connection protocol: the transport hands these payloads to the channel multiplexer.
    public static let connectionRange: ClosedRange<UInt8> = 80...127
    /// Reserved for client protocols running over SSH.
    public static let clientProtocolRange: ClosedRange<UInt8> = 128...191
    /// Reserved for local extensions (OpenSSH uses 192/193 for ping/pong).
    public static let localExtensionRange: ClosedRange<UInt8> = 192...255

    /// The RFC name, e.g. "SSH_MSG_CHANNEL_DATA"; for method-specific numbers, the name of the case.
    public var description: String {
        switch self {
        case .disconnect: "SSH_MSG_DISCONNECT"
        case .ignore: "SSH_MSG_IGNORE"
        case .unimplemented: "SSH_MSG_UNIMPLEMENTED"
        case .debug: "SSH_MSG_DEBUG"
        case .serviceRequest: "SSH_MSG_SERVICE_REQUEST"
        case .serviceAccept: "SSH_MSG_SERVICE_ACCEPT"
        case .extInfo: "SSH_MSG_EXT_INFO"
        case .newCompress: "SSH_MSG_NEWCOMPRESS"
        case .kexInit: "SSH_MSG_KEXINIT"
        case .newKeys: "SSH_MSG_NEWKEYS"
        case .kexDHInit: "SSH_MSG_KEXDH_INIT"
        case .kexDHReply: "SSH_MSG_KEXDH_REPLY"
        case .kexDHGexInit: "SSH_MSG_KEX_DH_GEX_INIT"
        case .kexDHGexReply: "SSH_MSG_KEX_DH_GEX_REPLY"
        case .kexDHGexRequest: "SSH_MSG_KEX_DH_GEX_REQUEST"
        case .userauthRequest: "SSH_MSG_USERAUTH_REQUEST"
        case .userauthFailure: "SSH_MSG_USERAUTH_FAILURE"
        case .userauthSuccess: "SSH_MSG_USERAUTH_SUCCESS"
        case .userauthBanner: "SSH_MSG_USERAUTH_BANNER"
        case .userauthPKOK: "SSH_MSG_USERAUTH_PK_OK"
        case .userauthInfoResponse: "SSH_MSG_USERAUTH_INFO_RESPONSE"
        case .userauthGSSAPIExchangeComplete: "SSH_MSG_USERAUTH_GSSAPI_EXCHANGE_COMPLETE"
        case .userauthGSSAPIError: "SSH_MSG_USERAUTH_GSSAPI_ERROR"
        case .userauthGSSAPIErrorToken: "SSH_MSG_USERAUTH_GSSAPI_ERRTOK"
        case .userauthGSSAPIMIC: "SSH_MSG_USERAUTH_GSSAPI_MIC"
        case .globalRequest: "SSH_MSG_GLOBAL_REQUEST"
        case .requestSuccess: "SSH_MSG_REQUEST_SUCCESS"
        case .requestFailure: "SSH_MSG_REQUEST_FAILURE"
        case .channelOpen: "SSH_MSG_CHANNEL_OPEN"
        case .channelOpenConfirmation: "SSH_MSG_CHANNEL_OPEN_CONFIRMATION"
        case .channelOpenFailure: "SSH_MSG_CHANNEL_OPEN_FAILURE"
        case .channelWindowAdjust: "SSH_MSG_CHANNEL_WINDOW_ADJUST"
        case .channelData: "SSH_MSG_CHANNEL_DATA"
        case .channelExtendedData: "SSH_MSG_CHANNEL_EXTENDED_DATA"
        case .channelEOF: "SSH_MSG_CHANNEL_EOF"
        case .channelClose: "SSH_MSG_CHANNEL_CLOSE"
        case .channelRequest: "SSH_MSG_CHANNEL_REQUEST"
        case .channelSuccess: "SSH_MSG_CHANNEL_SUCCESS"
        case .channelFailure: "SSH_MSG_CHANNEL_FAILURE"
        case .ping: "SSH2_MSG_PING"
        case .pong: "SSH2_MSG_PONG"
        }
    }
}
