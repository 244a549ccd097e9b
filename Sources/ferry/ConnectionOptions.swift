import ArgumentParser
import Foundation
import SSHCore
import SSHCrypto

/// The connection options every ferry command shares, spelled as OpenSSH
/// spells them so that habits carry over.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customShort("P"), help: "Port to connect to on the remote host.")
    var port: Int?

    @Option(name: .customShort("i"), help: "Identity (private key) file; repeatable.")
    var identity: [String] = []

    @Option(name: .customShort("F"), help: ArgumentHelp("Read only this ssh_config file (none: no file) instead of ~/.ssh/config and /etc/ssh/ssh_config.", valueName: "configfile"))
    var configFile: String?

    @Option(name: .customShort("o"), help: ArgumentHelp("Option in ssh_config syntax, e.g. -o Ciphers=aes128-ctr; repeatable.", valueName: "Keyword=Value"))
    var options: [String] = []

    @Option(name: .customShort("J"), help: ArgumentHelp("Connect through these jump hosts, as ssh -J.", valueName: "[user@]host[:port][,…]"))
    var jump: String?

    @Option(name: .customShort("c"), help: "Cipher list, as ssh -c (e.g. aes128-gcm@openssh.com or +aes128-ctr).")
    var cipher: String?

    @Option(name: .customShort("m"), help: "MAC list, as ssh -m.")
    var mac: String?

    @Flag(name: .customShort("C"), help: "Compress the connection (zlib@openssh.com).")
    var compress = false

    @Flag(name: .customShort("v"), help: "Verbose: say what happens; repeat for more.")
    var verbose: Int

    @Flag(name: .customShort("q"), help: "Quiet: no banners, warnings or summaries.")
    var quiet = false

    /// The options these flags select; flags come first, so they win.
    func clientOptions() throws -> ClientOptions {
        var o = ClientOptions()
        if let port { try o.apply(keyword: "Port", value: String(port)) }
        if let jump { try o.apply(keyword: "ProxyJump", value: jump) }
        if let cipher { try o.apply(keyword: "Ciphers", value: cipher) }
        if let mac { try o.apply(keyword: "MACs", value: mac) }
        if compress { try o.apply(keyword: "Compression", value: "yes") }
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
        for file in report.filesRead { log(1, "Reading configuration data \(file)") }
        for note in report.ignored { log(1, note) }
        for keyword in o.ignoredKeywords { log(1, "ignoring option \"\(keyword)\" (not used by ferry)") }
        return (o, context)
    }

    func log(_ level: Int, _ message: @autoclosure () -> String) {
        if verbose >= level && !quiet { FileHandle.standardError.write(Data(("debug\(level): " + message() + "\n").utf8)) }
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
