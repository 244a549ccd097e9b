import Foundation

/// SSHConfigFile reads ssh_config files into `ClientOptions` as OpenSSH's
/// readconf.c does, so one configuration means the same to ferry and ssh:
///
/// - files: `-F file` alone, else `~/.ssh/config` then `/etc/ssh/ssh_config`;
/// - the first value obtained for a keyword wins, across blocks, files and
///   includes (options set before, from flags and `-o`, win over all files);
/// - `Host` and `Match` blocks last until the next `Host` or `Match`;
/// - `Include` globs, relative to `~/.ssh` (user files, including `-F`) or
///   `/etc/ssh`, is nested at most `maxIncludeDepth` deep, and reads files
///   inside an unmatched block for syntax only;
/// - `Match final` asks for a second pass once HostName is known (`Match
///   canonical` and `final` match only then), which is how OpenSSH behaves
///   with hostname canonicalisation off;
/// - a keyword OpenSSH does not know is an error with file and line, unless
///   an earlier `IgnoreUnknown` pattern names it.
public enum SSHConfigFile {
    /// readconf.c READCONF_MAX_DEPTH.
    public static let maxIncludeDepth = 16
    /// Larger files are refused rather than read into memory.
    public static let maxFileSize = 4 << 20

    /// What reading the files found besides the options.
    public struct Report: Sendable {
        /// The remote host name after HostName and `%h`, lower-cased unless an address.
        public var hostName: String
        /// Files read, in order.
        public var filesRead: [String] = []
        /// One line per keyword ferry accepted but does not use ("file line N: …"), for `-v`.
        public var ignored: [String] = []
    }

    /// Reads the files `context` names into `options` (first value wins)
    /// and sets `options.hostName` to the resolved host name.
    @discardableResult
    public static func resolve(into options: inout ClientOptions, context: SSHConfigContext) throws -> Report {
        var reader = SSHConfigReader(options: options, context: context)
        try reader.readAll(host: context.originalHost, finalPass: false)
        var host = context.originalHost
        if let name = reader.options.hostName {
            host = try ConfigTokens.expand(name, environment: nil) { $0 == "h" ? context.originalHost : nil }
        }
        if !isAddress(host) { host = host.lowercased() }
        if reader.wantFinalPass {
            reader.options.hostName = host
            try reader.readAll(host: host, finalPass: true)
        }
        reader.options.hostName = host
        options = reader.options
        return Report(hostName: host, filesRead: reader.filesRead, ignored: reader.ignored)
    }

    /// Whether `host` is a literal IPv4 or IPv6 address (ssh does not lower-case those).
    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// SSHConfigReader is one resolution in progress: the options so far and
/// the state `Host`/`Match` lines switch.
struct SSHConfigReader {
    var options: ClientOptions
    let context: SSHConfigContext
    var wantFinalPass = false
    var filesRead: [String] = []
    var ignored: [String] = []
    /// The host `Host` lines match against in this pass.
    var host = ""
    var finalPass = false

    init(options: ClientOptions, context: SSHConfigContext) {
        self.options = options
        self.context = context
    }

    mutating func readAll(host: String, finalPass: Bool) throws {
        self.host = host
        self.finalPass = finalPass
        if let file = context.configFile {
            guard file.lowercased() != "none" else { return }
            var active = true
            guard try read(file, userConfig: true, neverMatch: false, active: &active, depth: 0) else {
                throw SSHError(.invalidConfiguration, "Can't open user config file \(file): No such file or directory")
            }
        } else {
            var active = true
            _ = try read(context.userConfigFile, userConfig: true, neverMatch: false, active: &active, depth: 0)
            active = true
            _ = try read(context.systemConfigFile, userConfig: false, neverMatch: false, active: &active, depth: 0)
        }
    }

