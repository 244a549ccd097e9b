import SSHCrypto

/// HostKeyVerifier decides whether to trust the host key a server presented,
/// as ssh does (sshconnect.c check_host_key), and records new keys.
///
/// | on record      | yes    | accept-new      | no                      | ask                 |
/// |----------------|--------|-----------------|-------------------------|---------------------|
/// | match          | accept | accept          | accept                  | accept              |
/// | unknown        | refuse | accept + record | accept + record         | prompt → record     |
/// | changed        | refuse | refuse          | accept, untrusted (1)   | refuse              |
/// | revoked        | refuse | refuse          | refuse (2)              | refuse              |
///
/// (1) with a warning and `disablePasswordAuthentication`; the key is not
/// recorded. (2) OpenSSH lets `no` through like a changed key; ferry does not
/// connect to a server presenting a key the user explicitly revoked.
/// `ask` without a prompt acts as `yes`. A key that cannot be recorded (no
/// UserKnownHostsFile, or a host name ssh would not write) makes an unknown
/// host a refusal in every mode, as in ssh; failing to write the file is only
/// a warning, as in ssh.
public struct HostKeyVerifier: Sendable {
    public var policy: HostKeyPolicy
    /// How to ask the user under `ask`; nil when nobody can answer.
    public var prompt: HostKeyPrompt?

    public init(policy: HostKeyPolicy = HostKeyPolicy(), prompt: HostKeyPrompt? = nil) {
        self.policy = policy
        self.prompt = prompt
    }

    /// Checks `key` for `host`:`port` against the configured files.
    /// `address` is the server's numeric IP address, for CheckHostIP (nil
    /// when connecting through a proxy).
    public func verify(_ key: SSHPublicKey, host: String, port: Int, address: String? = nil) async throws -> HostKeyVerdict {
        try await verify(key, host: host, port: port, address: address, knownHosts: policy.loadKnownHosts())
    }

