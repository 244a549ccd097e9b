/// SCPError is why an scp session failed: a stable code and one line that
/// says what happened. Every refusal of a hostile or broken peer is one of
/// these, never a trap.
public struct SCPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers for the ways an scp session can fail.
    public enum Code: String, Sendable {
        /// A record line the protocol does not allow (bad mode, size, time,
        /// missing newline, too long, unknown type).
        case badRecord
        /// A name that cannot be one local path component (`/`, `.`, `..`,
        /// empty, NUL, too long).
        case badName
        /// A name the request did not ask for (not the source's basename,
        /// or not matching its glob).
        case unexpectedName
        /// Records in an order the protocol does not allow (`D` without
        /// `-r`, `E` without `D`, too deep, `T` not followed by `C`/`D`).
        case badSequence
        /// File data shorter than announced (EOF inside a file), or a
        /// status byte that is not 0, 1 or 2 where one is due (more data
        /// than announced).
        case badLength
        /// The stream ended where the protocol wants more.
        case unexpectedEOF
        /// The peer sent a fatal error (status 2) or stopped the session.
        case peerFailed
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (a: SCPError, b: SCPError) -> Bool { a.code == b.code }
}
