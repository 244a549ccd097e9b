import Foundation

/// ClientOptions is the resolved client configuration for one connection:
/// what `-o Keyword=Value`, the command-line flags and (later) ssh_config
/// files set. As in OpenSSH, the first value obtained for a keyword wins, so
/// command-line values are applied before files.
public struct ClientOptions: Sendable {
    public var hostName: String?
    public var port: Int?
    public var user: String?
    public var identityFiles: [String] = []
    public var certificateFiles: [String] = []
    public var identitiesOnly: Bool?
    public var identityAgent: String?
    public var ciphers: String?
    public var macs: String?
    public var kexAlgorithms: String?
    public var hostKeyAlgorithms: String?
    public var pubkeyAcceptedAlgorithms: String?
    public var compression: Bool?
    public var rekeyLimitBytes: UInt64??
    public var rekeyInterval: Duration??
    public var connectTimeout: Duration??
    public var serverAliveInterval: Duration?
    public var serverAliveCountMax: Int?
    public var strictHostKeyChecking: StrictHostKeyChecking?
    public var checkHostIP: Bool?
    public var userKnownHostsFiles: [String]?
    public var globalKnownHostsFiles: [String]?
    public var hashKnownHosts: Bool?
    public var hostKeyAlias: String?
    public var batchMode: Bool?
    public var logLevel: String?
    /// ProxyJump as written (`none` included: it stops later values).
    public var proxyJump: String?
    /// ProxyCommand as written, tokens unexpanded (`none` included).
    public var proxyCommand: String?
    public var preferredAuthentications: String?
    /// PubkeyAuthentication: `true`, `false`, `unbound` or `host-bound`, as ssh -G names them.
    public var pubkeyAuthentication: String?
    public var passwordAuthentication: Bool?
    public var kbdInteractiveAuthentication: Bool?
    /// NumberOfPasswordPrompts: password (and keyboard-interactive) attempts.
    public var numberOfPasswordPrompts: Int?
    /// AddressFamily: `any`, `inet` or `inet6`.
    public var addressFamily: String?
    /// IgnoreUnknown: a pattern list of keywords that are not errors when unknown.
    public var ignoreUnknown: String?
    /// Keywords OpenSSH knows that were given (by `-o` or a file) and that ferry ignores.
    public var ignoredKeywords: [String] = []

    public init() {}

    /// Keywords `apply` understands; others OpenSSH knows are accepted and
    /// recorded in `ignoredKeywords` (see `SSHConfigKeywords`).
    public static let supportedKeywords: Set<String> = [
        "hostname", "port", "user", "identityfile", "certificatefile", "identitiesonly", "identityagent",
        "ciphers", "macs", "kexalgorithms", "hostkeyalgorithms", "pubkeyacceptedalgorithms",
        "compression", "rekeylimit", "connecttimeout", "serveraliveinterval", "serveralivecountmax",
        "stricthostkeychecking", "checkhostip", "userknownhostsfile", "globalknownhostsfile",
        "hashknownhosts", "hostkeyalias", "batchmode", "loglevel", "proxyjump", "proxycommand",
        "preferredauthentications", "pubkeyauthentication", "passwordauthentication",
        "kbdinteractiveauthentication", "addressfamily", "ignoreunknown", "numberofpasswordprompts",
    ]

    /// Parses `Keyword=Value` or `Keyword Value` as `-o` takes it (the same
    /// splitting as a config file line) and applies it. `Host`, `Match` and
    /// `Include` are refused here, as ssh refuses them on the command line.
    public mutating func apply(option: String) throws {
        let line: SSHConfigLine?
        do { line = try SSHConfigParser.parse(Array(option.utf8)) } catch {
            throw SSHError(.invalidConfiguration, "option \"\(option)\": \(error.message)")
        }
        guard let line else { throw SSHError(.invalidConfiguration, "option \"\(option)\" has no keyword") }
        switch SSHConfigKeywords.kind(of: line.keyword) {
        case .supported(let key): try apply(keyword: key, arguments: line.arguments, rest: line.rest)
        case .ignored, .obsolete: ignoredKeywords.append(line.keyword)
        case .host, .match, .include:
            throw SSHError(.invalidConfiguration, "\(line.keyword) directive not supported as a command-line option")
        case nil:
            throw SSHError(.invalidConfiguration, "command-line line 0: Bad configuration option: \(line.keyword)")
        }
    }

    /// Applies one keyword with `value` split into arguments as a config
    /// line would be; a keyword already set keeps its first value.
    public mutating func apply(keyword: String, value: String) throws {
        guard let arguments = SSHConfigParser.splitArguments(Array(value.utf8)) else {
            throw SSHError(.invalidConfiguration, "\(keyword): invalid quotes in '\(value)'")
        }
        try apply(keyword: keyword, arguments: arguments.map { String(decoding: $0, as: UTF8.self) }, rest: value)
    }

