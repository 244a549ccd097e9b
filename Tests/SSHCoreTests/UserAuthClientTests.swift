import SSHCrypto
import SSHWire
import Testing
@_spi(Internals) @testable import SSHCore

/// What one step of `UserAuthClient` amounts to, decoded for comparison.
private enum Sent: Equatable {
    /// USERAUTH_REQUEST of this method (none, publickey, keyboard-interactive).
    case request(String)
    /// USERAUTH_REQUEST password with this password.
    case password(String)
    /// INFO_RESPONSE with these answers.
    case infoResponse([String])
    case prompt(AuthenticationPrompt)
    case banner(String)
    case succeeded
    /// A step that sends nothing (SERVICE_ACCEPT after a pipelined request).
    case nothing
}

/// AuthScript plays the server's side of an authentication exchange, one
/// message at a time, against a `UserAuthClient` in memory.
private struct AuthScript {
    var client: UserAuthClient
    let sessionID = [UInt8](repeating: 7, count: 32)

    init(_ policy: AuthenticationPolicy = AuthenticationPolicy(canPrompt: true, host: "example.org"),
         credentials: [UserAuthClient.Credential] = []) {
        client = UserAuthClient(user: "alice", credentials: credentials, policy: policy)
        _ = client.start()
    }

    mutating func send(_ payload: [UInt8]) throws -> Sent {
        try Self.decode(client.receive(payload, sessionID: sessionID))
    }

    mutating func accept() throws -> Sent {
        try send(message(MessageNumber.serviceAccept.rawValue) { $0.writeString("ssh-userauth") })
    }

    mutating func failure(_ methods: String, partial: Bool = false) throws -> Sent {
        try send(message(MessageNumber.userauthFailure.rawValue) { $0.writeString(methods); $0.writeBool(partial) })
    }

    mutating func success() throws -> Sent { try send([MessageNumber.userauthSuccess.rawValue]) }

    mutating func infoRequest(name: String = "", instruction: String = "", _ prompts: [(String, Bool)]) throws -> Sent {
        try send(message(MessageNumber.userauthInfoRequest.rawValue) {
            $0.writeString(name)
            $0.writeString(instruction)
            $0.writeString("")
            $0.writeUInt32(UInt32(prompts.count))
            for (text, echo) in prompts { $0.writeString(text); $0.writeBool(echo) }
        })
    }

    mutating func pipelined() throws -> Sent? {
        try client.pipelinedFirstRequest(sessionID: sessionID).map(Self.decode)
    }

    mutating func answer(_ answers: [String]?) throws -> Sent {
        try Self.decode(client.answer(answers.map { $0.map { SecureBytes(Array($0.utf8)) } }, sessionID: sessionID))
    }

    static func decode(_ step: UserAuthClient.Step) throws -> Sent {
        switch step {
        case .send(let payloads) where payloads.isEmpty:
            return .nothing
        case .send(let payloads):
            guard payloads.count == 1, let payload = payloads.first else { throw TestFailure("\(payloads.count) payloads") }
            var r = WireReader(payload)
            guard try r.readByte() == MessageNumber.userauthRequest.rawValue else { throw TestFailure("not a request: \(payload)") }
            _ = try r.readUTF8()
            _ = try r.readUTF8()
            return .request(try r.readUTF8())
        case .sendSecret(let secret):
            var r = WireReader(secret.bytes)
            switch try r.readByte() {
            case MessageNumber.userauthRequest.rawValue:
                #expect(try r.readUTF8() == "alice" && r.readUTF8() == "ssh-connection" && r.readUTF8() == "password")
                #expect(try r.readBool() == false)
                let password = try r.readUTF8()
                try r.expectEnd()
                return .password(password)
            case MessageNumber.userauthInfoResponse.rawValue:
                let count = try r.readUInt32()
                let answers = try (0..<count).map { _ in try r.readUTF8() }
                try r.expectEnd()
                return .infoResponse(answers)
            case let other:
                throw TestFailure("secret payload \(other)")
            }
        case .prompt(let prompt): return .prompt(prompt)
        case .banner(let text): return .banner(text)
        case .succeeded: return .succeeded
        }
    }
}

private let passwordPrompt = AuthenticationPrompt(kind: .password, questions: [.init(text: "alice@example.org's password: ", echo: false)])
private let retryPrompt = AuthenticationPrompt(kind: .password, instruction: "Permission denied, please try again.",
                                               questions: [.init(text: "alice@example.org's password: ", echo: false)])
private let key = ScriptedServer.ed25519Key

@Suite("user authentication: methods, order, switches, prompts")
struct UserAuthClientTests {
    @Test func passwordAfterNone() throws {
        var s = AuthScript()
        #expect(try s.accept() == .request("none"))
        #expect(try s.failure("publickey,password") == .prompt(passwordPrompt))
        #expect(try s.answer(["secret"]) == .password("secret"))
        #expect(try s.success() == .succeeded)
    }

