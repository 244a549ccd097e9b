import Foundation
import Logging

/// CredentialLoader gathers the keys a connection offers, in ssh's order
/// (sshconnect2.c pubkey_prepare): the agent's keys first, an identity
/// file's key at its place in the agent when the agent holds it (so its
/// passphrase is never asked), then the remaining identity files (named,
/// else the defaults that exist), each with its certificate first.
/// IdentitiesOnly keeps only the agent keys that are also identity files.
/// Encrypted files ask `prompts.passphrase`, once, here.
struct CredentialLoader {
    let resolved: ResolvedDestination
    let logger: Logger
    let passphrase: IdentityFiles.PassphraseProvider?
    let message: @Sendable (SSHMessage) -> Void

    func load() async throws -> [UserAuthClient.Credential] {
        let options = resolved.options
        let identityPaths = try options.identityFiles.map(resolved.expandPath)
        let identitiesOnly = options.identitiesOnly == true
        let agent = try agentClient()
        var agentIdentities: [SSHAgentClient.Identity] = []
        if let agent {
            do {
                agentIdentities = try agent.identities()
            } catch {
                logger.ssh(1, "agent not used: \(error)")
            }
        }
        let agentKeys = Set(agentIdentities.map(\.publicKey))

        let named = !identityPaths.isEmpty
        let home = resolved.context.homeDirectory
        let candidates = named ? identityPaths
            : IdentityFiles.defaultNames.map { "\(home)/.ssh/\($0)" }.filter { FileManager.default.fileExists(atPath: $0) }
        var inAgent: Set<SSHPublicKey> = []
        var toLoad: [String] = []
        for path in candidates {
            let hasCertificate = FileManager.default.fileExists(atPath: path + "-cert.pub")
            if !hasCertificate, let text = try? String(contentsOfFile: path + ".pub", encoding: .utf8),
               let key = try? SSHPublicKey(openSSHLine: text.trimmingCharacters(in: .whitespacesAndNewlines)),
               agentKeys.contains(key) {
                inAgent.insert(key)
                logger.ssh(1, "\(path): the agent holds this key; using the agent")
            } else {
                toLoad.append(path)
            }
        }

        var credentials: [UserAuthClient.Credential] = []
        if let agent {
            for identity in agentIdentities where !identitiesOnly || inAgent.contains(identity.publicKey) {
                logger.ssh(1, "offering agent key \(identity.publicKey.keyType) \(identity.publicKey.fingerprintSHA256) \(identity.comment)")
                credentials.append(.agentKey(identity.publicKey, agent))
            }
        }
        guard !toLoad.isEmpty else { return credentials }
        let certificatePaths = try options.certificateFiles.map(resolved.expandPath)
        let (identities, skipped) = await IdentityFiles.load(
            explicit: toLoad, certificateFiles: certificatePaths, home: home, passphrase: passphrase)
        for s in skipped {
            if s.refusedForPermissions {
                // As ssh: this warning shows for default key files too.
                message(SSHMessage(kind: .warning, text: s.reason))
            } else if named {
                message(SSHMessage(kind: .warning, text: "Warning: \(s.reason)"))
            } else {
                logger.ssh(1, s.reason)
            }
        }
        for identity in identities {
            logger.ssh(1, "offering \(identity.certificate == nil ? "" : "certificate for ")\(identity.key.publicKey.keyType) key \(identity.key.publicKey.fingerprintSHA256) from \(identity.path)")
        }
        return credentials + identities.map(\.credential)
    }

    /// The agent IdentityAgent names: SSH_AUTH_SOCK by default, none for no agent.
    func agentClient() throws -> SSHAgentClient? {
        let environment = resolved.context.environment
        switch resolved.options.identityAgent {
        case nil:
            return SSHAgentClient.fromEnvironment(environment)
        case let setting? where setting.lowercased() == "none":
            return nil
        case let setting? where setting == "SSH_AUTH_SOCK" || setting.hasPrefix("$"):
            let name = setting.hasPrefix("$") ? String(setting.dropFirst()) : setting
            return environment[name].flatMap { $0.isEmpty ? nil : SSHAgentClient(socketPath: $0) }
        case let setting?:
            return SSHAgentClient(socketPath: try resolved.expandPath(setting))
        }
    }
}
