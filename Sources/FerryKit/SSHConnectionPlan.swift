import Foundation
import Logging

/// SSHConnectionPlan is everything needed to open connections to one
/// destination: the resolved options, the loaded credentials (passphrases
/// asked once, when the plan is made), the host-key policy, and the route
/// (TCP, a ProxyCommand, or jump hosts run in this process).
///
/// A plan connects as often as it is asked (`connect()`): a transfer's
/// extra connections and its reconnections after a lost link reuse it,
/// so nobody is asked twice for a passphrase.
public struct SSHConnectionPlan: Sendable {
    /// The destination with its ssh_config applied.
    public let resolved: ResolvedDestination
    /// What `SSHClient.connect` is given for the final hop; a caller may
    /// adjust it (`ferry bench` sets one cipher per connection).
    public var configuration: SSHClient.Configuration
    /// The jump hosts (ProxyJump), first hop first; empty for none.
    public let jumpHosts: [SSHDestination]
    /// What the jump hosts are resolved with (config file, prompts, logging).
    let hopOptions: SSHOptions

    /// Resolves `destination` and loads its credentials.
    public static func make(_ destination: SSHDestination, options: SSHOptions = SSHOptions()) async throws -> SSHConnectionPlan {
        try await make(ResolvedDestination(destination, options: options), options: options)
    }

    /// Loads the credentials of an already resolved destination.
    public static func make(_ resolved: ResolvedDestination, options sshOptions: SSHOptions) async throws -> SSHConnectionPlan {
        let options = resolved.options
        let logger = sshOptions.logger
        resolved.logReport(to: logger)
        let host = resolved.hostName
        let port = resolved.port
        let batch = options.batchMode == true
        let prompts = batch ? SSHPrompts.none : sshOptions.prompts
        let showsWarnings = ConfiguredLogLevel.showsWarnings(options.logLevel)
        let deliver = sshOptions.onMessage ?? { message in
            switch message.kind {
            case .banner: logger.notice("\(message.text)")
            case .warning: logger.warning("\(message.text)")
            }
        }
        let message: @Sendable (SSHMessage) -> Void = { if showsWarnings { deliver($0) } }

        var userKnownHosts = options.userKnownHostsFiles ?? KnownHosts.defaultUserFiles
        userKnownHosts = userKnownHosts.first?.lowercased() == "none" ? [] : try userKnownHosts.map(resolved.expandPath)
        var globalKnownHosts = options.globalKnownHostsFiles ?? KnownHosts.defaultGlobalFiles
        if globalKnownHosts.first?.lowercased() == "none" { globalKnownHosts = [] }

        let credentials = try await CredentialLoader(resolved: resolved, logger: logger,
                                                     passphrase: prompts.passphrase, message: message).load()

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

        let verifier = HostKeyVerifier(policy: policy, prompt: prompts.hostKey)
        var configuration = SSHClient.Configuration(
            host: host, port: port, user: resolved.user,
            credentials: credentials,
            transport: transport,
            connectTimeout: options.connectTimeout.flatMap { $0 } ?? sshOptions.connectTimeout,
            verifyHostKey: { key in
                logger.ssh(1, "Server host key: \(key.keyType) \(key.fingerprintSHA256)")
                let verdict = try await verifier.verify(key, host: host, port: port)
                for w in verdict.warnings { message(SSHMessage(kind: .warning, text: w)) }
            },
            onMessage: { text in message(SSHMessage(kind: .banner, text: text)) })
        configuration.logger = logger

        var jumpHosts: [SSHDestination] = []
        if let jump = options.proxyJump, jump.lowercased() != "none" {
            jumpHosts = try jump.split(separator: ",", omittingEmptySubsequences: false).map {
                do { return try SSHDestination(parsing: String($0)) } catch {
                    throw SSHError(.invalidConfiguration, "bad jump host \"\($0)\" in ProxyJump \(jump)")
                }
            }
            logger.ssh(1, "jumping through \(jump) (in process)")
        } else if let command = options.proxyCommand, command.lowercased() != "none" {
            configuration.proxyCommand = try resolved.tokens.expand(command, allowed: ["h", "p", "r", "n", "%"])
            logger.ssh(1, "using proxy command: \(configuration.proxyCommand ?? "")")
        }
        configuration.authentication = options.authenticationPolicy(host: host)
        configuration.answerPrompt = prompts.authentication
        configuration.serverAliveInterval = options.effectiveServerAliveInterval
        configuration.addressFamily = options.effectiveAddressFamily
        if let count = options.serverAliveCountMax { configuration.serverAliveCountMax = count }

        // The hops: the same config file, prompts and logging; the
        // command line's other settings are not theirs (as ssh passes only
        // -F, -v and -q to the `ssh -W` it runs for each hop).
        var hopOptions = SSHOptions()
        hopOptions.configFile = sshOptions.configFile
        hopOptions.prompts = sshOptions.prompts
        hopOptions.logger = logger
        hopOptions.onMessage = sshOptions.onMessage
        hopOptions.connectTimeout = sshOptions.connectTimeout
        hopOptions.environment = sshOptions.environment
        if let level = (try? sshOptions.clientOptions())?.logLevel { hopOptions.set("LogLevel", level) }
        return SSHConnectionPlan(resolved: resolved, configuration: configuration, jumpHosts: jumpHosts, hopOptions: hopOptions)
    }

    /// Connects, verifies the host key and authenticates, through the jump
    /// hosts when there are any. The returned client closes its jump
    /// connections when it closes.
    public func connect() async throws -> SSHClient {
        let logger = configuration.logger
        logger.ssh(1, "connecting to \(configuration.host) port \(configuration.port) as \(configuration.user)")
        let client: SSHClient
        if let last = jumpHosts.last {
            client = try await JumpRoute(hop: last, earlier: Array(jumpHosts.dropLast()), options: hopOptions)
                .connect(configuration)
        } else {
            client = try await SSHClient.connect(configuration)
        }
        if let n = await client.negotiatedAlgorithms {
            logger.ssh(1, "kex \(n.keyExchange.rawValue), host key \(n.hostKey.rawValue), cipher \(n.cipherServerToClient.rawValue)"
                + (n.macServerToClient.map { " \($0.rawValue)" } ?? "") + ", compression \(n.compressionServerToClient.rawValue)")
        }
        return client
    }
}