    @Test func noneAcceptedAtOnce() throws {
        var s = AuthScript()
        #expect(try s.accept() == .request("none"))
        #expect(try s.success() == .succeeded)
    }

    @Test("default order publickey, keyboard-interactive, password; each retried as ssh does")
    func defaultOrder() throws {
        var policy = AuthenticationPolicy(canPrompt: true, host: "example.org")
        policy.numberOfPasswordPrompts = 1
        var s = AuthScript(policy, credentials: [.publicKey(key)])
        // No `none` probe: the key goes first.
        #expect(try s.accept() == .request("publickey"))
        #expect(try s.failure("password,keyboard-interactive,publickey") == .request("keyboard-interactive"))
        #expect(try s.failure("password,keyboard-interactive,publickey") == .prompt(passwordPrompt))
        #expect(try s.answer(["pw"]) == .password("pw"))
        let error = expectSSHError(.authenticationFailed) { _ = try s.failure("password,keyboard-interactive,publickey") }
        #expect(error?.message == "alice@example.org: Permission denied (password,keyboard-interactive,publickey).")
    }

    @Test("PreferredAuthentications order wins; methods the server does not list are skipped")
    func preferredOrder() throws {
        var s = AuthScript(AuthenticationPolicy(preferredMethods: ["password", "hostbased", "publickey"], canPrompt: true,
                                                host: "example.org"), credentials: [.publicKey(key)])
        _ = try s.accept()
        #expect(try s.failure("publickey,password") == .prompt(passwordPrompt))
        var listed = AuthScript(credentials: [.publicKey(key)])
        _ = try listed.accept()
        #expect(try listed.failure("keyboard-interactive") == .request("keyboard-interactive"))
    }

    @Test("switches: PubkeyAuthentication, PasswordAuthentication, KbdInteractiveAuthentication no")
    func switches() throws {
        var s = AuthScript(AuthenticationPolicy(publicKey: false, keyboardInteractive: false, canPrompt: true, host: "example.org"),
                           credentials: [.publicKey(key)])
        _ = try s.accept()
        #expect(try s.failure("publickey,keyboard-interactive,password") == .prompt(passwordPrompt))
        var off = AuthScript(AuthenticationPolicy(password: false, keyboardInteractive: false, canPrompt: true))
        _ = try off.accept()
        expectSSHError(.authenticationFailed) { _ = try off.failure("keyboard-interactive,password") }
    }

    @Test("BatchMode: password and keyboard-interactive are never tried, nothing is asked")
    func batchMode() throws {
        var s = AuthScript(AuthenticationPolicy(batchMode: true, canPrompt: true), credentials: [.password(SecureBytes(Array("pw".utf8)))])
        _ = try s.accept()
        let error = expectSSHError(.authenticationFailed) { _ = try s.failure("keyboard-interactive,password") }
        #expect(error?.message == "Permission denied (keyboard-interactive,password).")
    }

    @Test("NumberOfPasswordPrompts: three tries by default, 'please try again' before the second")
    func passwordRetries() throws {
        var s = AuthScript()
        _ = try s.accept()
        #expect(try s.failure("password") == .prompt(passwordPrompt))
        #expect(try s.answer(["one"]) == .password("one"))
        #expect(try s.failure("password") == .prompt(retryPrompt))
        #expect(try s.answer(["two"]) == .password("two"))
        #expect(try s.failure("password") == .prompt(retryPrompt))
        #expect(try s.answer(["three"]) == .password("three"))
        expectSSHError(.authenticationFailed) { _ = try s.failure("password") }
        var none = AuthScript(AuthenticationPolicy(numberOfPasswordPrompts: 0, canPrompt: true))
        _ = try none.accept()
        expectSSHError(.authenticationFailed) { _ = try none.failure("password,keyboard-interactive") }
    }

    @Test("nobody answers (nil): the method is given up and the next tried")
    func unansweredPrompt() throws {
        var s = AuthScript(AuthenticationPolicy(preferredMethods: ["password", "keyboard-interactive"], canPrompt: true))
        _ = try s.accept()
        guard case .prompt = try s.failure("password,keyboard-interactive") else { throw TestFailure("no prompt") }
        #expect(try s.answer(nil) == .request("keyboard-interactive"))
        // Unanswered kbd prompts: the round is answered empty, and not tried again.
        guard case .prompt = try s.infoRequest([("Code: ", true)]) else { throw TestFailure("no prompt") }
        #expect(try s.answer(nil) == .infoResponse([""]))
        expectSSHError(.authenticationFailed) { _ = try s.failure("password,keyboard-interactive") }
    }

