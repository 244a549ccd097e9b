import ArgumentParser
import Foundation
import SSHCore
import SSHCrypto

/// Turns command-line options and a destination into a connected, verified
/// and authenticated `SSHClient`: the part of every ferry command that is
/// "ssh host".
enum SSHSession {
    /// `connectTimeout`: the timeout when ConnectTimeout is not set (by
    /// `-o` or ssh_config), as `--timeout` gives it; else 30 s.
    static func connect(_ target: RemoteTarget, _ flags: ConnectionOptions,
                        connectTimeout: Duration? = nil) async throws -> SSHClient {
        try await connect(try await configuration(target, flags, connectTimeout: connectTimeout), flags)
    }

    /// Connects with a configuration from `configuration(_:_:)` (which a
    /// caller may adjust first, as `ferry bench` sets one cipher per connection).
    static func connect(_ configuration: SSHClient.Configuration, _ flags: ConnectionOptions) async throws -> SSHClient {
        flags.log(1, "connecting to \(configuration.host) port \(configuration.port) as \(configuration.user)")
        let client = try await SSHClient.connect(configuration)
        if let n = await client.negotiatedAlgorithms {
            flags.log(1, "kex \(n.keyExchange.rawValue), host key \(n.hostKey.rawValue), cipher \(n.cipherServerToClient.rawValue)"
                + (n.macServerToClient.map { " \($0.rawValue)" } ?? "") + ", compression \(n.compressionServerToClient.rawValue)")
        }
        return client
    }

    /// Everything `connect` needs, resolved from the options and ssh_config,
    /// with the credentials loaded (passphrases asked here, once).
    /// `connectTimeout` as in `connect`.
    static func configuration(_ target: RemoteTarget, _ flags: ConnectionOptions,
                              connectTimeout: Duration? = nil) async throws -> SSHClient.Configuration {
        let (options, context) = try flags.resolvedOptions(for: target)
        let host = options.hostName ?? target.host
        let port = options.port ?? 22
        let user = options.user ?? context.localUser
        let tokens = ConfigTokens(host: host, originalHost: target.host, port: port, remoteUser: user,
                                  localUser: context.localUser, homeDirectory: context.homeDirectory,
                                  userID: context.userID, localHostName: context.localHostName,
                                  hostKeyAlias: options.hostKeyAlias?.lowercased(), environment: context.environment)
        // As ssh does when it loads them: ~ first, then %-tokens and ${VAR}.
        func expandPath(_ path: String) throws -> String {
            try tokens.expand(ConfigTokens.expandTilde(path, home: context.homeDirectory))
        }
        let identityPaths = try options.identityFiles.map(expandPath)
        var userKnownHosts = options.userKnownHostsFiles ?? KnownHosts.defaultUserFiles
        userKnownHosts = userKnownHosts.first?.lowercased() == "none" ? [] : try userKnownHosts.map(expandPath)
        var globalKnownHosts = options.globalKnownHostsFiles ?? KnownHosts.defaultGlobalFiles
        if globalKnownHosts.first?.lowercased() == "none" { globalKnownHosts = [] }

        let credentials = try await loadCredentials(options: options, identityPaths: identityPaths,
                                                    expandPath: expandPath, context: context, flags: flags)

        var algorithms = try options.algorithmPreferences()
        let policy = HostKeyPolicy(
            strictHostKeyChecking: options.strictHostKeyChecking ?? .ask,
            userKnownHostsFiles: userKnownHosts,
            globalKnownHostsFiles: globalKnownHosts,
            hashKnownHosts: options.hashKnownHosts ?? false,
            hostKeyAlias: options.hostKeyAlias)
        if options.hostKeyAlgorithms == nil {
            // As ssh: ask first for the key types already on record.
            algorithms.hostKey = policy.loadKnownHosts().preferringKnownKeyTypes(
                algorithms.hostKey, host: host, port: port, hostKeyAlias: options.hostKeyAlias)
        }
        var transport = TransportConfiguration(role: .client, algorithms: algorithms)
        if case .some(let limit) = options.rekeyLimitBytes { transport.rekeyLimitBytes = limit }
        if case .some(let interval) = options.rekeyInterval { transport.rekeyInterval = interval }

        let prompt = options.batchMode == true ? nil : TerminalPrompt.hostKeyPrompt()
        let verifier = HostKeyVerifier(policy: policy, prompt: prompt)
        // LogLevel (or -q) below INFO hides warnings and banners, as in ssh.
        let level = LogLevel(options.logLevel)
        let quiet = flags.quiet || !level.showsWarnings
        let verbosity = level.debugLevel

        var configuration = SSHClient.Configuration(
            host: host, port: port, user: user,
            credentials: credentials,
            transport: transport,
            connectTimeout: (options.connectTimeout ?? connectTimeout) ?? .seconds(30),
            verifyHostKey: { key in
                if verbosity > 0 { FileHandle.standardError.write(Data("debug1: Server host key: \(key.keyType) \(key.fingerprintSHA256)\n".utf8)) }
                let verdict = try await verifier.verify(key, host: host, port: port)
                if !quiet { for w in verdict.warnings { FileHandle.standardError.write(Data((w + "\n").utf8)) } }
            },
            onMessage: { text in
                if !quiet { FileHandle.standardError.write(Data(text.utf8)) }
            })
        if let jump = options.proxyJump, jump.lowercased() != "none" {
            let command = try ProxyJumpCommand.command(jump: jump, configFile: flags.configFile, verbosity: flags.verbose, quiet: flags.quiet)
            configuration.proxyCommand = try tokens.expand(command, allowed: ["h", "p", "r", "n", "%"], environment: false)
        } else if let command = options.proxyCommand, command.lowercased() != "none" {
            configuration.proxyCommand = try tokens.expand(command, allowed: ["h", "p", "r", "n", "%"])
        }
        if let proxy = configuration.proxyCommand { flags.log(1, "using proxy command: \(proxy)") }
        configuration.authentication = options.authenticationPolicy(host: host)
        // BatchMode: nobody is asked, and password/keyboard-interactive are off.
        if options.batchMode != true { configuration.answerPrompt = SecretPrompt.handler(quiet: quiet) }
        configuration.serverAliveInterval = options.effectiveServerAliveInterval
        configuration.addressFamily = options.effectiveAddressFamily
        if let count = options.serverAliveCountMax { configuration.serverAliveCountMax = count }
        return configuration
    }

