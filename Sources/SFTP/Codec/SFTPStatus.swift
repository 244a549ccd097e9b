/// SFTPStatusCode is the numeric code of an SSH_FXP_STATUS reply.
///
/// A struct rather than an enum so that codes outside the draft survive
/// decoding and re-encoding unchanged.
public struct SFTPStatusCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// SSH_FX_OK: the request succeeded.
    public static let ok = SFTPStatusCode(rawValue: 0)
    /// SSH_FX_EOF: end of file for READ, end of listing for READDIR.
    public static let eof = SFTPStatusCode(rawValue: 1)
    /// SSH_FX_NO_SUCH_FILE.
    public static let noSuchFile = SFTPStatusCode(rawValue: 2)
    /// SSH_FX_PERMISSION_DENIED.
    public static let permissionDenied = SFTPStatusCode(rawValue: 3)
    /// SSH_FX_FAILURE: generic failure.
    public static let failure = SFTPStatusCode(rawValue: 4)
    /// SSH_FX_BAD_MESSAGE: the server received a badly formatted packet.
    public static let badMessage = SFTPStatusCode(rawValue: 5)
    /// SSH_FX_NO_CONNECTION: pseudo-error of a client without a connection.
    public static let noConnection = SFTPStatusCode(rawValue: 6)
    /// SSH_FX_CONNECTION_LOST: pseudo-error of a client whose connection broke.
    public static let connectionLost = SFTPStatusCode(rawValue: 7)
    /// SSH_FX_OP_UNSUPPORTED: the server does not implement the operation.
    public static let operationUnsupported = SFTPStatusCode(rawValue: 8)

    public var description: String {
        switch self {
        case .ok: "success"
        case .eof: "end of file"
        case .noSuchFile: "no such file"
        case .permissionDenied: "permission denied"
        case .failure: "failure"
        case .badMessage: "bad message"
        case .noConnection: "no connection"
        case .connectionLost: "connection lost"
        case .operationUnsupported: "operation unsupported"
        default: "unknown status \(rawValue)"
        }
    }
}

/// SFTPStatus is the body of an SSH_FXP_STATUS reply.
public struct SFTPStatus: Equatable, Sendable {
    public var code: SFTPStatusCode
    /// The server's human-readable text (may be empty; old servers omit it).
    public var message: String
    /// The language tag of `message` (RFC 1766), usually empty.
    public var languageTag: String

    public init(code: SFTPStatusCode, message: String = "", languageTag: String = "") {
        self.code = code
        self.message = message
        self.languageTag = languageTag
    }
}