    @Test("partial success: AuthenticationMethods publickey,password needs both")
    func partialSuccess() throws {
        var s = AuthScript(credentials: [.publicKey(key)])
        #expect(try s.accept() == .request("publickey"))
        #expect(try s.failure("password", partial: true) == .prompt(passwordPrompt))
        #expect(try s.answer(["pw"]) == .password("pw"))
        #expect(try s.success() == .succeeded)
    }

    @Test("partial success with the same method again (publickey,publickey): keys sign again")
    func partialSuccessSameMethod() throws {
        var s = AuthScript(AuthenticationPolicy(), credentials: [.publicKey(key)])
        #expect(try s.accept() == .request("publickey"))
        #expect(try s.failure("publickey", partial: true) == .request("publickey"))
        #expect(try s.success() == .succeeded)
    }

    @Test("keyboard-interactive: several prompts with echo flags, then a zero-prompt round")
    func keyboardInteractive() throws {
        var s = AuthScript()
        _ = try s.accept()
        #expect(try s.failure("keyboard-interactive") == .request("keyboard-interactive"))
        let asked = try s.infoRequest(name: "Two factor", instruction: "Answer both.", [("Password: ", false), ("Code: ", true)])
        #expect(asked == .prompt(AuthenticationPrompt(kind: .keyboardInteractive, name: "Two factor", instruction: "Answer both.",
                                                       questions: [.init(text: "Password: ", echo: false), .init(text: "Code: ", echo: true)])))
        #expect(try s.answer(["pw", "123456"]) == .infoResponse(["pw", "123456"]))
        #expect(try s.infoRequest([]) == .infoResponse([]))
        // A zero-prompt round with text is shown (a prompt with no questions).
        #expect(try s.infoRequest(instruction: "Welcome", []) == .prompt(AuthenticationPrompt(kind: .keyboardInteractive, instruction: "Welcome", questions: [])))
        #expect(try s.answer([]) == .infoResponse([]))
        #expect(try s.success() == .succeeded)
    }

    @Test("a wrong number of answers fails the round cleanly instead of confusing the server")
    func wrongAnswerCount() throws {
        var s = AuthScript()
        _ = try s.accept()
        _ = try s.failure("keyboard-interactive")
        _ = try s.infoRequest([("A: ", true), ("B: ", true)])
        #expect(try s.answer(["only one"]) == .infoResponse(["", ""]))
    }

    @Test("a password given in advance answers password and a lone kbd 'Password:' prompt without asking")
    func passwordCredential() throws {
        let pw = UserAuthClient.Credential.password(SecureBytes(Array("given".utf8)))
        var s = AuthScript(AuthenticationPolicy(), credentials: [pw])
        _ = try s.accept()
        #expect(try s.failure("password") == .password("given"))
        expectSSHError(.authenticationFailed) { _ = try s.failure("password") }

        var kbd = AuthScript(AuthenticationPolicy(), credentials: [pw])
        _ = try kbd.accept()
        #expect(try kbd.failure("keyboard-interactive") == .request("keyboard-interactive"))
        #expect(try kbd.infoRequest([("Password: ", false)]) == .infoResponse(["given"]))
        // Not twice, and never for a prompt that is not a password: nobody else to ask.
        #expect(try kbd.infoRequest([("Password: ", false)]) == .infoResponse([""]))
    }

    @Test("PASSWD_CHANGEREQ is a clear authentication failure")
    func passwordChangeRequest() throws {
        var s = AuthScript()
        _ = try s.accept()
        _ = try s.failure("password")
        _ = try s.answer(["old"])
        let error = expectSSHError(.authenticationFailed) {
            _ = try s.send(message(MessageNumber.userauthPasswordChangeRequest.rawValue) {
                $0.writeString("Password expired\u{1b}[2J"); $0.writeString("")
            })
        }
        #expect(error?.message.contains("expired") == true && error?.message.contains("passwd") == true)
        #expect(error.map { isTerminalSafe($0.message) } == true)
    }

    @Test("prompt text from the server is made terminal-safe")
    func sanitizedPrompts() throws {
        var s = AuthScript()
        _ = try s.accept()
        _ = try s.failure("keyboard-interactive")
        guard case .prompt(let prompt) = try s.infoRequest(name: "n\u{1b}]0;x\u{07}", instruction: "i\u{9b}2J",
                                                            [("p\u{1b}[31m: ", false)]) else { throw TestFailure("no prompt") }
        #expect(isTerminalSafe(prompt.name) && isTerminalSafe(prompt.instruction) && prompt.questions.allSatisfy { isTerminalSafe($0.text) })
    }

    @Test("hostile INFO_REQUESTs and out-of-place messages are clean protocol errors", arguments: [
        [UInt8(60)],
        [60, 0, 0, 0, 0, 0, 0, 0, 0],                               // no language, no count
        [60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],       // one prompt promised, none sent
        [60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF],  // absurd count
        [60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xE8], // 1000 prompts
        [60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0xC3, 0x28, 0],  // non-UTF-8 prompt
        [60, 0, 0, 0, 2, 0xC3, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],                 // non-UTF-8 name
        [60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x41],           // prompt without echo flag
        [60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99],                       // trailing garbage
        [61, 0, 0, 0, 0],                                           // INFO_RESPONSE from the server
    ])
    func hostileInfoRequest(_ payload: [UInt8]) throws {
        var s = AuthScript()
        _ = try s.accept()
        _ = try s.failure("keyboard-interactive")
        expectSSHError(.protocolError) { _ = try s.send(payload) }
    }

    @Test("number 60 where no method expects it, and answers nobody asked for")
    func outOfPlace() throws {
        var s = AuthScript(credentials: [.publicKey(key)])
        #expect(try s.accept() == .request("publickey"))
        expectSSHError(.protocolError) {
            _ = try s.infoRequest([("Password: ", false)])
        }
        var early = AuthScript()
        expectSSHError(.protocolError) { _ = try early.answer(["x"]) }
        var waiting = AuthScript()
        _ = try waiting.accept()
        _ = try waiting.failure("password")
        expectSSHError(.protocolError) { _ = try waiting.failure("password") }
    }

    @Test("a banner may arrive while a prompt is pending")
    func bannerWhilePrompting() throws {
        var s = AuthScript()
        _ = try s.accept()
        _ = try s.failure("password")
        #expect(try s.send(message(MessageNumber.userauthBanner.rawValue) { $0.writeString("hi\u{1b}[2J"); $0.writeString("") }) == .banner("hi?[2J"))
        #expect(try s.answer(["pw"]) == .password("pw"))
    }

    @Test("pipelined: the first key's signed request goes before SERVICE_ACCEPT, whose arrival sends nothing")
    func pipelinedPublicKey() throws {
        var s = AuthScript(credentials: [.publicKey(key)])
        #expect(try s.pipelined() == .request("publickey"))
        #expect(try s.pipelined() == nil, "only one request goes ahead of the accept")
        #expect(try s.accept() == .nothing)
        #expect(try s.success() == .succeeded)
    }

    @Test("pipelined: without keys, or with publickey not first or off, the request is `none`")
    func pipelinedNone() throws {
        var keyless = AuthScript()
        #expect(try keyless.pipelined() == .request("none"))
        #expect(try keyless.accept() == .nothing)
        #expect(try keyless.failure("password") == .prompt(passwordPrompt))
        var passwordFirst = AuthScript(AuthenticationPolicy(preferredMethods: ["password", "publickey"], canPrompt: true,
                                                            host: "example.org"), credentials: [.publicKey(key)])
        #expect(try passwordFirst.pipelined() == .request("none"))
        var off = AuthScript(AuthenticationPolicy(publicKey: false, canPrompt: true, host: "example.org"), credentials: [.publicKey(key)])
        #expect(try off.pipelined() == .request("none"))
    }

    @Test("pipelined key refused: the walk goes on as after a `none` probe (next key, then other methods)")
    func pipelinedKeyRefused() throws {
        var s = AuthScript(credentials: [.publicKey(key), .publicKey(key)])
        #expect(try s.pipelined() == .request("publickey"))
        #expect(try s.accept() == .nothing)
        #expect(try s.failure("publickey,password") == .request("publickey"))
        #expect(try s.failure("publickey,password") == .prompt(passwordPrompt))
        #expect(try s.answer(["pw"]) == .password("pw"))
        #expect(try s.success() == .succeeded)
    }

    @Test("pipelined: a reply before SERVICE_ACCEPT is a protocol error; no request once the accept came")
    func pipelinedOrder() throws {
        var s = AuthScript(credentials: [.publicKey(key)])
        _ = try s.pipelined()
        expectSSHError(.protocolError) { _ = try s.success() }
        var late = AuthScript(credentials: [.publicKey(key)])
        #expect(try late.accept() == .request("publickey"))
        #expect(try late.pipelined() == nil)
    }

    @Test("pipelined: an RSA key waits for SERVICE_ACCEPT unless server-sig-algs is known (dropbear sends EXT_INFO unannounced)")
    func pipelinedRSAWaitsForSignatureAlgorithms() throws {
        var unknown = AuthScript(credentials: [.publicKey(ScriptedServer.rsaKey)])
        #expect(try unknown.pipelined() == nil)
        unknown.client.setServerSignatureAlgorithms(["rsa-sha2-256"])
        #expect(try unknown.accept() == .request("publickey"))
        var known = AuthScript(credentials: [.publicKey(ScriptedServer.rsaKey)])
        known.client.setServerSignatureAlgorithms(["rsa-sha2-256"])
        #expect(try known.pipelined() == .request("publickey"))
    }
}
