import NIOCore
import SSHCrypto
import SSHWire

/// UserAuthClient is the client side of the SSH authentication protocol
/// (RFC 4252) as a sans-I/O state machine: it asks for the `ssh-userauth`
/// service, then tries `publickey`, `keyboard-interactive` (RFC 4256) and
/// `password` in the policy's order, as OpenSSH does, until the server says
/// SUCCESS.
///
/// Unlike OpenSSH it does not wait for SERVICE_ACCEPT, nor probe with a
/// `none` request, before its first attempt: when the policy tries
/// publickey first, the first key's signed request goes right behind the
/// SERVICE_REQUEST (`pipelinedFirstRequest`). Servers handle the two in
/// order (sshd, dropbear and tinysshd read them sequentially), and a
/// FAILURE to it lists the methods as a `none` reply would, so the walk
/// below goes on as OpenSSH's does; two round trips fewer on every
/// connection. Without keys the pipelined request is `none`.
///
/// When a method needs a person (a password, the prompts of a
/// keyboard-interactive round) the machine returns `.prompt` and waits for
/// `answer(_:)`; nothing else is sent meanwhile.
public struct UserAuthClient {
    /// A way to prove who we are.
    public enum Credential: Sendable {
        /// A private key, signing the session (RFC 4252 §7).
        case publicKey(SSHPrivateKey)
        /// A private key presented with an OpenSSH certificate for it.
        case certificate(SSHPrivateKey, SSHCertificate)
        /// A key an ssh-agent holds (the agent signs).
        case agentKey(SSHPublicKey, SSHAgentClient)
        /// A password known in advance (library use; the CLI never takes one on
        /// its command line). It answers the first `password` attempt and a
        /// lone "Password:" prompt of keyboard-interactive without asking.
        case password(SecureBytes)
    }

    /// What the layers around should do after a message.
    public enum Step {
        /// Send these payloads (each starts with its message number) and wait.
        case send([[UInt8]])
        /// Send this payload, which holds a secret (a password, answers), and
        /// wait; it is wiped when released.
        case sendSecret(SecureBytes)
        /// Show this banner to the user (RFC 4252 §5.4), then keep waiting;
        /// its control characters are already made safe for a terminal.
        case banner(String)
        /// Ask this, then call `answer(_:)` with the answers.
        case prompt(AuthenticationPrompt)
        /// Authentication succeeded.
        case succeeded
    }

    /// Where the exchange stands.
    enum Phase {
        /// Before `start()`.
        case idle
        /// SERVICE_REQUEST sent.
        case awaitingServiceAccept
        /// A USERAUTH_REQUEST (or INFO_RESPONSE) of this method is out.
        case awaitingReply(method: String)
        /// Paused on a prompt of this kind; `answer(_:)` resumes.
        case awaitingAnswers(AuthenticationPrompt.Kind, questionCount: Int)
        /// SUCCESS received, or failed for good.
        case finished
    }

    public let user: String
    let policy: AuthenticationPolicy
    /// All keys, to start over after partial success (OpenSSH `pubkey_reset`).
    let keys: [OfferedKey]
    var untriedKeys: [OfferedKey]
    let password: SecureBytes?
    var passwordCredentialUsed = false
    var kbdPasswordCredentialUsed = false
    var serverSignatureAlgorithms: [String]?
    var phase = Phase.idle
    /// The server's last list of methods that can continue.
    var serverMethods: [String] = []
    /// State of OpenSSH's `authmethod_get`: the list it walks, its position in
    /// the preferred order, and the method in use.
    var walkedList: [String]?
    var preferredCursor = 0
    var current: String?
    /// Methods given up for this connection (no keys left, attempts used up,
    /// nobody to answer).
    var disabled: Set<String> = []
    var passwordAttempts = 0
    /// The method of the request sent behind SERVICE_REQUEST, before its
    /// answer; nil until then.
    var pipelinedMethod: String?
    var keyboardInteractiveAttempts = 0

