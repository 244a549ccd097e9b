import ArgumentParser
import Foundation

/// RemoteLocation is a command-line path on a remote host, in one of the
/// two spellings scp and sftp accept:
///
/// - `[user@]host:path` — a colon before any slash (a local path holding a
///   colon is written `./a:b`); an empty path is the remote home directory;
///   an IPv6 host is bracketed: `[::1]:path`.
/// - `sftp://[user@]host[:port][/path]` or `scp://…` (draft-ietf-secsh-scp-sftp-ssh-uri):
///   percent-escapes decoded; as in OpenSSH, the path is relative to the
///   home directory, so an absolute path takes two slashes
///   (`sftp://host//etc/motd`).
struct RemoteLocation: Equatable {
    var user: String?
    var host: String
    var port: Int?
    /// The remote path ("" for the home directory).
    var path: String

    /// `user@host` as `RemoteTarget` parses it.
    var destination: String { (user.map { $0 + "@" } ?? "") + host }

    /// The remote location `text` names, or nil when it is a local path.
    static func parse(_ text: String) throws -> RemoteLocation? {
        if text.lowercased().hasPrefix("sftp://") { return try parseURI(String(text.dropFirst(7)), text) }
        if text.lowercased().hasPrefix("scp://") { return try parseURI(String(text.dropFirst(6)), text) }
        if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") { return nil }
        var rest = Substring(text)
        var user: String?
        if let at = rest.firstIndex(of: "@"), let colon = rest.firstIndex(of: ":"), at < colon,
           !rest[..<at].contains("/") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.firstIndex(of: ":"), !rest[..<colon].contains("/") else { return nil }
            host = rest[..<colon]
            rest = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty else { return nil }
        if user?.isEmpty == true { throw ValidationError("empty user name in \"\(text)\"") }
        return RemoteLocation(user: user, host: String(host), port: nil, path: String(rest))
    }

    private static func parseURI(_ rest: String, _ text: String) throws -> RemoteLocation {
        let authority: Substring
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = String(rest[rest.index(after: slash)...])
        } else {
            authority = Substring(rest)
        }
        var hostPort = authority
        var user: String?
        if let at = authority.lastIndex(of: "@") {
            // A user;fingerprint=… parameter (the draft's) is ignored.
            user = String(authority[..<at].prefix { $0 != ";" }).removingPercentEncoding
            hostPort = authority[authority.index(after: at)...]
        }
        var host = hostPort
        var port: Int?
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) ?? -1 }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            port = Int(hostPort[hostPort.index(after: colon)...]) ?? -1
        }
        guard !host.isEmpty, user?.isEmpty != true else { throw ValidationError("invalid URI \"\(text)\"") }
        if let port, !(1...65535).contains(port) { throw ValidationError("invalid port in \"\(text)\"") }
        guard let decoded = path.removingPercentEncoding else { throw ValidationError("invalid escape in \"\(text)\"") }
        return RemoteLocation(user: user, host: String(host), port: port, path: decoded)
    }
}

/// Makes text from a server or a file name safe to print: control
/// characters (a name may hold a newline or an escape sequence) are shown
/// as escapes instead of acting on the terminal.
func printable(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
            out += scalar == "\n" ? "\\n" : scalar == "\t" ? "\\t" : "\\x" + String(format: "%02x", scalar.value)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

extension RemoteLocation {
    /// A destination as ssh takes it: `[user@]host`, or an
    /// `ssh://[user@]host[:port]` URI (also `sftp://`, `scp://`), whose path
    /// must be empty. What `ferry exec` and `ferry config` connect to.
    static func destination(_ text: String) throws -> RemoteLocation {
        let lower = text.lowercased()
        for scheme in ["ssh://", "sftp://", "scp://"] where lower.hasPrefix(scheme) {
            var location = try parse(scheme == "ssh://" ? "sftp://" + text.dropFirst(scheme.count) : text)
                ?? RemoteLocation(user: nil, host: text, port: nil, path: "")
            guard location.path.isEmpty else { throw ValidationError("\(text): a destination has no path") }
            location.path = ""
            return location
        }
        return RemoteLocation(user: nil, host: text, port: nil, path: "")
    }
}
