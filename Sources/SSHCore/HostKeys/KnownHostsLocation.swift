/// KnownHostsLocation names one line of one known_hosts file, for messages
/// that tell a person which line to edit ("Offending key in file:line").
public struct KnownHostsLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as it was given (after `~` expansion).
    public let path: String
    /// The 1-based line number.
    public let line: Int

    public init(path: String, line: Int) {
        self.path = path
        self.line = line
    }

    /// "path:line", as OpenSSH prints it.
    public var description: String { "\(path):\(line)" }
}