    public init(user: String, credentials: [Credential], policy: AuthenticationPolicy = AuthenticationPolicy()) {
        self.user = user
        self.policy = policy
        var keys: [OfferedKey] = []
        var password: SecureBytes?
        for credential in credentials {
            switch credential {
            case .publicKey(let key): keys.append(OfferedKey(signer: .privateKey(key), certificate: nil))
            case .certificate(let key, let certificate): keys.append(OfferedKey(signer: .privateKey(key), certificate: certificate))
            case .agentKey(let key, let agent): keys.append(OfferedKey(signer: .agent(agent, key), certificate: nil))
            case .password(let secret): if password == nil { password = secret }
            }
        }
        self.keys = keys
        self.untriedKeys = keys
        self.password = password
    }

    /// Records the server's `server-sig-algs` (RFC 8308) to choose RSA signature algorithms.
    public mutating func setServerSignatureAlgorithms(_ names: [String]) {
        serverSignatureAlgorithms = names
    }

    /// The SERVICE_REQUEST that starts authentication.
    public mutating func start() -> [UInt8] {
        phase = .awaitingServiceAccept
        var w = WireWriter()
        w.writeByte(MessageNumber.serviceRequest.rawValue)
        w.writeString("ssh-userauth")
        return w.bytes
    }

    /// The first USERAUTH_REQUEST, to send right behind `start()`'s
    /// SERVICE_REQUEST without waiting for SERVICE_ACCEPT (see the type's
    /// note); nil once sent. The caller sends it once `server-sig-algs` is
    /// known or known not to come, so an RSA key signs with an algorithm
    /// the server takes.
    ///
    /// Nil, too, when the first key is RSA and `server-sig-algs` is not
    /// known yet: dropbear sends EXT_INFO without offering `ext-info-s`, and
    /// lists only rsa-sha2-256, so a guessed rsa-sha2-512 signature would
    /// be refused. That request then follows SERVICE_ACCEPT, by when the
    /// EXT_INFO that comes right behind NEWKEYS has arrived.
    public mutating func pipelinedFirstRequest(sessionID: [UInt8]) throws -> Step? {
        guard case .awaitingServiceAccept = phase, pipelinedMethod == nil else { return nil }
        if serverSignatureAlgorithms == nil, triesPublicKeyFirst,
           let next = untriedKeys.first(where: { signatureAlgorithm(for: $0.publicKey) != nil }), next.publicKey.type == .rsa {
            return nil
        }
        let step = try firstRequest(sessionID: sessionID)
        if case .awaitingReply(let method) = phase { pipelinedMethod = method }
        phase = .awaitingServiceAccept
        return step
    }

    /// Whether the policy's first usable method is publickey: then the
    /// first attempt is a key, not a `none` probe.
    var triesPublicKeyFirst: Bool { policy.preferredMethods.first(where: isEnabled) == "publickey" }

    /// The first attempt: the first key's signed request when the policy
    /// tries publickey first and a key can sign, else `none`, whose FAILURE
    /// lists the methods that can continue.
    mutating func firstRequest(sessionID: [UInt8]) throws -> Step {
        if triesPublicKeyFirst, let step = try begin("publickey", sessionID: sessionID) {
            return step
        }
        phase = .awaitingReply(method: "none")
        return .send([request(method: "none")])
    }

    /// Handles one authentication-layer message (SERVICE_ACCEPT or 50–79).
    public mutating func receive(_ payload: [UInt8], sessionID: [UInt8]) throws -> Step {
        do {
            return try receiveMessage(payload, sessionID: sessionID)
        } catch let error as WireError {
            phase = .finished
            throw SSHError(.protocolError, "malformed authentication message: \(error.message)")
        } catch {
            phase = .finished
            throw error
        }
    }

    /// Resumes after `.prompt`: `answers` holds one secret per question, or
    /// is nil when nobody could answer. The answers are sent (the caller's
    /// SecureBytes wipe themselves when released).
    public mutating func answer(_ answers: [SecureBytes]?, sessionID: [UInt8]) throws -> Step {
        guard case .awaitingAnswers(let kind, let count) = phase else {
            throw SSHError(.protocolError, "an authentication answer arrived with no question pending")
        }
        switch kind {
        case .password:
            guard let answers, let secret = answers.first, answers.count == 1 else {
                // Nobody to answer: give the method up, as ssh does when the
                // prompt cannot be read, and go on with the next one.
                disabled.insert("password")
                return try proceed(sessionID: sessionID)
            }
            phase = .awaitingReply(method: "password")
            return .sendSecret(UserAuthMessages.passwordRequest(user: user, password: secret))
        case .keyboardInteractive:
            phase = .awaitingReply(method: "keyboard-interactive")
            guard let answers, answers.count == count else {
                // The server waits for exactly `count` answers; empty ones fail
                // this round cleanly, and the method is not tried again.
                disabled.insert("keyboard-interactive")
                return .sendSecret(UserAuthMessages.infoResponse(Array(repeating: SecureBytes([]), count: count)))
            }
            return .sendSecret(UserAuthMessages.infoResponse(answers))
        }
    }

