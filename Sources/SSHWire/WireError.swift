/// WireError is the one error type of the SSH encoding layer: a value could not
/// be decoded from bytes that a peer, a file or a user supplied.
///
/// Every failure carries a stable `code` (for tests and for mapping to exit
/// statuses) and a `message` a person can act on.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers for the ways decoding can fail.
    public enum Code: String, Sendable {
        /// Fewer bytes remain than the value needs.
        case truncated
        /// A length field is larger than the limit the caller set.
        case tooLong
        /// An mpint has its sign bit set where only non-negative values are allowed.
        case negativeInteger
        /// An mpint has a redundant leading zero byte (RFC 4251 forbids it).
        case nonCanonicalInteger
        /// Bytes that should be text are not valid UTF-8 (or US-ASCII for name-lists).
        case invalidText
        /// A name-list is malformed: empty names, or characters RFC 4251 forbids.
        case invalidNameList
        /// Bytes remain after a structure that should have ended.
        case trailingBytes
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (a: WireError, b: WireError) -> Bool { a.code == b.code }
}