    /// Reads one file; false when it cannot be opened (not an error for the defaults).
    mutating func read(_ path: String, userConfig: Bool, neverMatch: Bool, active: inout Bool, depth: Int) throws -> Bool {
        guard depth <= SSHConfigFile.maxIncludeDepth else {
            throw SSHError(.invalidConfiguration, "\(path): too many recursive configuration includes (more than \(SSHConfigFile.maxIncludeDepth))")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return false }
        // fopen(3) opens a directory and getline(3) then reads nothing: an empty file to OpenSSH.
        if isDirectory.boolValue { return true }
        guard let data = try SSHConfigFile.readBytes(path: path) else { return false }
        if !finalPass { filesRead.append(path) }
        for (index, line) in SSHConfigParser.lines(data).enumerated() {
            try process(line, file: path, lineNumber: index + 1, userConfig: userConfig,
                        neverMatch: neverMatch, active: &active, depth: depth)
        }
        return true
    }

    func failure(_ file: String, _ line: Int, _ message: String) -> SSHError {
        SSHError(.invalidConfiguration, "\(file) line \(line): \(message)")
    }

    mutating func process(_ bytes: ArraySlice<UInt8>, file: String, lineNumber: Int, userConfig: Bool,
                          neverMatch: Bool, active: inout Bool, depth: Int) throws {
        let parsed: SSHConfigLine?
        do { parsed = try SSHConfigParser.parse(bytes) } catch { throw failure(file, lineNumber, error.message) }
        guard let line = parsed else { return }
        guard let kind = SSHConfigKeywords.kind(of: line.keyword) else {
            // readconf.c compares with the pattern list lower-cased (match_pattern_list(…, 1)).
            if let patterns = options.ignoreUnknown,
               HostPatternMatcher.hostListMatches(line.keyword, list: patterns) {
                ignored.append("\(file) line \(lineNumber): ignored unknown option \"\(line.keyword)\"")
                return
            }
            throw failure(file, lineNumber, "Bad configuration option: \(line.keyword)")
        }
        switch kind {
        case .host:
            active = false
            guard !neverMatch else { return }
            if line.arguments.contains(where: \.isEmpty) { throw failure(file, lineNumber, "keyword host empty argument") }
            active = HostPatternMatcher.hostLineMatches(host, patterns: line.arguments)
        case .match:
            let matched: Bool
            do { matched = try matchLine(line.rest) } catch let error as SSHError {
                throw failure(file, lineNumber, "Bad Match condition: \(error.message)")
            }
            active = neverMatch ? false : matched
        case .include:
            try include(line.arguments, file: file, lineNumber: lineNumber, userConfig: userConfig,
                        neverMatch: neverMatch, active: &active, depth: depth)
        case .ignored, .obsolete:
            if active && !finalPass { ignored.append("\(file) line \(lineNumber): ignoring option \"\(line.keyword)\" (not used by ferry)") }
        case .supported(let keyword):
            do {
                if active {
                    try options.apply(keyword: keyword, arguments: line.arguments, rest: line.rest)
                } else {
                    // Values are checked even where they do not apply, as OpenSSH checks them.
                    var scratch = ClientOptions()
                    try scratch.apply(keyword: keyword, arguments: line.arguments, rest: line.rest)
                }
            } catch let error as SSHError {
                throw failure(file, lineNumber, error.message)
            }
        }
    }