    private mutating func receiveMessage(_ payload: [UInt8], sessionID: [UInt8]) throws -> Step {
        var r = WireReader(payload)
        let number = try r.readByte()
        switch (number, phase) {
        case (MessageNumber.serviceAccept.rawValue, .awaitingServiceAccept):
            let service = try r.readUTF8(maxLength: 64)
            guard service == "ssh-userauth" else {
                throw SSHError(.protocolError, "the server accepted service \"\(terminalSafeText(service))\" instead of ssh-userauth")
            }
            if let method = pipelinedMethod {
                // Its answer comes next.
                phase = .awaitingReply(method: method)
                return .send([])
            }
            return try firstRequest(sessionID: sessionID)
        case (MessageNumber.userauthBanner.rawValue, .awaitingReply), (MessageNumber.userauthBanner.rawValue, .awaitingAnswers),
             (MessageNumber.userauthBanner.rawValue, .awaitingServiceAccept):
            let text = try r.readUTF8(maxLength: 64 * 1024)
            return .banner(terminalSafeText(text))
        case (MessageNumber.userauthSuccess.rawValue, .awaitingReply):
            phase = .finished
            return .succeeded
        case (MessageNumber.userauthFailure.rawValue, .awaitingReply):
            let methods = try r.readNameList(maxLength: 4096, maxCount: 64)
            let partial = try r.readBool()
            serverMethods = methods
            if partial {
                // Another method is required too (AuthenticationMethods a,b):
                // keys may sign again, as OpenSSH's pubkey_reset allows.
                untriedKeys = keys
            }
            return try proceed(sessionID: sessionID)
        case (MessageNumber.userauthInfoRequest.rawValue, .awaitingReply(method: "keyboard-interactive")):
            return try infoRequest(UserAuthMessages.decodeInfoRequest(&r))
        case (MessageNumber.userauthPasswordChangeRequest.rawValue, .awaitingReply(method: "password")):
            let prompt = try UserAuthMessages.decodePasswordChangeRequest(&r)
            throw SSHError(.authenticationFailed,
                           "\(user)@\(policy.host): the password has expired and the server asks for a new one"
                           + (prompt.isEmpty ? "" : " (\"\(prompt)\")")
                           + "; ferry does not change passwords: change it with passwd on the server or with ssh, then try again")
        default:
            throw SSHError(.protocolError, "unexpected authentication message \(number)")
        }
    }

    /// A keyboard-interactive round: answered at once when it asks nothing or
    /// only for the password we were given; otherwise a prompt for the owner.
    private mutating func infoRequest(_ request: UserAuthMessages.InfoRequest) throws -> Step {
        let prompts = request.prompts
        if prompts.isEmpty && (!policy.canPrompt || (request.name.isEmpty && request.instruction.isEmpty)) {
            return .sendSecret(UserAuthMessages.infoResponse([]))
        }
        if prompts.count == 1, let only = prompts.first, !only.echo, let password, !kbdPasswordCredentialUsed,
           only.text.lowercased().contains("password") {
            // OpenSSH's "password" devices ask exactly this; answering it with
            // the password given is what clients call password fallback.
            kbdPasswordCredentialUsed = true
            return .sendSecret(UserAuthMessages.infoResponse([password]))
        }
        phase = .awaitingAnswers(.keyboardInteractive, questionCount: prompts.count)
        guard policy.canPrompt else { return try answer(nil, sessionID: []) }
        return .prompt(AuthenticationPrompt(kind: .keyboardInteractive, name: request.name,
                                            instruction: request.instruction, questions: prompts))
    }

    func request(method: String) -> [UInt8] {
        var w = WireWriter()
        w.writeByte(MessageNumber.userauthRequest.rawValue)
        w.writeString(user)
        w.writeString("ssh-connection")
        w.writeString(method)
        return w.bytes
    }
}
