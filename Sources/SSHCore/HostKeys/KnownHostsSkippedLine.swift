/// KnownHostsSkippedLine records a known_hosts line that is neither a comment
/// nor a usable entry. OpenSSH ignores such lines (it logs them at debug
/// level); ferry does too, and keeps them so a caller can report them.
public struct KnownHostsSkippedLine: Sendable, Hashable, CustomStringConvertible {
    /// Why a line could not be used.
    public enum Reason: Sendable, Hashable {
        /// A word starting with `@` that is not `@cert-authority` or `@revoked`, or more than one marker.
        case invalidMarker
        /// The line ends after the host field (or the key part is a comment).
        case missingKey
        /// The host field starts with `|` but is not a `|1|salt|hash` field with a 20-byte salt.
        case badHostHash
        /// The key type is not one ferry parses (e.g. `ssh-dss`, security-key or certificate types).
        case unsupportedKeyType(String)
        /// The key data is not valid Base64 or not a valid key of its type.
        case invalidKey(String)
    }

    public let location: KnownHostsLocation
    public let reason: Reason

    public var description: String {
        switch reason {
        case .invalidMarker: "\(location): invalid marker"
        case .missingKey: "\(location): no key after the host names"
        case .badHostHash: "\(location): malformed hashed host name"
        case .unsupportedKeyType(let type): "\(location): unsupported key type \"\(type)\""
        case .invalidKey(let why): "\(location): invalid key: \(why)"
        }
    }
}