    /// readconf.c `match_cfg_line`: every criterion must hold; `all` stands alone.
    mutating func matchLine(_ text: String) throws -> Bool {
        let bytes = Array(text.utf8)
        var cursor: Int? = 0
        var result = true
        var attributes = 0
        let port = options.port ?? 22
        let remoteUser = options.user ?? context.localUser
        let matchHost: String
        if finalPass {
            matchHost = options.hostName ?? host
        } else if let name = options.hostName {
            matchHost = try ConfigTokens.expand(name, environment: nil) { $0 == "h" ? context.originalHost : nil }
        } else {
            matchHost = context.originalHost
        }
        func next() -> String? {
            guard let token = SSHConfigParser.strdelim(bytes, &cursor), !token.isEmpty else { return nil }
            return String(decoding: token, as: UTF8.self)
        }
        while let token = next() {
            if token.hasPrefix("#") { cursor = nil; break }
            let negate = token.hasPrefix("!")
            let attribute = (negate ? String(token.dropFirst()) : token).lowercased()
            if attribute == "all" {
                let extra = next()
                if attributes > 1 || (extra != nil && extra?.hasPrefix("#") == false) {
                    throw SSHError(.invalidConfiguration, "'\(token)' cannot be combined with other Match attributes")
                }
                if result { result = !negate }
                return result
            }
            attributes += 1
            if attribute == "canonical" || attribute == "final" {
                if attribute == "final" { wantFinalPass = true }
                if finalPass == negate { result = false }
                continue
            }
            guard let argument = next(), !argument.hasPrefix("#") else {
                throw SSHError(.invalidConfiguration, "Missing Match criteria for \(attribute)")
            }
            let matched: Bool
            switch attribute {
            case "host": matched = HostPatternMatcher.hostListMatches(matchHost, list: argument)
            case "originalhost": matched = HostPatternMatcher.hostListMatches(context.originalHost, list: argument)
            case "user": matched = HostPatternMatcher.caseSensitiveListMatches(remoteUser, list: argument)
            case "localuser": matched = HostPatternMatcher.caseSensitiveListMatches(context.localUser, list: argument)
            case "exec":
                let tokens = ConfigTokens(
                    host: matchHost, originalHost: context.originalHost, port: port, remoteUser: remoteUser,
                    localUser: context.localUser, homeDirectory: context.homeDirectory, userID: context.userID,
                    localHostName: context.localHostName, hostKeyAlias: options.hostKeyAlias ?? matchHost,
                    environment: context.environment)
                let command = try tokens.expand(argument, allowed: Set("CLdhklnpriu"), environment: false)
                // A criterion that already failed makes OpenSSH skip the command.
                guard result else { continue }
                guard let status = context.runCommand(command) else {
                    throw SSHError(.invalidConfiguration, "match exec '\(command)' error")
                }
                matched = status == 0
            default:
                throw SSHError(.invalidConfiguration, "Unsupported Match attribute \(attribute)")
            }
            if matched == negate { result = false }
        }
        if attributes == 0 { throw SSHError(.invalidConfiguration, "One or more attributes required for Match") }
        return result
    }

    /// readconf.c `Include`: each argument a glob; relative to ~/.ssh for
    /// user files and /etc/ssh for the system file; files in an unmatched
    /// block are read for syntax only; a Match inside does not leak out.
    mutating func include(_ arguments: [String], file: String, lineNumber: Int, userConfig: Bool,
                          neverMatch: Bool, active: inout Bool, depth: Int) throws {
        for argument in arguments {
            guard !argument.isEmpty else { throw failure(file, lineNumber, "keyword include empty argument") }
            if argument.hasPrefix("~") && !userConfig { throw failure(file, lineNumber, "bad include path \(argument).") }
            var pattern = argument
            if !argument.hasPrefix("/") && !argument.hasPrefix("~") {
                pattern = userConfig ? "~/.ssh/" + argument : context.systemConfigDirectory + "/" + argument
            }
            pattern = ConfigTokens.expandTilde(pattern, home: context.includeHomeDirectory)
            let outerActive = active
            for path in Self.glob(pattern) {
                guard try read(path, userConfig: userConfig, neverMatch: neverMatch || !outerActive,
                               active: &active, depth: depth + 1) else {
                    if FileManager.default.fileExists(atPath: path) {
                        throw failure(file, lineNumber, "Can't open user config file \(path)")
                    }
                    active = outerActive
                    continue
                }
                active = outerActive
            }
        }
    }

    /// glob(3), sorted as glob sorts; no match is no files.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths
    }
}
