import ArgumentParser
import Foundation
import SSHCore
import SSHCrypto

/// Turns command-line options and a destination into a connected, verified
/// and authenticated `SSHClient`: the part of every ferry command that is
/// "ssh host".
enum SSHSession {
    static func connect(_ target: RemoteTarget, _ flags: ConnectionOptions) async throws -> SSHClient {
        let options = try flags.clientOptions()
        let host = options.hostName ?? target.host
        let port = options.port ?? 22
        let user = target.user ?? options.user ?? ProcessInfo.processInfo.environment["USER"] ?? NSUserName()

        let (keys, skipped) = IdentityFiles.load(explicit: options.identityFiles)
        for s in skipped where !flags.quiet { FileHandle.standardError.write(Data("Warning: \(s.reason)\n".utf8)) }
        for key in keys { flags.log(1, "offering \(key.publicKey.keyType) key \(key.publicKey.fingerprintSHA256)") }

        var algorithms = try options.algorithmPreferences()
        let policy = HostKeyPolicy(
            strictHostKeyChecking: options.strictHostKeyChecking ?? .ask,
            userKnownHostsFiles: options.userKnownHostsFiles ?? KnownHosts.defaultUserFiles,
            globalKnownHostsFiles: options.globalKnownHostsFiles ?? KnownHosts.defaultGlobalFiles,
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

        let configuration = SSHClient.Configuration(
            host: host, port: port, user: user,
            credentials: keys.map { .publicKey($0) },
            transport: transport,
            connectTimeout: options.connectTimeout ?? .seconds(30),
            verifyHostKey: { key in
                if verbosity > 0 { FileHandle.standardError.write(Data("debug1: Server host key: \(key.keyType) \(key.fingerprintSHA256)\n".utf8)) }
                let verdict = try await verifier.verify(key, host: host, port: port)
                if !quiet { for w in verdict.warnings { FileHandle.standardError.write(Data((w + "\n").utf8)) } }
            },
            onMessage: { text in
                if !quiet { FileHandle.standardError.write(Data(text.utf8)) }
            })
        flags.log(1, "connecting to \(host) port \(port) as \(user)")
        let client = try await SSHClient.connect(configuration)
        if let n = await client.negotiatedAlgorithms {
            flags.log(1, "kex \(n.keyExchange.rawValue), host key \(n.hostKey.rawValue), cipher \(n.cipherServerToClient.rawValue)"
                + (n.macServerToClient.map { " \($0.rawValue)" } ?? "") + ", compression \(n.compressionServerToClient.rawValue)")
        }
        return client
    }
}