    /// The keys to offer, in ssh's order (sshconnect2.c pubkey_prepare): the
    /// agent's keys first, an identity file's key at its place in the agent
    /// when the agent holds it (so its passphrase is never asked), then the
    /// remaining identity files (named, else the defaults), each with its
    /// certificate first. IdentitiesOnly keeps only the agent keys that are
    /// also identity files. Encrypted files ask for their passphrase unless
    /// BatchMode.
    static func loadCredentials(options: ClientOptions, identityPaths: [String], expandPath: (String) throws -> String,
                                context: SSHConfigContext, flags: ConnectionOptions) async throws -> [UserAuthClient.Credential] {
        let identitiesOnly = options.identitiesOnly == true
        let agent = try agentClient(options: options, expandPath: expandPath, context: context)
        var agentIdentities: [SSHAgentClient.Identity] = []
        if let agent {
            do {
                agentIdentities = try agent.identities()
            } catch {
                flags.log(1, "agent not used: \(ErrorText.message(error))")
            }
        }
        let agentKeys = Set(agentIdentities.map(\.publicKey))

        // Identity files: named ones, else the defaults that exist.
        let named = !identityPaths.isEmpty
        let candidates = named ? identityPaths
            : IdentityFiles.defaultNames.map { "\(context.homeDirectory)/.ssh/\($0)" }.filter { FileManager.default.fileExists(atPath: $0) }
        var inAgent: Set<SSHPublicKey> = []
        var toLoad: [String] = []
        for path in candidates {
            let hasCertificate = FileManager.default.fileExists(atPath: path + "-cert.pub")
            if !hasCertificate, let text = try? String(contentsOfFile: path + ".pub", encoding: .utf8),
               let key = try? SSHPublicKey(openSSHLine: text.trimmingCharacters(in: .whitespacesAndNewlines)),
               agentKeys.contains(key) {
                inAgent.insert(key)
                flags.log(1, "\(path): the agent holds this key; using the agent")
            } else {
                toLoad.append(path)
            }
        }

        var credentials: [UserAuthClient.Credential] = []
        if let agent {
            for identity in agentIdentities where !identitiesOnly || inAgent.contains(identity.publicKey) {
                flags.log(1, "offering agent key \(identity.publicKey.keyType) \(identity.publicKey.fingerprintSHA256) \(identity.comment)")
                credentials.append(.agentKey(identity.publicKey, agent))
            }
        }
        guard !toLoad.isEmpty else { return credentials }
        let certificatePaths = try options.certificateFiles.map(expandPath)
        let passphrase = options.batchMode == true ? nil : SecretPrompt.passphraseProvider()
        let (identities, skipped) = await IdentityFiles.load(
            explicit: toLoad, certificateFiles: certificatePaths, home: context.homeDirectory, passphrase: passphrase)
        for s in skipped {
            if s.refusedForPermissions {
                // As ssh: this warning shows for default key files too, -q aside.
                if LogLevel.current.showsWarnings { FileHandle.standardError.write(Data("\(s.reason)\n".utf8)) }
            } else if named && LogLevel.current.showsWarnings {
                FileHandle.standardError.write(Data("Warning: \(s.reason)\n".utf8))
            } else {
                flags.log(1, s.reason)
            }
        }
        for identity in identities {
            flags.log(1, "offering \(identity.certificate == nil ? "" : "certificate for ")\(identity.key.publicKey.keyType) key \(identity.key.publicKey.fingerprintSHA256) from \(identity.path)")
        }
        return credentials + identities.map(\.credential)
    }

    /// The agent IdentityAgent names: SSH_AUTH_SOCK by default, none for no agent.
    static func agentClient(options: ClientOptions, expandPath: (String) throws -> String,
                            context: SSHConfigContext) throws -> SSHAgentClient? {
        switch options.identityAgent {
        case nil:
            return SSHAgentClient.fromEnvironment(context.environment)
        case let setting? where setting.lowercased() == "none":
            return nil
        case let setting? where setting == "SSH_AUTH_SOCK" || setting.hasPrefix("$"):
            let name = setting.hasPrefix("$") ? String(setting.dropFirst()) : setting
            return context.environment[name].flatMap { $0.isEmpty ? nil : SSHAgentClient(socketPath: $0) }
        case let setting?:
            return SSHAgentClient(socketPath: try expandPath(setting))
        }
    }
}
