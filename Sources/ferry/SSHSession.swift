import ArgumentParser
import Foundation
import SSHCore
import SSHCrypto

/// Turns command-line options and a destination into a connected, verified
/// and authenticated `SSHClient`: the part of every ferry command that is
/// "ssh host".
enum SSHSession {
    static func connect(_ target: RemoteTarget, _ flags: ConnectionOptions) async throws -> SSHClient {
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
        let quiet = flags.quiet
        let verbosity = flags.verbose

        var configuration = SSHClient.Configuration(
            host: host, port: port, user: user,
            credentials: credentials,
            transport: transport,
            connectTimeout: (options.connectTimeout ?? nil) ?? .seconds(30),
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
        configuration.serverAliveInterval = options.serverAliveInterval.flatMap { $0 > .zero ? $0 : nil }
        if let count = options.serverAliveCountMax { configuration.serverAliveCountMax = count }
        flags.log(1, "connecting to \(host) port \(port) as \(user)")
        let client = try await SSHClient.connect(configuration)
        if let n = await client.negotiatedAlgorithms {
            flags.log(1, "kex \(n.keyExchange.rawValue), host key \(n.hostKey.rawValue), cipher \(n.cipherServerToClient.rawValue)"
                + (n.macServerToClient.map { " \($0.rawValue)" } ?? "") + ", compression \(n.compressionServerToClient.rawValue)")
        }
        return client
    }

    /// The keys to offer, in ssh's order: identity files (named, else the
    /// defaults; an encrypted one asks for its passphrase unless BatchMode),
    /// each with its certificate first when there is one, then the agent's
    /// keys not already offered (none with IdentitiesOnly).
    static func loadCredentials(options: ClientOptions, identityPaths: [String], expandPath: (String) throws -> String,
                                context: SSHConfigContext, flags: ConnectionOptions) async throws -> [UserAuthClient.Credential] {
        let certificatePaths = try options.certificateFiles.map(expandPath)
        let passphrase = options.batchMode == true ? nil : SecretPrompt.passphraseProvider()
        let (identities, skipped) = await IdentityFiles.load(
            explicit: identityPaths, certificateFiles: certificatePaths, home: context.homeDirectory, passphrase: passphrase)
        for s in skipped {
            // Missing default files are normal; say so only with -v.
            if identityPaths.isEmpty { flags.log(1, s.reason) } else if !flags.quiet {
                FileHandle.standardError.write(Data("Warning: \(s.reason)\n".utf8))
            }
        }
        var credentials = identities.map(\.credential)
        for identity in identities {
            flags.log(1, "offering \(identity.certificate == nil ? "" : "certificate for ")\(identity.key.publicKey.keyType) key \(identity.key.publicKey.fingerprintSHA256) from \(identity.path)")
        }
        guard options.identitiesOnly != true else { return credentials }
        let agentSetting = options.identityAgent
        var agent: SSHAgentClient?
        switch agentSetting?.lowercased() {
        case "none": agent = nil
        case nil, "ssh_auth_sock": agent = SSHAgentClient.fromEnvironment(context.environment)
        default:
            if let path = agentSetting {
                let expanded = try expandPath(path)
                agent = expanded.hasPrefix("$") ? SSHAgentClient.fromEnvironment(context.environment) : SSHAgentClient(socketPath: expanded)
            }
        }
        guard let agent else { return credentials }
        do {
            let offered = Set(identities.map(\.key.publicKey))
            for identity in try agent.identities() where !offered.contains(identity.publicKey) {
                flags.log(1, "offering agent key \(identity.publicKey.keyType) \(identity.publicKey.fingerprintSHA256) \(identity.comment)")
                credentials.append(.agentKey(identity.publicKey, agent))
            }
        } catch {
            flags.log(1, "agent not used: \(error)")
        }
        return credentials
    }
}
