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
