import FerryKit
import Foundation
import Logging

/// SSHSession is the CLI's side of "ssh host": it turns the command line's
/// connection options into `SSHOptions`, with the terminal as the one who
/// answers prompts and stderr as where messages and `-v` lines go, and
/// hands the rest to FerryKit (`ResolvedDestination`, `SSHConnectionPlan`),
/// the same code a Swift program uses.
enum SSHSession {
    /// `connectTimeout`: the timeout when ConnectTimeout is not set (by
    /// `-o` or ssh_config), as `--timeout` gives it; else 30 s.
    static func connect(_ target: RemoteTarget, _ flags: ConnectionOptions,
                        connectTimeout: Duration? = nil) async throws -> SSHClient {
        try await plan(target, flags, connectTimeout: connectTimeout).connect()
    }

    /// Resolves the destination through the options and ssh_config, sets
    /// this run's LogLevel from it, and loads the credentials (passphrases
    /// asked here, once).
    static func plan(_ target: RemoteTarget, _ flags: ConnectionOptions,
                     connectTimeout: Duration? = nil) async throws -> SSHConnectionPlan {
        var options = try flags.sshOptions()
        if let connectTimeout { options.connectTimeout = connectTimeout }
        let resolved = try ResolvedDestination(SSHDestination(user: target.user, host: target.host), options: options)
        LogLevel.current = LogLevel(resolved.options.logLevel)
        // Name and instructions of keyboard-interactive prompts are not
        // shown under -q or a LogLevel below INFO, as ssh logs them.
        let quiet = flags.quiet || !LogLevel.current.showsWarnings
        options.prompts = SSHPrompts(hostKey: TerminalPrompt.hostKeyPrompt(),
                                     authentication: SecretPrompt.handler(quiet: quiet),
                                     passphrase: SecretPrompt.passphraseProvider())
        return try await SSHConnectionPlan.make(resolved, options: options)
    }
}

/// The plan of one command's connections, made on first use and reused by
/// every reconnect (`--retries`): resolved once, keys loaded once, so an
/// encrypted key's passphrase is asked once however often the link drops.
actor ConnectionPlanCache {
    private let target: RemoteTarget
    private let flags: ConnectionOptions
    private let connectTimeout: Duration?
    private var plan: SSHConnectionPlan?

    init(_ target: RemoteTarget, _ flags: ConnectionOptions, connectTimeout: Duration? = nil) {
        self.target = target
        self.flags = flags
        self.connectTimeout = connectTimeout
    }

    /// The plan; the first call makes it (callers connect one at a time).
    func get() async throws -> SSHConnectionPlan {
        if let plan { return plan }
        let made = try await SSHSession.plan(target, flags, connectTimeout: connectTimeout)
        plan = made
        return made
    }

    /// Connects with the plan.
    func connect() async throws -> SSHClient {
        try await get().connect()
    }
}

extension ConnectionOptions {
    /// The options these flags select, before ssh_config.
    func clientOptions() throws -> ClientOptions {
        try sshOptions().clientOptions()
    }

    /// The `SSHOptions` these flags give: the flags as ssh_config settings
    /// (flags first, so they win; then `-o`), the config file, messages to
    /// stderr and `debugN:` lines for `-v`.
    func sshOptions() throws -> SSHOptions {
        var o = SSHOptions()
        if let port { o.set("Port", String(port)) }
        if let jump { o.set("ProxyJump", jump) }
        if let cipher { o.set("Ciphers", cipher) }
        if let mac { o.set("MACs", mac) }
        if compress { o.set("Compression", "yes") }
        if ipv4 { o.set("AddressFamily", "inet") }
        if ipv6 { o.set("AddressFamily", "inet6") }
        // -q and -v set the log level before -o and the files can (ssh.c).
        if quiet { o.set("LogLevel", "QUIET") }
        if verbose > 0 { o.set("LogLevel", ["DEBUG1", "DEBUG2", "DEBUG3"][min(verbose, 3) - 1]) }
        for file in identity { o.set("IdentityFile", file) }
        for option in options { o.set(option) }
        _ = try o.clientOptions()
        o.configFile = configFile
        let verbose = self.verbose, quiet = self.quiet
        o.logger = Logger(label: "ferry") { _ in DebugLineLogHandler(verbose: verbose, quiet: quiet) }
        o.onMessage = { message in
            let text = message.kind == .banner || message.text.hasSuffix("\n") ? message.text : message.text + "\n"
            FileHandle.standardError.write(Data(text.utf8))
        }
        return o
    }
}

/// DebugLineLogHandler prints FerryKit's log lines as ssh prints its own
/// `-v` lines: `debugN: message` on stderr, when -v (or LogLevel DEBUGN)
/// asks for level N. Lines without an `ssh.debug` level (the protocol
/// events of SSHCore) count as level 2 at `debug` and 3 at `trace`;
/// warnings and errors show at every level but QUIET.
struct DebugLineLogHandler: LogHandler {
    let verbose: Int
    let quiet: Bool
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let shown = LogLevel.current.debugLevel(verbose: verbose, quiet: quiet)
        var fields = event.metadata ?? [:]
        let level: Int
        if let marked = fields.removeValue(forKey: "ssh.debug").flatMap({ Int("\($0)") }) {
            level = marked
        } else {
            switch event.level {
            case .trace: level = 3
            case .debug: level = 2
            default:
                if LogLevel.current.showsWarnings && !quiet { FileHandle.standardError.write(Data("\(event.message)\n".utf8)) }
                return
            }
        }
        guard level <= shown else { return }
        let extra = fields.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        FileHandle.standardError.write(Data("debug\(level): \(event.message)\(extra)\n".utf8))
    }
}