    /// Applies one keyword with its arguments (`rest` is the unsplit text,
    /// for ProxyCommand). A keyword already set keeps its first value, but
    /// the value is checked either way, as OpenSSH checks it.
    public mutating func apply(keyword: String, arguments: [String], rest: String) throws {
        var key = keyword.lowercased()
        if let canonical = SSHConfigKeywords.aliases[key] { key = canonical }
        guard Self.supportedKeywords.contains(key) else {
            throw SSHError(.invalidConfiguration, "unsupported option \"\(keyword)\"")
        }
        guard let value = arguments.first, !value.isEmpty else {
            throw SSHError(.invalidConfiguration, "\(keyword): missing argument")
        }
        let multiple: Set<String> = ["userknownhostsfile", "globalknownhostsfile", "rekeylimit", "proxycommand", "proxyjump"]
        if arguments.count > 1 && !multiple.contains(key) {
            throw SSHError(.invalidConfiguration, "keyword \(keyword) extra arguments at end of line")
        }
        switch key {
        case "hostname": if hostName == nil { hostName = value }
        case "port":
            guard let p = Int(value), (1...65535).contains(p) else {
                throw SSHError(.invalidConfiguration, "Bad port '\(value)'")
            }
            if port == nil { port = p }
        case "user": if user == nil { user = value }
        case "identityfile": if !identityFiles.contains(value) { identityFiles.append(value) }
        case "certificatefile": if !certificateFiles.contains(value) { certificateFiles.append(value) }
        case "identitiesonly": if identitiesOnly == nil { identitiesOnly = try Self.yesNo(keyword, value) }
        case "identityagent": if identityAgent == nil { identityAgent = value }
        case "ciphers": if ciphers == nil { ciphers = value }
        case "macs": if macs == nil { macs = value }
        case "kexalgorithms": if kexAlgorithms == nil { kexAlgorithms = value }
        case "hostkeyalgorithms": if hostKeyAlgorithms == nil { hostKeyAlgorithms = value }
        case "pubkeyacceptedalgorithms": if pubkeyAcceptedAlgorithms == nil { pubkeyAcceptedAlgorithms = value }
        case "compression": if compression == nil { compression = try Self.yesNo(keyword, value) }
        case "batchmode": if batchMode == nil { batchMode = try Self.yesNo(keyword, value) }
        case "hashknownhosts": if hashKnownHosts == nil { hashKnownHosts = try Self.yesNo(keyword, value) }
        case "checkhostip": if checkHostIP == nil { checkHostIP = try Self.yesNo(keyword, value) }
        case "passwordauthentication":
            if passwordAuthentication == nil { passwordAuthentication = try Self.yesNo(keyword, value) }
        case "kbdinteractiveauthentication":
            if kbdInteractiveAuthentication == nil { kbdInteractiveAuthentication = try Self.yesNo(keyword, value) }
        case "numberofpasswordprompts":
            guard let n = Int(value), n >= 0 else {
                throw SSHError(.invalidConfiguration, "\(keyword): integer value '\(value)' is invalid")
            }
            if numberOfPasswordPrompts == nil { numberOfPasswordPrompts = n }
        case "pubkeyauthentication":
            let v: String
            switch value.lowercased() {
            case "yes", "true": v = "true"
            case "no", "false": v = "false"
            case "unbound", "host-bound": v = value.lowercased()
            default: throw SSHError(.invalidConfiguration, "unsupported PubkeyAuthentication value '\(value)'")
            }
            if pubkeyAuthentication == nil { pubkeyAuthentication = v }
        case "addressfamily":
            let v = value.lowercased()
            guard ["any", "inet", "inet6"].contains(v) else {
                throw SSHError(.invalidConfiguration, "unsupported AddressFamily value '\(value)'")
            }
            if addressFamily == nil { addressFamily = v }
        case "rekeylimit":
            guard arguments.count <= 2 else { throw SSHError(.invalidConfiguration, "keyword \(keyword) extra arguments at end of line") }
            let size = value.lowercased()
            let bytes: UInt64? = size == "default" || size == "none" ? nil : try Self.byteCount(keyword, size)
            var interval: Duration?? = nil
            // An interval of "none" leaves the interval unset, so a later value may still set it.
            if arguments.count > 1, arguments[1].lowercased() != "none" {
                let time = arguments[1].lowercased()
                interval = time == "default" ? .some(nil) : .some(try Self.duration(keyword, time))
            }
            if rekeyLimitBytes == nil { rekeyLimitBytes = .some(bytes) }
            if let interval, rekeyInterval == nil { rekeyInterval = interval }
        case "connecttimeout":
            let v: Duration? = value == "none" ? nil : try Self.duration(keyword, value)
            if connectTimeout == nil { connectTimeout = .some(v) }
        case "serveraliveinterval": if serverAliveInterval == nil { serverAliveInterval = try Self.duration(keyword, value) }
        case "serveralivecountmax":
            guard let n = Int(value), n >= 0 else { throw SSHError(.invalidConfiguration, "bad ServerAliveCountMax '\(value)'") }
            if serverAliveCountMax == nil { serverAliveCountMax = n }
        case "stricthostkeychecking":
            guard let v = StrictHostKeyChecking(configValue: value) else {
                throw SSHError(.invalidConfiguration, "unsupported StrictHostKeyChecking value '\(value)'")
            }
            if strictHostKeyChecking == nil { strictHostKeyChecking = v }
        case "userknownhostsfile":
            try Self.checkFileList(keyword, arguments)
            if userKnownHostsFiles == nil { userKnownHostsFiles = arguments }
        case "globalknownhostsfile":
            try Self.checkFileList(keyword, arguments)
            if globalKnownHostsFiles == nil { globalKnownHostsFiles = arguments }
        case "hostkeyalias": if hostKeyAlias == nil { hostKeyAlias = value }
        case "loglevel":
            guard let level = Self.logLevelName(value) else {
                throw SSHError(.invalidConfiguration, "unsupported log level '\(value)'")
            }
            if logLevel == nil { logLevel = level }
        case "proxyjump":
            let text = Self.commandText(rest)
            guard !text.isEmpty, !text.contains(where: { $0 == " " || $0 == "\t" }) else {
                throw SSHError(.invalidConfiguration, "Invalid ProxyJump \"\(text)\"")
            }
            if proxyJump == nil { proxyJump = text }
        case "proxycommand":
            // As in OpenSSH: once ProxyJump is set, ProxyCommand is ignored.
            if proxyCommand == nil && proxyJump == nil { proxyCommand = Self.commandText(rest) }
        case "preferredauthentications": if preferredAuthentications == nil { preferredAuthentications = value }
        case "ignoreunknown": if ignoreUnknown == nil { ignoreUnknown = value }
        default: break
        }
    }

