import Foundation

/// SSHDestination is where to connect, as `ssh` takes it on its command
/// line: `[user@]host[:port]`, `ssh://[user@]host[:port]`, or an ssh_config
/// alias. The host is looked up in ssh_config before it is resolved, so an
/// alias's HostName, Port, User and ProxyJump apply.
public struct SSHDestination: Sendable, Equatable, CustomStringConvertible {
    /// The user named with `user@`, which wins over ssh_config's `User`.
    public var user: String?
    /// The host or alias as given (without brackets).
    public var host: String
    /// The port named with `:port`, which wins over ssh_config's `Port`.
    public var port: Int?

    public init(user: String? = nil, host: String, port: Int? = nil) {
        self.user = user
        self.host = host
        self.port = port
    }

    /// Parses `[user@]host[:port]` or `ssh://[user@]host[:port]`. A bare
    /// IPv6 address needs brackets when a port follows (`[::1]:2222`); one
    /// with more than one colon and no brackets is taken as a host.
    public init(parsing text: String) throws {
        var rest = Substring(text)
        let isURL = rest.hasPrefix("ssh://")
        if isURL {
            rest = rest.dropFirst(6)
            if rest.hasSuffix("/") { rest = rest.dropLast() }
        }
        if let at = rest.lastIndex(of: "@") {
            let name = rest[..<at]
            guard !name.isEmpty else { throw SSHError(.invalidConfiguration, "empty user name in \"\(text)\"") }
            user = isURL ? (String(name).removingPercentEncoding ?? String(name)) : String(name)
            rest = rest[rest.index(after: at)...]
        } else {
            user = nil
        }
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw SSHError(.invalidConfiguration, "invalid host name \"\(text)\"") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw SSHError(.invalidConfiguration, "invalid host name \"\(text)\"")
            }
        } else if let colon = rest.firstIndex(of: ":"), rest.lastIndex(of: ":") == colon {
            host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            host = String(rest)
        }
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw SSHError(.invalidConfiguration, "bad port in \"\(text)\"")
            }
            port = p
        } else {
            port = nil
        }
        // A name starting with "-" would be read as an option by anything
        // that passes it on (ProxyCommand's %h); ssh refuses it too.
        guard !host.isEmpty, !host.hasPrefix("-"), !host.contains(where: { $0.isWhitespace || $0 == "\u{0}" }) else {
            throw SSHError(.invalidConfiguration, "invalid host name \"\(text)\"")
        }
    }

    public var description: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return (user.map { "\($0)@" } ?? "") + name + (port.map { ":\($0)" } ?? "")
    }
}
