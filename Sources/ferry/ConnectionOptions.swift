import ArgumentParser
import Foundation
import SSHCore
import SSHCrypto

/// The connection options every ferry command shares, spelled as OpenSSH
/// spells them so that habits carry over.
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.customShort("P"), .customLong("port")], help: ArgumentHelp("Port to connect to on the remote host.", valueName: "port"))
    var port: Int?

    @Option(name: [.customShort("i"), .customLong("identity")], help: ArgumentHelp("Identity (private key) file; repeatable.", valueName: "identity_file"))
    var identity: [String] = []

    @Option(name: [.customShort("F"), .customLong("config")], help: ArgumentHelp("Read only this ssh_config file (none: no file) instead of ~/.ssh/config and /etc/ssh/ssh_config.", valueName: "ssh_config"))
    var configFile: String?

    @Option(name: [.customShort("o"), .customLong("option")], help: ArgumentHelp("Option in ssh_config syntax, e.g. -o Ciphers=aes128-ctr; repeatable.", valueName: "Keyword=Value"))
    var options: [String] = []

    @Option(name: [.customShort("J"), .customLong("jump")], help: ArgumentHelp("Connect through these jump hosts, as ssh -J.", valueName: "[user@]host[:port][,…]"))
    var jump: String?

    @Option(name: [.customShort("c"), .customLong("cipher")], help: ArgumentHelp("Cipher list, as ssh -c (e.g. aes128-gcm@openssh.com or +aes128-ctr).", valueName: "cipher_spec"))
    var cipher: String?

    @Option(name: [.customShort("m"), .customLong("mac")], help: ArgumentHelp("MAC list, as ssh -m.", valueName: "mac_spec"))
    var mac: String?

    @Flag(name: [.customShort("C"), .customLong("compress")], help: "Compress the connection (zlib@openssh.com).")
    var compress = false

    @Flag(name: [.customShort("4"), .customLong("ipv4")], help: "Connect over IPv4 only (AddressFamily inet).")
    var ipv4 = false

    @Flag(name: [.customShort("6"), .customLong("ipv6")], help: "Connect over IPv6 only (AddressFamily inet6).")
    var ipv6 = false

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Verbose: say what happens; repeat for more (as ssh -v, -vv, -vvv).")
    var verbose: Int

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Quiet: no banners, warnings or summaries.")
    var quiet = false

    func validate() throws {
        // As ssh: the last of -4 and -6 would win there; both at once is a mistake here.
        if ipv4 && ipv6 { throw ValidationError("-4 and -6 exclude each other") }
    }

    /// The options these flags select; flags come first, so they win.
    func clientOptions() throws -> ClientOptions {
        var o = ClientOptions()
        if let port { try o.apply(keyword: "Port", value: String(port)) }
        if let jump { try o.apply(keyword: "ProxyJump", value: jump) }
        if let cipher { try o.apply(keyword: "Ciphers", value: cipher) }
        if let mac { try o.apply(keyword: "MACs", value: mac) }
        if compress { try o.apply(keyword: "Compression", value: "yes") }
        if ipv4 { try o.apply(keyword: "AddressFamily", value: "inet") }
        if ipv6 { try o.apply(keyword: "AddressFamily", value: "inet6") }
        // -q and -v set the log level before -o and the files can (ssh.c).
        if quiet { try o.apply(keyword: "LogLevel", value: "QUIET") }
        if verbose > 0 { try o.apply(keyword: "LogLevel", value: ["DEBUG1", "DEBUG2", "DEBUG3"][min(verbose, 3) - 1]) }
        for file in identity { try o.apply(keyword: "IdentityFile", value: file) }
        for option in options { try o.apply(option: option) }
        return o
    }

    /// The options for `target` as ssh resolves them: flags, then `-o`, then
    /// `user@`, then the ssh_config files (first value wins); the host name
    /// is the resolved HostName. Ignored keywords are reported at `-v`.
    func resolvedOptions(for target: RemoteTarget) throws -> (options: ClientOptions, context: SSHConfigContext) {
        var o = try clientOptions()
        if let user = target.user { try o.apply(keyword: "User", value: user) }
        let context = SSHConfigContext.current(host: target.host, configFile: configFile)
        let report = try SSHConfigFile.resolve(into: &o, context: context)
        LogLevel.current = LogLevel(o.logLevel)
        for file in report.filesRead { log(1, "Reading configuration data \(file)") }
        for note in report.ignored { log(1, note) }
        for keyword in o.ignoredKeywords { log(1, "ignoring option \"\(keyword)\" (not used by ferry)") }
        return (o, context)
    }

    /// A `debugN:` line, shown when -v (or LogLevel DEBUGN) asks for that level.
    func log(_ level: Int, _ message: @autoclosure () -> String) {
        if LogLevel.current.debugLevel(flags: self) >= level { FileHandle.standardError.write(Data(("debug\(level): " + message() + "\n").utf8)) }
    }
}

/// `[user@]host` as ssh takes it.
struct RemoteTarget {
    let user: String?
    let host: String

    init(_ text: String) throws {
        if let at = text.lastIndex(of: "@") {
            user = String(text[..<at])
            host = String(text[text.index(after: at)...])
            guard !(user ?? "").isEmpty else { throw ValidationError("empty user name in \"\(text)\"") }
        } else {
            user = nil
            host = text
        }
        var h = host
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        guard !h.isEmpty, !h.hasPrefix("-") else { throw ValidationError("invalid host name \"\(text)\"") }
    }
}
