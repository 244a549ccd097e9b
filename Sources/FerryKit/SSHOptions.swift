import Logging
@_spi(Internals) import SSHCore

/// SSHOptions is what `ssh` takes on its command line besides the
/// destination: the settings that win over ssh_config, the config file to
/// read, who answers prompts, and where log lines and messages go.
///
/// Precedence is ssh's: these settings first (in the order they were set),
/// then the destination's `user@` and `:port`, then the ssh_config files;
/// for each keyword the first value wins.
public struct SSHOptions: Sendable {
    /// ssh_config settings as `-o Keyword=Value` gives them, in order.
    public private(set) var settings: [String] = []
    /// `-F`: read only this file instead of ~/.ssh/config and
    /// /etc/ssh/ssh_config; "none" reads no file. nil: the default files.
    public var configFile: String?
    /// Who answers prompts (default: nobody, as BatchMode).
    public var prompts: SSHPrompts = .none
    /// The connect timeout when ConnectTimeout is not set (default 30 s).
    /// It covers TCP connect, key exchange and authentication, not the time
    /// a person takes to answer a prompt.
    public var connectTimeout: Duration = .seconds(30)
    /// Where protocol and resolution events go: `debug` for what `ssh -v`
    /// prints (metadata `ssh.debug` gives its level, 1–3), `warning` for
    /// what ssh warns about. Silent by default.
    public var logger = Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Banners and warnings for a person; shown only when LogLevel is INFO
    /// or above (ssh's rule). Default: logged at `notice` / `warning`.
    public var onMessage: (@Sendable (SSHMessage) -> Void)?
    /// Environment variables to resolve against (`SSH_AUTH_SOCK`,
    /// `${VAR}` in paths); nil: this process's.
    public var environment: [String: String]?

    public init() {}

    /// Adds `-o Keyword=Value` (or `Keyword Value`). Checked when the
    /// destination is resolved.
    public mutating func set(_ option: String) {
        settings.append(option)
    }

    /// Adds `Keyword=value`.
    public mutating func set(_ keyword: String, _ value: String) {
        settings.append("\(keyword)=\(value)")
    }

    // The properties below read the settings as they resolve (the first
    // value of a keyword wins, as with -o), and set one by replacing every
    // setting of that keyword with a first one. Read back as nil while
    // some setting does not parse; resolving the destination reports it.

    /// `-p`: the port (Port).
    public var port: Int? {
        get { resolved?.port }
        set { replace("Port", newValue.map(String.init)) }
    }

    /// `-l`: the user (User); `user@` in the destination wins.
    public var user: String? {
        get { resolved?.user }
        set { replace("User", newValue) }
    }

    /// `-J`: jump hosts, `[user@]host[:port]` separated by commas (ProxyJump).
    /// Each runs inside this process: a direct-tcpip channel through the
    /// previous hop, never a `ssh -W` process.
    public var jump: String? {
        get { resolved?.proxyJump }
        set { replace("ProxyJump", newValue) }
    }

    /// `-i`: identity files, tried in order (IdentityFile).
    public var identityFiles: [String] {
        get { resolved?.identityFiles ?? [] }
        set {
            settings.removeAll { Self.keyword(of: $0) == "identityfile" }
            settings.append(contentsOf: newValue.map { "IdentityFile=\($0)" })
        }
    }

    /// `BatchMode=yes`: nobody is asked, whatever `prompts` holds.
    public var batchMode: Bool {
        get { resolved?.batchMode == true }
        set { replace("BatchMode", newValue ? "yes" : nil) }
    }

    /// The ClientOptions these settings give, before ssh_config.
    public func clientOptions() throws -> ClientOptions {
        var o = ClientOptions()
        for option in settings { try o.apply(option: option) }
        return o
    }

    private var resolved: ClientOptions? { try? clientOptions() }

    private mutating func replace(_ keyword: String, _ value: String?) {
        let wanted = keyword.lowercased()
        settings.removeAll { Self.keyword(of: $0) == wanted }
        if let value { settings.insert("\(keyword)=\(value)", at: 0) }
    }

    /// The keyword of a `Keyword=Value` setting, lowercased, as
    /// ssh_config's parser reads it.
    static func keyword(of option: String) -> String? {
        (try? SSHConfigParser.parse(Array(option.utf8)))??.keyword.lowercased()
    }
}
