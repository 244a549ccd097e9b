import NIOCore
import SSHCrypto
import SSHWire
import Testing
@_spi(Internals) @testable import SSHCore

/// Authentication prompts through the whole client machine, over an
/// encrypted in-memory connection, and the options that set the policy.
@Suite("client authentication through the connection machine")
struct ClientAuthenticationTests {
    @Test("a password prompt pauses the machine; the answer resumes it")
    func passwordPromptRoundTrip() throws {
        var session = try ClientSession(client: ClientConnectionStateMachine(
            transport: TransportConfiguration(role: .client), user: "alice", credentials: [],
            authentication: AuthenticationPolicy(canPrompt: true, host: "h")))
        try session.establish()
        try session.server.send(message(MessageNumber.serviceAccept.rawValue) { $0.writeString("ssh-userauth") })
        try session.deliver()
        #expect(try session.serverReads().isEmpty, "`none` went ahead of the accept")
        try session.server.send(message(MessageNumber.userauthFailure.rawValue) { $0.writeString("password"); $0.writeBool(false) })
        let events = try session.deliver()
        guard case .authenticationPrompt(let prompt)? = events.last else { throw TestFailure("no prompt: \(events)") }
        #expect(prompt.kind == .password && prompt.questions.first?.text == "alice@h's password: ")
        #expect(try session.serverReads().isEmpty, "nothing is sent while the prompt is pending")

        var out = ByteBuffer()
        try session.client.answerAuthenticationPrompt([SecureBytes(Array("pw".utf8))], output: &out)
        session.toServer.writeBuffer(&out)
        let sent = try session.serverReads()
        var expected = WireWriter()
        expected.writeByte(MessageNumber.userauthRequest.rawValue)
        expected.writeString("alice"); expected.writeString("ssh-connection"); expected.writeString("password")
        expected.writeBool(false); expected.writeString("pw")
        #expect(sent == [expected.bytes])
        try session.server.send([MessageNumber.userauthSuccess.rawValue])
        #expect(try session.deliver().contains { if case .authenticated = $0 { true } else { false } })
    }

    @Test("ssh_config options become the policy, with ssh's defaults")
    func policyFromOptions() throws {
        let defaults = ClientOptions().authenticationPolicy(host: "h")
        #expect(defaults == AuthenticationPolicy(host: "h"))
        #expect(defaults.preferredMethods == ["publickey", "keyboard-interactive", "password"] && defaults.numberOfPasswordPrompts == 3)
        var o = ClientOptions()
        for option in ["PreferredAuthentications=password,publickey", "PubkeyAuthentication=no", "PasswordAuthentication=yes",
                       "KbdInteractiveAuthentication=no", "BatchMode=yes", "NumberOfPasswordPrompts=1"] {
            try o.apply(option: option)
        }
        #expect(o.authenticationPolicy(host: "h") == AuthenticationPolicy(
            preferredMethods: ["password", "publickey"], publicKey: false, password: true, keyboardInteractive: false,
            batchMode: true, numberOfPasswordPrompts: 1, host: "h"))
        var bad = ClientOptions()
        #expect(throws: SSHError.self) { try bad.apply(option: "NumberOfPasswordPrompts=-1") }
        #expect(throws: SSHError.self) { try bad.apply(option: "NumberOfPasswordPrompts=many") }
    }

    @Test("the first request goes right behind SERVICE_REQUEST; with ext-info-s offered, after EXT_INFO, signed as it says")
    func pipelinedFirstRequest() throws {
        let serviceRequest = message(MessageNumber.serviceRequest.rawValue) { $0.writeString("ssh-userauth") }
        var plain = try ClientSession(client: ClientConnectionStateMachine(
            transport: TransportConfiguration(role: .client), user: "alice", credentials: [.publicKey(ScriptedServer.ed25519Key)]))
        try plain.establish()
        #expect(plain.received.suffix(2).first == serviceRequest)
        #expect(try Self.publicKeyAlgorithm(plain.received.last) == "ssh-ed25519")

        var server = ScriptedServer()
        server.offersExtensionInfo = true
        var waiting = try ClientSession(client: ClientConnectionStateMachine(
            transport: TransportConfiguration(role: .client), user: "alice", credentials: [.publicKey(ScriptedServer.rsaKey)]),
            server: server)
        try waiting.establish()
        #expect(waiting.received.last == serviceRequest, "nothing signed before server-sig-algs is known")
        try waiting.server.send(message(MessageNumber.extInfo.rawValue) {
            $0.writeUInt32(1); $0.writeString("server-sig-algs"); $0.writeString("ssh-ed25519,rsa-sha2-256")
        })
        try waiting.deliver()
        #expect(try Self.publicKeyAlgorithm(waiting.serverReads().first) == "rsa-sha2-256")
        try waiting.server.send(message(MessageNumber.serviceAccept.rawValue) { $0.writeString("ssh-userauth") })
        try waiting.deliver()
        #expect(try waiting.serverReads().isEmpty)
        try waiting.server.send([MessageNumber.userauthSuccess.rawValue])
        #expect(try waiting.deliver().contains { if case .authenticated = $0 { true } else { false } })
    }

    @Test("ext-info-s offered but no EXT_INFO sent: the first request follows SERVICE_ACCEPT")
    func extensionInfoNeverSent() throws {
        var server = ScriptedServer()
        server.offersExtensionInfo = true
        var session = try ClientSession(client: ClientConnectionStateMachine(
            transport: TransportConfiguration(role: .client), user: "alice", credentials: [.publicKey(ScriptedServer.ed25519Key)]),
            server: server)
        try session.establish()
        try session.server.send(message(MessageNumber.serviceAccept.rawValue) { $0.writeString("ssh-userauth") })
        try session.deliver()
        #expect(try Self.publicKeyAlgorithm(session.serverReads().first) == "ssh-ed25519")
        try session.server.send([MessageNumber.userauthSuccess.rawValue])
        #expect(try session.deliver().contains { if case .authenticated = $0 { true } else { false } })
    }

    /// The signature algorithm of a signed publickey USERAUTH_REQUEST.
    private static func publicKeyAlgorithm(_ payload: [UInt8]?) throws -> String {
        var r = WireReader(payload ?? [])
        guard try r.readByte() == MessageNumber.userauthRequest.rawValue else { throw TestFailure("not a USERAUTH_REQUEST") }
        _ = try r.readUTF8(); _ = try r.readUTF8()
        guard try r.readUTF8() == "publickey", try r.readBool() else { throw TestFailure("not a signed publickey request") }
        return try r.readUTF8()
    }
}
