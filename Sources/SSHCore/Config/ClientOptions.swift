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
    public var ciphers: String?
    public var macs: String?
    public var kexAlgorithms: String?
    public var hostKeyAlgorithms: String?
    public var compression: Bool?
    public var rekeyLimitBytes: UInt64??
    public var rekeyInterval: Duration??
    public var connectTimeout: Duration?
    public var serverAliveInterval: Duration?
    public var serverAliveCountMax: Int?
    public var strictHostKeyChecking: StrictHostKeyChecking?
    public var userKnownHostsFiles: [String]?
    public var globalKnownHostsFiles: [String]?
    public var hashKnownHosts: Bool?
    public var hostKeyAlias: String?
    public var batchMode: Bool?
    public var logLevel: String?

    public init() {}

    /// Keywords `apply` understands; others OpenSSH knows are accepted and
    /// ignored by the caller (with a `-v` message), as the issue on ssh_config specifies.
    public static let supportedKeywords: Set<String> = [
        "hostname", "port", "user", "identityfile", "ciphers", "macs", "kexalgorithms",
        "hostkeyalgorithms", "compression", "rekeylimit", "connecttimeout", "serveraliveinterval",
        "serveralivecountmax", "stricthostkeychecking", "userknownhostsfile", "globalknownhostsfile",
        "hashknownhosts", "hostkeyalias", "batchmode", "loglevel",
    ]

    /// Parses `Keyword=Value` or `Keyword Value` as `-o` takes it and applies it.
    public mutating func apply(option: String) throws {
        let trimmed = option.trimmingCharacters(in: .whitespaces)
        guard let separator = trimmed.firstIndex(where: { $0 == "=" || $0 == " " || $0 == "\t" }) else {
            throw SSHError(.invalidConfiguration, "option \"\(option)\" has no value (use Keyword=Value)")
        }
        let keyword = String(trimmed[..<separator])
        var value = trimmed[trimmed.index(after: separator)...].trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("=") { value = String(value.dropFirst()).trimmingCharacters(in: .whitespaces) }
        try apply(keyword: keyword, value: value)
    }

    /// Applies one keyword; a keyword already set keeps its first value.
    public mutating func apply(keyword: String, value: String) throws {
        let key = keyword.lowercased()
        guard Self.supportedKeywords.contains(key) else {
            throw SSHError(.invalidConfiguration, "unsupported option \"\(keyword)\"")
        }
        guard !value.isEmpty else { throw SSHError(.invalidConfiguration, "\(keyword) needs a value") }
        switch key {
        case "hostname": if hostName == nil { hostName = value }
        case "port":
            guard let p = Int(value), (1...65535).contains(p) else {
                throw SSHError(.invalidConfiguration, "Bad port '\(value)'")
            }
            if port == nil { port = p }
        case "user": if user == nil { user = value }
        case "identityfile": identityFiles.append(value)
        case "ciphers": if ciphers == nil { ciphers = value }
        case "macs": if macs == nil { macs = value }
        case "kexalgorithms": if kexAlgorithms == nil { kexAlgorithms = value }
        case "hostkeyalgorithms": if hostKeyAlgorithms == nil { hostKeyAlgorithms = value }
        case "compression": if compression == nil { compression = try Self.yesNo(keyword, value) }
        case "batchmode": if batchMode == nil { batchMode = try Self.yesNo(keyword, value) }
        case "hashknownhosts": if hashKnownHosts == nil { hashKnownHosts = try Self.yesNo(keyword, value) }
        case "rekeylimit":
            let parts = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = parts.first else { throw SSHError(.invalidConfiguration, "RekeyLimit needs a value") }
            if rekeyLimitBytes == nil {
                let size = String(first).lowercased()
                rekeyLimitBytes = size == "default" || size == "none" ? .some(nil) : .some(try Self.byteCount(keyword, size))
            }
            if parts.count > 1, rekeyInterval == nil {
                let time = String(parts[1]).lowercased()
                rekeyInterval = time == "none" || time == "default" ? .some(nil) : .some(try Self.duration(keyword, time))
            }
        case "connecttimeout": if connectTimeout == nil { connectTimeout = try Self.duration(keyword, value) }
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
            if userKnownHostsFiles == nil { userKnownHostsFiles = value.split(separator: " ").map(String.init) }
        case "globalknownhostsfile":
            if globalKnownHostsFiles == nil { globalKnownHostsFiles = value.split(separator: " ").map(String.init) }
        case "hostkeyalias": if hostKeyAlias == nil { hostKeyAlias = value }
        case "loglevel": if logLevel == nil { logLevel = value }
        default: break
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
