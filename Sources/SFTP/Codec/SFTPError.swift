/// SFTPError is the one error type of the SFTP layer: a server refused a
/// request (a STATUS other than OK), or the byte stream carried something a
/// conforming server never sends, or the stream ended.
///
/// `code` is stable (tests, exit statuses); `message` is for people. For a
/// refused request, `status` holds the server's numeric code and
/// `serverMessage` what the server said, unaltered.
public struct SFTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers for the ways an SFTP operation can fail.
    public enum Code: String, Sendable {
        /// The server answered SSH_FX_EOF where data or names were required.
        case endOfFile
        /// SSH_FX_NO_SUCH_FILE: the path does not exist.
        case noSuchFile
        /// SSH_FX_PERMISSION_DENIED (also how OpenSSH refuses requests its
        /// read-only mode or its -P/-p lists forbid).
        case permissionDenied
        /// SSH_FX_FAILURE: the server gave no more specific reason.
        case failure
        /// SSH_FX_BAD_MESSAGE: the server could not parse our request.
        case badMessage
        /// SSH_FX_NO_CONNECTION (client-side only in the draft; kept if a server sends it).
        case noConnection
        /// SSH_FX_CONNECTION_LOST (client-side only in the draft; kept if a server sends it).
        case connectionLost
        /// SSH_FX_OP_UNSUPPORTED: the server does not implement the request.
        case operationUnsupported
        /// A STATUS code outside the draft's range.
        case unknownStatus
        /// A packet could not be decoded: truncated, bad lengths, trailing bytes.
        case malformedPacket
        /// A packet's length field exceeds `SFTPProtocol.maxPacketLength`.
        case packetTooLarge
        /// A reply for no outstanding request, or of a type the request cannot have.
        case unexpectedReply
        /// DATA longer than the READ asked for (a hostile or broken server).
        case tooMuchData
        /// The server speaks a protocol version other than 3.
        case unsupportedVersion
        /// The server did not advertise the extension (with the version we need).
        case extensionUnsupported
        /// The byte stream ended or failed; no more replies will arrive.
        case connectionClosed
        /// The server sent nothing for the session's request timeout while
        /// requests were outstanding; the session was closed.
        case timedOut
        /// The caller asked for something that cannot be encoded or exceeds a limit.
        case invalidArgument
    }

    public let code: Code
    public let message: String
    /// The STATUS code the server sent, when the server refused the request.
    public let status: SFTPStatusCode?
    /// The server's own error text, when it sent one.
    public let serverMessage: String?

    public init(_ code: Code, _ message: String, status: SFTPStatusCode? = nil, serverMessage: String? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.serverMessage = serverMessage
    }

    /// The error for a STATUS reply other than OK, naming the operation.
    init(status: SFTPStatus, operation: String) {
        let code: Code
        switch status.code {
        case .eof: code = .endOfFile
        case .noSuchFile: code = .noSuchFile
        case .permissionDenied: code = .permissionDenied
        case .failure: code = .failure
        case .badMessage: code = .badMessage
        case .noConnection: code = .noConnection
        case .connectionLost: code = .connectionLost
        case .operationUnsupported: code = .operationUnsupported
        default: code = .unknownStatus
        }
        let said = status.message.isEmpty ? status.code.description : status.message
        self.init(code, "\(operation): \(said)", status: status.code, serverMessage: status.message)
    }

    public var description: String { message }

    /// Why the server refused, without the operation and path: the words
    /// OpenSSH's sftp client uses for the status (sftp-common.c `fx2txt`,
    /// as scp prints "No such file or directory"); for a bare FAILURE or an
    /// unknown status, what the server said. Nil when the server did not
    /// refuse a request (a broken stream, a timeout): then `message` is it.
    public var cause: String? {
        guard let status else { return nil }
        switch status {
        case .eof: return "End of file"
        case .noSuchFile: return "No such file or directory"
        case .permissionDenied: return "Permission denied"
        case .badMessage: return "Bad message"
        case .noConnection: return "No connection"
        case .connectionLost: return "Connection lost"
        case .operationUnsupported: return "Operation unsupported"
        default:
            if let serverMessage, !serverMessage.isEmpty { return serverMessage }
            return status == .failure ? "Failure" : "Unknown status \(status)"
        }
    }

    public static func == (a: SFTPError, b: SFTPError) -> Bool { a.code == b.code && a.status == b.status }

    static func malformed(_ what: String) -> SFTPError { SFTPError(.malformedPacket, "malformed SFTP packet: \(what)") }
}
