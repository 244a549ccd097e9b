import SSHCrypto
import SSHWire

/// Choosing and starting methods, as OpenSSH's sshconnect2.c does it.
extension UserAuthClient {
    /// After a FAILURE: the next request, a prompt, or "Permission denied".
    mutating func proceed(sessionID: [UInt8]) throws -> Step {
        while let method = nextMethod() {
            if let step = try begin(method, sessionID: sessionID) { return step }
            // The method sent nothing (no key left, attempts used up, nobody
            // to ask): it is given up for this connection.
            disabled.insert(method)
        }
        phase = .finished
        let target = policy.host.isEmpty ? "" : "\(user)@\(policy.host): "
        throw SSHError(.authenticationFailed, "\(target)Permission denied (\(serverMethods.joined(separator: ","))).")
    }

    /// OpenSSH's `authmethod_get`: a changed server list (partial success)
    /// starts over at the top of the preferred order; otherwise the current
    /// method goes on while it can (next key, next password attempt), then
    /// the walk continues where it stopped. The walk never goes back.
    mutating func nextMethod() -> String? {
        if walkedList != serverMethods {
            walkedList = serverMethods
            preferredCursor = 0
            current = nil
        } else if let current, isEnabled(current) {
            return current
        }
        while preferredCursor < policy.preferredMethods.count {
            let name = policy.preferredMethods[preferredCursor]
            preferredCursor += 1
            if serverMethods.contains(name) && isEnabled(name) {
                current = name
                return name
            }
        }
        current = nil
        return nil
    }

    /// Whether `method` is implemented, switched on and not given up.
    func isEnabled(_ method: String) -> Bool {
        guard !disabled.contains(method) else { return false }
        switch method {
        case "publickey":
            return policy.publicKey
        case "password":
            return policy.password && !policy.batchMode && (policy.canPrompt || password != nil)
        case "keyboard-interactive":
            return policy.keyboardInteractive && !policy.batchMode && (policy.canPrompt || password != nil)
        default:
            return false
        }
    }

    /// Starts one attempt of `method`; nil when it has nothing (more) to offer.
    mutating func begin(_ method: String, sessionID: [UInt8]) throws -> Step? {
        switch method {
        case "publickey":
            while !untriedKeys.isEmpty {
                let key = untriedKeys.removeFirst()
                guard let algorithm = signatureAlgorithm(for: key.publicKey) else { continue }
                phase = .awaitingReply(method: method)
                return .send([try publicKeyRequest(key, algorithm: algorithm, sessionID: sessionID)])
            }
            return nil
        case "password":
            guard passwordAttempts < policy.numberOfPasswordPrompts else { return nil }
            passwordAttempts += 1
            if let password, !passwordCredentialUsed {
                passwordCredentialUsed = true
                phase = .awaitingReply(method: method)
                return .sendSecret(UserAuthMessages.passwordRequest(user: user, password: password))
            }
            guard policy.canPrompt else { return nil }
            phase = .awaitingAnswers(.password, questionCount: 1)
            // ssh's wording, host and user cut as ssh cuts them.
            let text = "\(String(user.prefix(30)))@\(String(policy.host.prefix(128)))'s password: "
            return .prompt(AuthenticationPrompt(
                kind: .password, instruction: passwordAttempts > 1 ? "Permission denied, please try again." : "",
                questions: [.init(text: terminalSafeText(text), echo: false)]))
        case "keyboard-interactive":
            guard keyboardInteractiveAttempts < policy.numberOfPasswordPrompts else { return nil }
            keyboardInteractiveAttempts += 1
            phase = .awaitingReply(method: method)
            return .send([UserAuthMessages.keyboardInteractiveRequest(user: user)])
        default:
            return nil
        }
    }

    /// RSA keys sign with rsa-sha2-512 or -256 as the server allows; without
    /// server-sig-algs, rsa-sha2-512 (every server since OpenSSH 7.2 takes it).
    func signatureAlgorithm(for key: SSHPublicKey) -> SignatureAlgorithm? {
        guard key.type == .rsa else { return key.type.defaultSignatureAlgorithm }
        guard let offered = serverSignatureAlgorithms else { return .rsaSHA512 }
        return [SignatureAlgorithm.rsaSHA512, .rsaSHA256].first { offered.contains($0.rawValue) }
    }

    func publicKeyRequest(_ key: OfferedKey, algorithm: SignatureAlgorithm, sessionID: [UInt8]) throws -> [UInt8] {
        let presented = key.presentation(for: algorithm)
        var body = WireWriter()
        body.writeByte(MessageNumber.userauthRequest.rawValue)
        body.writeString(user)
        body.writeString("ssh-connection")
        body.writeString("publickey")
        body.writeBool(true)
        body.writeString(presented.algorithm)
        body.writeString(presented.blob)
        var signed = WireWriter()
        signed.writeString(sessionID)
        signed.writeRaw(body.bytes)
        let signature = try key.sign(signed.bytes, algorithm: algorithm)
        body.writeString(signature)
        return body.bytes
    }
}