    /// Checks `key` against `knownHosts` (already loaded); new keys are
    /// appended to the first of its user files.
    public func verify(_ key: SSHPublicKey, host: String, port: Int, address: String?,
                       knownHosts: KnownHosts) async throws -> HostKeyVerdict {
        let alias = policy.hostKeyAlias
        let name = KnownHosts.lookupName(host: host, port: port, hostKeyAlias: alias)
        let mode = policy.strictHostKeyChecking
        var warnings = knownHosts.loadErrors.map(\.message)

        let addressName = checkedAddressName(host: host, port: port, address: address)
        let status = knownHosts.status(of: key, host: host, port: port, hostKeyAlias: alias)
        let addressStatus = addressName.map { knownHosts.status(of: key, for: $0) }
        let recordFile = knownHosts.userFiles.first?.path
        let canRecord = recordFile != nil && KnownHostsWriter.isRecordableHost(host)

        if case .revoked(let location) = status {
            throw SSHError(.hostKeyRejected, HostKeyMessages.revoked(name: name, key: key, at: location))
        }
        if let addressName, case .revoked(let location)? = addressStatus {
            throw SSHError(.hostKeyRejected, HostKeyMessages.revoked(name: addressName, key: key, at: location))
        }

        var untrusted = false
        var namesToRecord: [String] = []
        switch status {
        case .match, .revoked:
            if let addressName, addressStatus == .unknown {
                if canRecord {
                    namesToRecord = [addressName]
                } else {
                    warnings.append("\(HostKeyMessages.typeName(key.type)) host key for IP address '\(addressName)' not in list of known hosts.")
                }
            }

        case .unknown:
            guard canRecord else {
                let reason = recordFile == nil
                    ? "there is no UserKnownHostsFile to record it in"
                    : "the host name contains characters that cannot be recorded in known_hosts"
                throw SSHError(.hostKeyRejected, HostKeyMessages.unknownRefused(name: name, key: key, reason: reason))
            }
            switch mode {
            case .yes:
                throw SSHError(.hostKeyRejected, HostKeyMessages.unknownRefused(
                    name: name, key: key, reason: "you have requested strict checking"))
            case .ask:
                guard let prompt else {
                    throw SSHError(.hostKeyRejected, HostKeyMessages.unknownRefused(
                        name: name, key: key, reason: "there is no terminal to ask whether to trust it (StrictHostKeyChecking ask)"))
                }
                let question = HostKeyQuestion(
                    kind: .unknownHost, hostName: name, address: address, key: key,
                    text: HostKeyMessages.unknownQuestion(name: name, address: address, key: key,
                                                          alsoKnownAs: knownHosts.entries(holding: key)))
                guard await prompt(question) else {
                    throw SSHError(.hostKeyRejected, "host key for \(name) was not accepted: Host key verification failed.")
                }
            case .acceptNew, .no:
                break
            }
            namesToRecord = [name]
            if let addressName, addressStatus == .unknown { namesToRecord.append(addressName) }

        case .changed(_, let previous, let previousKey):
            var dnsSpoofing: String?
            if let addressName, let addressStatus {
                var differ = true
                if case .changed(_, _, let addressKey) = addressStatus { differ = addressKey != previousKey }
                if differ {
                    dnsSpoofing = HostKeyMessages.dnsSpoofing(name: name, address: addressName, key: key,
                                                              addressStatus: addressStatus)
                }
            }
            let strict = mode != .no
            let message = HostKeyMessages.changed(
                name: name, key: key, previous: previous, previousKey: previousKey,
                recordFile: recordFile ?? knownHosts.globalFiles.first?.path,
                dnsSpoofing: dnsSpoofing, strict: strict)
            if strict { throw SSHError(.hostKeyRejected, message) }
            untrusted = true
            warnings.append(message)
        }

        // CheckHostIP: the name's key is fine but the address has another.
        if let addressName, let address, !untrusted, case .changed(_, let addressEntry, _)? = addressStatus {
            var hostMatch: KnownHostsLocation?
            if case .match(let location) = status { hostMatch = location }
            let message = HostKeyMessages.addressDiffers(name: name, address: addressName, key: key,
                                                         addressEntry: addressEntry, hostMatch: hostMatch)
            switch mode {
            case .no:
                warnings.append(message)
            case .ask:
                let question = HostKeyQuestion(kind: .addressKeyDiffers, hostName: name, address: address, key: key,
                                               text: message + "\nAre you sure you want to continue connecting (yes/no)? ")
                guard let prompt, await prompt(question) else {
                    throw SSHError(.hostKeyRejected, message + "\nHost key verification failed.")
                }
            case .yes, .acceptNew:
                throw SSHError(.hostKeyRejected, message + "\nExiting, you have requested strict checking.")
            }
        }

        var recordedIn: String?
        if !namesToRecord.isEmpty, let recordFile {
            do {
                let lines = try KnownHostsWriter.lines(names: namesToRecord, key: key, hashed: policy.hashKnownHosts)
                try KnownHostsWriter.append(lines, to: recordFile, sshDirectory: policy.sshDirectory)
                recordedIn = recordFile
                let what = status == .unknown
                    ? "'\(namesToRecord.joined(separator: ","))' (\(HostKeyMessages.typeName(key.type)))"
                    : "the \(HostKeyMessages.typeName(key.type)) host key for IP address '\(namesToRecord.joined(separator: ","))'"
                warnings.append("Warning: Permanently added \(what) to the list of known hosts.")
            } catch {
                warnings.append("Failed to add the host to the list of known hosts (\(recordFile)): \(error)")
            }
        }

        return HostKeyVerdict(status: status, addressStatus: addressStatus,
                              disablePasswordAuthentication: untrusted,
                              recordedIn: recordedIn, warnings: warnings)
    }

    /// The name the address is checked under, or nil when CheckHostIP is off
    /// or pointless: no address (proxy), the host is the address itself, or
    /// a loopback address (ssh skips those too).
    func checkedAddressName(host: String, port: Int, address: String?) -> String? {
        guard policy.checkHostIP, let address, !address.isEmpty, address != host, !Self.isLoopback(address) else {
            return nil
        }
        return KnownHosts.lookupName(host: address, port: port)
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.lowercased().hasPrefix("::ffff:127.")
    }
}
