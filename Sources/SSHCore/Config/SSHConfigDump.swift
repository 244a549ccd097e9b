import SSHCrypto

/// SSHConfigDump renders resolved options as `ssh -G` prints them
/// (readconf.c `dump_client_config`): lower-case keyword, a space, the
/// value; the keywords ferry supports, in OpenSSH's order and spelling, so
/// `ferry config host` and `ssh -G host` can be compared line by line.
///
/// Algorithm lists are ferry's resolved lists (what ferry will offer), so
/// they name only algorithms ferry implements. IdentityFile and
/// CertificateFile print unexpanded, UserKnownHostsFile and IdentityAgent
/// expanded, because that is what ssh does before it prints.
public enum SSHConfigDump {
    /// The `ssh -G` text for `options` (already resolved by `SSHConfigFile.resolve`).
    public static func render(_ options: ClientOptions, context: SSHConfigContext) throws -> String {
        let host = options.hostName ?? context.originalHost
        let user = options.user ?? context.localUser
        let port = options.port ?? 22
        let alias = options.hostKeyAlias?.lowercased()
        let tokens = ConfigTokens(host: host, originalHost: context.originalHost, port: port, remoteUser: user,
                                  localUser: context.localUser, homeDirectory: context.homeDirectory,
                                  userID: context.userID, localHostName: context.localHostName,
                                  hostKeyAlias: alias, environment: context.environment)
        let algorithms = try options.algorithmPreferences()
        var lines: [String] = []
        func add(_ keyword: String, _ value: String?) { if let value { lines.append("\(keyword) \(value)") } }
        func flag(_ value: Bool) -> String { value ? "yes" : "no" }

        add("host", context.originalHost)
        add("user", user)
        add("hostname", host)
        add("port", String(port))
        add("addressfamily", options.addressFamily ?? "any")
        add("batchmode", flag(options.batchMode ?? false))
        add("checkhostip", flag(options.checkHostIP ?? false))
        add("compression", flag(options.compression ?? false))
        add("hashknownhosts", flag(options.hashKnownHosts ?? false))
        add("identitiesonly", flag(options.identitiesOnly ?? false))
        add("kbdinteractiveauthentication", flag(options.kbdInteractiveAuthentication ?? true))
        add("passwordauthentication", flag(options.passwordAuthentication ?? true))
        add("pubkeyauthentication", options.pubkeyAuthentication ?? "true")
        add("stricthostkeychecking", strictName(options.strictHostKeyChecking ?? .ask))
        add("numberofpasswordprompts", String(options.numberOfPasswordPrompts ?? 3))
        add("serveralivecountmax", String(options.serverAliveCountMax ?? 3))
        add("serveraliveinterval", String(seconds(options.effectiveServerAliveInterval ?? .zero)))
        add("ciphers", algorithms.ciphers.joined(separator: ","))
        add("hostkeyalgorithms", algorithms.hostKey.joined(separator: ","))
        add("hostkeyalias", alias)
        if let agent = options.identityAgent {
            add("identityagent", try tokens.expand(ConfigTokens.expandTilde(agent, home: context.homeDirectory)))
        }
        add("ignoreunknown", options.ignoreUnknown)
        add("kexalgorithms", algorithms.keyExchange.joined(separator: ","))
        add("loglevel", options.logLevel ?? "INFO")
        add("macs", algorithms.macs.joined(separator: ","))
        add("preferredauthentications", options.preferredAuthentications)
        add("pubkeyacceptedalgorithms", try options.pubkeyAcceptedAlgorithmList().joined(separator: ","))
        let identities = options.identityFiles.isEmpty ? IdentityFiles.defaultNames.map { "~/.ssh/\($0)" } : options.identityFiles
        for file in identities { add("identityfile", file) }
        for file in options.certificateFiles { add("certificatefile", file) }
        add("globalknownhostsfile", fileList(options.globalKnownHostsFiles ?? KnownHosts.defaultGlobalFiles))
        var userFiles = options.userKnownHostsFiles ?? KnownHosts.defaultUserFiles
        if userFiles.first?.lowercased() != "none" {
            userFiles = try userFiles.map { try tokens.expand(ConfigTokens.expandTilde($0, home: context.homeDirectory)) }
        }
        add("userknownhostsfile", fileList(userFiles))
        switch options.connectTimeout {
        case .some(.some(let t)): add("connecttimeout", String(seconds(t)))
        default: add("connecttimeout", "none")
        }
        let limit: UInt64 = (options.rekeyLimitBytes ?? nil) ?? 0
        let interval = (options.rekeyInterval ?? nil).map(seconds) ?? 0
        add("rekeylimit", "\(limit) \(interval)")
        if let jump = options.proxyJump, jump.lowercased() != "none" {
            add("proxyjump", jump)
        } else if options.proxyJump == nil, let command = options.proxyCommand, command.lowercased() != "none" {
            add("proxycommand", command)
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// ssh -G prints the first name of the value in readconf.c's table.
    static func strictName(_ value: StrictHostKeyChecking) -> String {
        switch value {
        case .yes: "true"
        case .no: "false"
        case .ask: "ask"
        case .acceptNew: "accept-new"
        }
    }

    static func fileList(_ files: [String]) -> String {
        files.isEmpty || files.first?.lowercased() == "none" ? "none" : files.joined(separator: " ")
    }

    static func seconds(_ duration: Duration) -> Int64 { duration.components.seconds }
}

extension ClientOptions {
    /// PubkeyAcceptedAlgorithms resolved against the signature algorithms
    /// ferry implements (defaults: the host key defaults).
    public func pubkeyAcceptedAlgorithmList() throws -> [String] {
        guard let spec = pubkeyAcceptedAlgorithms else { return AlgorithmPreferences.defaultHostKey }
        return try AlgorithmList.resolve(spec, defaults: AlgorithmPreferences.defaultHostKey,
                                         supported: SignatureAlgorithm.allCases.map(\.rawValue), what: "public key algorithm")
    }
}