    /// ProxyCommand and ProxyJump take the rest of the line as text, less
    /// leading whitespace and `=` (readconf.c `parse_command`).
    static func commandText(_ rest: String) -> String {
        String(rest.drop { $0 == " " || $0 == "\t" || $0 == "=" })
    }

    /// `none` may only stand alone in a known-hosts file list.
    static func checkFileList(_ keyword: String, _ arguments: [String]) throws {
        if arguments.count > 1, arguments.contains(where: { $0.lowercased() == "none" }) {
            throw SSHError(.invalidConfiguration, "keyword \(keyword): \"none\" may only be the only argument")
        }
    }

    /// LogLevel names as log.c knows them, in the spelling ssh -G prints.
    static func logLevelName(_ value: String) -> String? {
        switch value.uppercased() {
        case "QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG2", "DEBUG3": value.uppercased()
        case "DEBUG", "DEBUG1": "DEBUG"
        default: nil
        }
    }

    /// The algorithm preferences these options select.
    public func algorithmPreferences() throws -> AlgorithmPreferences {
        var prefs = AlgorithmPreferences()
        if let ciphers { try prefs.apply(ciphers: ciphers) }
        if let macs { try prefs.apply(macs: macs) }
        if let kexAlgorithms { try prefs.apply(keyExchange: kexAlgorithms) }
        if let hostKeyAlgorithms { try prefs.apply(hostKey: hostKeyAlgorithms) }
        if compression == true { prefs.compression = AlgorithmPreferences.compressionOn }
        return prefs
    }

    static func yesNo(_ keyword: String, _ value: String) throws -> Bool {
        switch value.lowercased() {
        case "yes", "true": return true
        case "no", "false": return false
        default: throw SSHError(.invalidConfiguration, "\(keyword) must be yes or no, not '\(value)'")
        }
    }

    /// Sizes as sshd_config(5) writes them: a number with optional K, M or G.
    static func byteCount(_ keyword: String, _ text: String) throws -> UInt64 {
        var digits = Substring(text)
        var multiplier: UInt64 = 1
        switch text.last {
        case "k": multiplier = 1 << 10; digits = digits.dropLast()
        case "m": multiplier = 1 << 20; digits = digits.dropLast()
        case "g": multiplier = 1 << 30; digits = digits.dropLast()
        default: break
        }
        guard let n = UInt64(digits), n <= UInt64.max / multiplier else {
            throw SSHError(.invalidConfiguration, "bad size '\(text)' for \(keyword)")
        }
        return n * multiplier
    }

    /// Times as sshd_config(5) writes them: `90`, `10m`, `1h30m`, with s m h d w.
    static func duration(_ keyword: String, _ text: String) throws -> Duration {
        var total: Int64 = 0
        var number: Int64 = 0
        var sawDigit = false
        for c in text.lowercased() {
            if let d = c.wholeNumberValue {
                guard number <= (Int64.max - 9) / 10 else { throw SSHError(.invalidConfiguration, "time '\(text)' is too large for \(keyword)") }
                number = number * 10 + Int64(d)
                sawDigit = true
                continue
            }
            let unit: Int64
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            case "w": unit = 604_800
            default: throw SSHError(.invalidConfiguration, "bad time '\(text)' for \(keyword)")
            }
            guard sawDigit, number <= Int64.max / unit / 2 else { throw SSHError(.invalidConfiguration, "bad time '\(text)' for \(keyword)") }
            total += number * unit
            number = 0
            sawDigit = false
        }
        total += number
        return .seconds(total)
    }
}
