import Foundation
@_spi(Internals) import SSHCore
import SSHCrypto
import Testing

/// SSHConfigFixture is one small ssh_config world in a temporary directory:
/// the main file, any files it includes, and a fake `$HOME` whose `.ssh`
/// holds relative includes. It resolves a host both with ferry's library and
/// with `ssh -G`, and normalises the two for comparison.
struct SSHConfigFixture {
    let root: URL
    let home: URL
    let main: String

    /// `files` are extra files: a name starting with `~/` goes under the fake
    /// home, others under the root; `@ROOT@` in any text is the root path.
    init(_ text: String, files: [String: String] = [:]) throws {
        let root = try makeTemporaryDirectory()
        let home = root.appendingPathComponent("home", isDirectory: true)
        self.root = root
        self.home = home
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".ssh"), withIntermediateDirectories: true)
        let rootPath = root.path
        let substitute = { (s: String) in s.replacingOccurrences(of: "@ROOT@", with: rootPath) }
        for (name, contents) in files {
            let url = name.hasPrefix("~/") ? home.appendingPathComponent(String(name.dropFirst(2))) : root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(substitute(contents).utf8).write(to: url)
        }
        main = try writeFile(substitute(text), named: "config", in: root)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// The environment both sides see: ours with HOME pointing at the fake home.
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home.path
        return env
    }

    func context(host: String) -> SSHConfigContext {
        let real = SSHConfigContext.current(host: host, configFile: main)
        return SSHConfigContext(
            originalHost: host, configFile: main, localUser: real.localUser, homeDirectory: real.homeDirectory,
            includeHomeDirectory: home.path, userID: real.userID, localHostName: real.localHostName,
            environment: environment)
    }

    /// ferry's `ssh -G` text for `host`, with `-o` options applied first.
    func ferry(_ host: String, options: [String] = []) throws -> String {
        var o = ClientOptions()
        for option in options { try o.apply(option: option) }
        let ctx = context(host: host)
        try SSHConfigFile.resolve(into: &o, context: ctx)
        return try SSHConfigDump.render(o, context: ctx)
    }

    /// `ssh -G -F main host`; the test fails if ssh cannot be run.
    func ssh(_ host: String, options: [String] = []) throws -> (status: Int32, output: String, errorText: String) {
        try runSSH(["-G", "-F", main] + options.flatMap { ["-o", $0] } + [host], environment: environment)
    }
}

/// Runs ssh with `arguments` and `environment`.
func runSSH(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String, errorText: String) {
    let candidates = ["/usr/bin/ssh", "/usr/local/bin/ssh", "/bin/ssh"]
    let ssh = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) },
                           "ssh not found (install openssh-client): ssh_config comparisons cannot run")
    let result = try runProgram(ssh, arguments, environment: environment)
    return (result.status, result.output, result.errorText)
}

/// SSHGComparison reduces `ssh -G` text to what ferry claims to match: the
/// keywords ferry prints, algorithm lists cut down to algorithms ferry
/// implements. Cipher lists compare as sets, because ferry's default order
/// deliberately puts AES-GCM first. IdentityFile lines compare only when
/// the configuration names some (the defaults differ by design).
enum SSHGComparison {
    static let keywords: Set<String> = [
        "host", "user", "hostname", "port", "addressfamily", "batchmode", "checkhostip", "compression",
        "hashknownhosts", "identitiesonly", "kbdinteractiveauthentication", "passwordauthentication",
        "pubkeyauthentication", "stricthostkeychecking", "serveralivecountmax", "serveraliveinterval",
        "ciphers", "hostkeyalgorithms", "hostkeyalias", "identityagent", "ignoreunknown", "kexalgorithms",
        "loglevel", "macs", "preferredauthentications", "pubkeyacceptedalgorithms", "identityfile",
        "certificatefile", "globalknownhostsfile", "userknownhostsfile", "connecttimeout", "rekeylimit",
        "proxyjump", "proxycommand",
    ]

    static let supported: [String: Set<String>] = [
        "ciphers": Set(CipherAlgorithm.allCases.map(\.rawValue)),
        "macs": Set(MACAlgorithm.allCases.map(\.rawValue)),
        "kexalgorithms": Set(KeyExchangeAlgorithm.allCases.map(\.rawValue)),
        "hostkeyalgorithms": Set(SignatureAlgorithm.allCases.map(\.rawValue)),
        "pubkeyacceptedalgorithms": Set(SignatureAlgorithm.allCases.map(\.rawValue)),
    ]

    static func normalise(_ text: String, compareIdentityFiles: Bool) -> [String] {
        var lines: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            let key = String(parts.first ?? "")
            guard keywords.contains(key) else { continue }
            if key == "identityfile" && !compareIdentityFiles { continue }
            var value = parts.count > 1 ? String(parts[1]) : ""
            if let names = supported[key] {
                var list = value.split(separator: ",").map(String.init).filter { names.contains($0) }
                if key == "ciphers" { list.sort() }
                value = list.joined(separator: ",")
            }
            lines.append("\(key) \(value)")
        }
        return lines
    }
}
