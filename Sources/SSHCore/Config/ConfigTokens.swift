import Foundation
import SSHCrypto

/// ConfigTokens holds the values of ssh_config(5)'s TOKENS for one
/// connection and expands them, as OpenSSH's `percent_expand` and
/// `percent_dollar_expand` do: `%%`, `%C %d %h %i %k %L %l %n %p %r %u`, and
/// `${NAME}` environment references where the keyword allows them. An
/// unknown `%x`, a trailing `%` or an unset variable is an error (OpenSSH
/// exits on them), never a silent guess.
public struct ConfigTokens: Sendable {
    /// `%h`: the remote host name (after HostName).
    public var host: String
    /// `%n`: the host name as given on the command line.
    public var originalHost: String
    /// `%p`: the remote port.
    public var port: Int
    /// `%r`: the remote user name.
    public var remoteUser: String
    /// `%u`: the local user name.
    public var localUser: String
    /// `%d`: the local user's home directory.
    public var homeDirectory: String
    /// `%i`: the local user ID.
    public var userID: UInt32
    /// `%l`: the local host name, with domain; `%L` is its first label.
    public var localHostName: String
    /// `%k`: HostKeyAlias if set, else the original host name.
    public var hostKeyAlias: String
    /// Environment for `${NAME}`.
    public var environment: [String: String]

    public init(host: String, originalHost: String, port: Int, remoteUser: String, localUser: String,
                homeDirectory: String, userID: UInt32, localHostName: String, hostKeyAlias: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.host = host
        self.originalHost = originalHost
        self.port = port
        self.remoteUser = remoteUser
        self.localUser = localUser
        self.homeDirectory = homeDirectory
        self.userID = userID
        self.localHostName = localHostName
        self.hostKeyAlias = hostKeyAlias ?? originalHost
        self.environment = environment
    }

    /// `%C`: SHA-1 (hex) of `%l%h%p%r`, as ControlPath uses it.
    public var connectionHash: String {
        let digest = HashAlgorithm.sha1.hash(Array("\(localHostName)\(host)\(port)\(remoteUser)".utf8))
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The value of one token letter, or nil when the letter is not a token.
    public func value(of letter: Character) -> String? {
        switch letter {
        case "C": connectionHash
        case "L": String(localHostName.prefix { $0 != "." })
        case "i": String(userID)
        case "k": hostKeyAlias
        case "l": localHostName
        case "n": originalHost
        case "p": String(port)
        case "d": homeDirectory
        case "h": host
        case "r": remoteUser
        case "u": localUser
        default: nil
        }
    }

    /// Expands `%` tokens (only `allowed` letters, all when nil) and, when
    /// `environment` is true, `${NAME}`.
    public func expand(_ text: String, allowed: Set<Character>? = nil, environment useEnvironment: Bool = true) throws -> String {
        try Self.expand(text, environment: useEnvironment ? environment : nil) { letter in
            if let allowed, !allowed.contains(letter) { return nil }
            return value(of: letter)
        }
    }

    /// The expansion engine, shared with HostName's `%h`-only expansion.
    static func expand(_ text: String, environment: [String: String]?, lookup: (Character) -> String?) throws -> String {
        var out = ""
        var chars = Substring(text)
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "$", let environment, chars.first == "{" {
                chars = chars.dropFirst()
                guard let close = chars.firstIndex(of: "}") else {
                    throw SSHError(.invalidConfiguration, "environment variable '\(chars)' missing closing '}' in \"\(text)\"")
                }
                let name = String(chars[..<close])
                guard !name.isEmpty else { throw SSHError(.invalidConfiguration, "zero-length environment variable in \"\(text)\"") }
                guard let value = environment[name] else {
                    throw SSHError(.invalidConfiguration, "env var ${\(name)} has no value (in \"\(text)\")")
                }
                out += value
                chars = chars[chars.index(after: close)...]
                continue
            }
            guard c == "%" else { out.append(c); continue }
            guard let letter = chars.first else { throw SSHError(.invalidConfiguration, "invalid format: \"\(text)\" ends with %") }
            chars = chars.dropFirst()
            if letter == "%" { out.append("%"); continue }
            guard let value = lookup(letter) else {
                throw SSHError(.invalidConfiguration, "unknown key %\(letter) in \"\(text)\"")
            }
            out += value
        }
        return out
    }

    /// `~` and `~/…` become the home directory (OpenSSH `tilde_expand_filename`;
    /// `~user` is left alone, as ferry does not consult other accounts).
    public static func expandTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst(1) }
        return path
    }
}
