import NIOCore
import SSHCrypto
import SSHWire
import Testing
@_spi(Internals) @testable import SSHCore

/// A hostile session against the whole client: transport, authentication
/// and the channel multiplexer.
typealias ClientSession = HostileSession<ClientConnectionStateMachine>

/// The client's channel in these tests (ours 0, the server's 77), with a
/// 64 KiB receive window that does not grow and 16 KiB maximum packet.
private let ourChannel: UInt32 = 0
private let theirChannel: UInt32 = 77
private let receiveWindow: UInt32 = 64 * 1024
private let maximumPacket: UInt32 = 16 * 1024

private func connection(_ message: ConnectionMessage) -> [UInt8] {
    Array(payload(message).readableBytesView)
}

private func channelData(_ count: Int, channel: UInt32 = ourChannel) -> [UInt8] {
    connection(.channelData(recipientChannel: channel, data: buffer([UInt8](repeating: 0xEE, count: count))))
}

extension ClientSession {
    /// A client session whose first key exchange completed; the client's
    /// SERVICE_REQUEST, and the `none` request it pipelines behind it, have
    /// been read by the server.
    static func established() throws -> ClientSession {
        var session = try ClientSession(client: ClientConnectionStateMachine(
            transport: TransportConfiguration(role: .client), user: "alice", credentials: [],
            multiplexer: ChannelMultiplexer.Configuration(
                role: .client, initialReceiveWindow: receiveWindow, maximumReceiveWindow: receiveWindow,
                maximumPacketSize: maximumPacket)))
        try session.establish()
        guard session.received.suffix(2).first == message(MessageNumber.serviceRequest.rawValue, { $0.writeString("ssh-userauth") }),
              session.received.last?.first == MessageNumber.userauthRequest.rawValue else {
            throw TestFailure("no SERVICE_REQUEST and USERAUTH_REQUEST after the key exchange: \(session.received)")
        }
        return session
    }

    /// SERVICE_ACCEPT, and the client's `none` request is accepted.
    static func authenticated() throws -> ClientSession {
        var session = try established()
        try session.server.send(message(MessageNumber.serviceAccept.rawValue) { $0.writeString("ssh-userauth") })
        try session.deliver()
        let more = try session.serverReads()
        guard more.isEmpty else { throw TestFailure("the accept of a pipelined request sent \(more)") }
        try session.server.send([MessageNumber.userauthSuccess.rawValue])
        let events = try session.deliver()
        guard events.contains(where: { if case .authenticated = $0 { true } else { false } }) else {
            throw TestFailure("not authenticated: \(events)")
        }
        return session
    }

    /// Authenticated, with a session channel the server confirmed with `peerWindow`.
    static func withOpenChannel(peerWindow: UInt32 = 1 << 20) throws -> ClientSession {
        var session = try authenticated()
        var out = ByteBuffer()
        let id = try session.client.withMultiplexer(output: &out) { try $0.openSession() }
        session.toServer.writeBuffer(&out)
        guard id == ChannelID(ourChannel), try session.serverReads().first?.first == MessageNumber.channelOpen.rawValue else {
            throw TestFailure("no CHANNEL_OPEN")
        }
        try session.server.send(connection(.channelOpenConfirmation(.init(
            recipientChannel: ourChannel, senderChannel: theirChannel, initialWindowSize: peerWindow,
            maximumPacketSize: 32 * 1024))))
        let events = try session.deliver()
        guard events.contains(where: { if case .channel(.opened) = $0 { true } else { false } }) else {
            throw TestFailure("channel not opened: \(events)")
        }
        return session
    }

    /// Sends `payload` from the server and expects the client to fail with `code`.
    mutating func expectRefusal(_ code: SSHError.Code, _ payload: [UInt8], _ what: @autoclosure () -> String = "",
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        try server.send(payload)
        expectSSHError(code, what().isEmpty ? "\(payload.prefix(16))" : what(), sourceLocation: sourceLocation) {
            try deliver()
        }
    }
}

// MARK: - Connection layer

@Suite struct HostileServerConnectionTests {
    @Test func windowAdjustOverflowing32Bits() throws {
        var session = try ClientSession.withOpenChannel(peerWindow: 0xFFFF_FFF0)
        try session.expectRefusal(.protocolError, connection(.channelWindowAdjust(recipientChannel: ourChannel, bytesToAdd: 0x20)))

        var stepwise = try ClientSession.withOpenChannel(peerWindow: 0)
        try stepwise.server.send(connection(.channelWindowAdjust(recipientChannel: ourChannel, bytesToAdd: 0xFFFF_FFFF)))
        try stepwise.deliver()
        try stepwise.expectRefusal(.protocolError, connection(.channelWindowAdjust(recipientChannel: ourChannel, bytesToAdd: 1)))
    }

    @Test("messages for a channel never opened", arguments: [UInt32(1), 5, 77, 0xFFFF_FFFF])
    func channelNeverOpened(_ channel: UInt32) throws {
        let messages: [ConnectionMessage] = [
            .channelData(recipientChannel: channel, data: buffer([1, 2, 3])),
            .channelExtendedData(recipientChannel: channel, dataType: 1, data: buffer([1])),
            .channelWindowAdjust(recipientChannel: channel, bytesToAdd: 100),
            .channelEOF(recipientChannel: channel),
            .channelClose(recipientChannel: channel),
            .channelRequest(.init(recipientChannel: channel, type: .exitStatus(0), wantReply: false)),
            .channelSuccess(recipientChannel: channel),
            .channelOpenConfirmation(.init(recipientChannel: channel, senderChannel: 1, initialWindowSize: 1, maximumPacketSize: 1)),
            .channelOpenFailure(.init(recipientChannel: channel, reason: .connectFailed, description: "no")),
        ]
        for message in messages {
            var session = try ClientSession.withOpenChannel()
            try session.expectRefusal(.protocolError, connection(message), "\(message.messageNumber) for channel \(channel)")
        }
    }

    @Test func dataBeyondTheWindow() throws {
        var session = try ClientSession.withOpenChannel()
        // The whole window, never consumed, then one byte more.
        for _ in 0..<Int(receiveWindow / maximumPacket) {
            try session.server.send(channelData(Int(maximumPacket)))
        }
        let events = try session.deliver()
        #expect(events.count == Int(receiveWindow / maximumPacket))
        try session.expectRefusal(.protocolError, channelData(1))

        var extended = try ClientSession.withOpenChannel()
        try extended.server.send(channelData(Int(maximumPacket)))
        for _ in 1..<Int(receiveWindow / maximumPacket) {
            try extended.server.send(connection(.channelExtendedData(
                recipientChannel: ourChannel, dataType: 1, data: buffer([UInt8](repeating: 1, count: Int(maximumPacket))))))
        }
        try extended.deliver()
        try extended.expectRefusal(.protocolError, connection(.channelExtendedData(recipientChannel: ourChannel, dataType: 1, data: buffer([1]))))
    }

    @Test func dataLargerThanTheMaximumPacket() throws {
        var session = try ClientSession.withOpenChannel()
        try session.expectRefusal(.protocolError, channelData(Int(maximumPacket) + 1))
    }

    @Test func dataAfterEOFAndAfterClose() throws {
        var session = try ClientSession.withOpenChannel()
        try session.server.send(connection(.channelEOF(recipientChannel: ourChannel)))
        try session.deliver()
        try session.expectRefusal(.protocolError, channelData(1))

        var closed = try ClientSession.withOpenChannel()
        try closed.server.send(connection(.channelClose(recipientChannel: ourChannel)))
        try closed.deliver()
        try closed.expectRefusal(.protocolError, channelData(1))
    }

    @Test("every connection-protocol message, truncated", arguments: [UInt8(80), 81, 82] + Array(90...100))
    func truncatedConnectionMessages(_ number: UInt8) throws {
        // (A global request's data is request-specific, so only channel
        // messages can be too long.)
        let bodies: [[UInt8]] = number < 90 ? [[], [0], [0, 0, 0]] : [[], [0], [0, 0, 0], [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]]
        for body in bodies {
            var session = try ClientSession.withOpenChannel()
            try session.expectRefusal(.protocolError, [number] + body, "message \(number) + \(body)")
        }
    }

    @Test func everyPrefixOfRealConnectionMessages() throws {
        let messages: [ConnectionMessage] = [
            .channelData(recipientChannel: ourChannel, data: buffer([1, 2, 3])),
            .channelExtendedData(recipientChannel: ourChannel, dataType: 1, data: buffer([1, 2])),
            .channelWindowAdjust(recipientChannel: ourChannel, bytesToAdd: 5),
            .channelRequest(.init(recipientChannel: ourChannel, type: .exitStatus(3), wantReply: false)),
            .channelRequest(.init(recipientChannel: ourChannel, type: .exitSignal(.init(signalName: "KILL", coreDumped: true, errorMessage: "bye")), wantReply: false)),
            .globalRequest(.init(type: .keepalive, wantReply: true)),
            .channelOpen(.init(type: .session, senderChannel: 3, initialWindowSize: 10, maximumPacketSize: 10)),
        ]
        for message in messages {
            let bytes = connection(message)
            var session = try ClientSession.withOpenChannel()
            try session.server.send(bytes)
            try session.deliver()  // the whole message is fine
            for length in 1..<bytes.count {
                var truncated = try ClientSession.withOpenChannel()
                try truncated.expectRefusal(.protocolError, Array(bytes.prefix(length)), "\(message.messageNumber) cut to \(length)")
            }
            if message.messageNumber != .globalRequest {  // its data is request-specific
                var padded = try ClientSession.withOpenChannel()
                try padded.expectRefusal(.protocolError, bytes + [0], "\(message.messageNumber) with a trailing byte")
            }
        }
    }

    @Test func unassignedConnectionNumbersAreTolerated() throws {
        var session = try ClientSession.withOpenChannel()
        for number in UInt8(101)...127 { try session.server.send([number, 1, 2]) }
        try session.server.send(channelData(3))
        let events = try session.deliver()
        #expect(events.contains { if case .channel(.data) = $0 { true } else { false } })
    }

    @Test("messages outside every protocol the client speaks", arguments: [UInt8(5), 6, 60, 128, 191, 192, 255])
    func foreignMessageNumbersAfterAuthentication(_ number: UInt8) throws {
        var session = try ClientSession.withOpenChannel()
        try session.expectRefusal(.protocolError, [number, 0, 0, 0, 0])
    }

    @Test func disconnectAfterAuthentication() throws {
        var session = try ClientSession.withOpenChannel()
        let error = expectSSHError(.disconnectedByPeer) {
            try session.server.send(disconnectMessage(DisconnectReason.byApplication.rawValue, Array("going down\u{1b}[5m".utf8)))
            try session.deliver()
        }
        #expect(error.map { isTerminalSafe($0.message) && $0.message.contains("going down") } == true)
    }
}

// MARK: - Authentication layer

@Suite struct HostileServerAuthenticationTests {
    @Test func connectionMessagesBeforeAuthentication() throws {
        let messages = [
            channelData(1),
            connection(.channelOpenConfirmation(.init(recipientChannel: 0, senderChannel: 1, initialWindowSize: 1, maximumPacketSize: 1))),
            connection(.globalRequest(.init(type: .keepalive, wantReply: true))),
            connection(.channelOpen(.init(type: .session, senderChannel: 3, initialWindowSize: 10, maximumPacketSize: 10))),
        ]
        for payload in messages {
            var session = try ClientSession.established()
            try session.expectRefusal(.protocolError, payload)
        }
    }

    @Test func authenticationMessagesOutOfOrder() throws {
        // Success or failure before the service was accepted.
        for payload in [[MessageNumber.userauthSuccess.rawValue], message(51) { $0.writeString("publickey"); $0.writeBool(false) }, [60]] {
            var session = try ClientSession.established()
            try session.expectRefusal(.protocolError, payload)
        }
        // The wrong service accepted.
        var wrongService = try ClientSession.established()
        try wrongService.expectRefusal(.protocolError, message(6) { $0.writeString("ssh-connection") })
        // A second SERVICE_ACCEPT.
        var twice = try ClientSession.established()
        try twice.server.send(message(6) { $0.writeString("ssh-userauth") })
        try twice.deliver()
        try twice.expectRefusal(.protocolError, message(6) { $0.writeString("ssh-userauth") })
        // Authentication messages after success.
        for payload in [[MessageNumber.userauthSuccess.rawValue], message(53) { $0.writeString("late banner"); $0.writeString("") }] {
            var session = try ClientSession.authenticated()
            try session.expectRefusal(.protocolError, payload)
        }
    }

    @Test func refusedWithNothingLeftToTry() throws {
        var session = try ClientSession.established()
        try session.server.send(message(6) { $0.writeString("ssh-userauth") })
        try session.deliver()
        try session.expectRefusal(.authenticationFailed, message(51) { $0.writeString("publickey,password"); $0.writeBool(false) })
    }

    @Test("truncated or malformed authentication messages", arguments: [
        [UInt8(6)], [6, 0, 0, 0, 12], [6, 0, 0, 0, 2, 0xC3, 0x28],
        [51], [51, 0, 0, 0, 9] + Array("publickey".utf8), [51, 0, 0, 0, 3] + Array("a,,".utf8) + [0], [51, 0, 0, 0, 3, 0x61, 0x20, 0x62, 0],
        [53], [53, 0, 0, 0, 5, 0x61], [53, 0, 0, 0, 2, 0xC3, 0x28, 0, 0, 0, 0], [53, 0x7F, 0xFF, 0xFF, 0xFF],
    ])
    func truncatedAuthenticationMessages(_ payload: [UInt8]) throws {
        var session = try ClientSession.established()
        if payload.first != MessageNumber.serviceAccept.rawValue {
            try session.server.send(message(6) { $0.writeString("ssh-userauth") })
            try session.deliver()
        }
        try session.expectRefusal(.protocolError, payload)
    }

    @Test func bannerIsSanitizedForTheTerminal() throws {
        var session = try ClientSession.established()
        try session.server.send(message(MessageNumber.userauthBanner.rawValue) {
            $0.writeString("Welcome\u{1b}]0;owned\u{07}\u{9b}2J\r\nauthorized use only\n")
            $0.writeString("")
        })
        let events = try session.deliver()
        guard case .banner(let text)? = events.first else {
            Issue.record("no banner event: \(events)")
            return
        }
        #expect(isTerminalSafe(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        #expect(text.hasPrefix("Welcome") && text.hasSuffix("authorized use only\n"))
    }
}

// MARK: - Fuzzing the whole client

@Suite struct HostileServerClientFuzzTests {
    @Test("random messages to an authenticated client never trap", arguments: UInt64(1)...24)
    func afterAuthentication(_ seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var session = try ClientSession.withOpenChannel()
        for _ in 0..<300 {
            var payload = fuzzPayload(&rng)
            // Half of them aimed at the open channel.
            if payload.count >= 5, Bool.random(using: &rng) {
                payload.replaceSubrange(1..<5, with: be32(ourChannel))
            }
            try session.server.send(payload)
            if expectNothingButSSHError("seed \(seed)", { try session.deliver() }) != nil { break }
        }
    }

    @Test("random messages during authentication never trap", arguments: UInt64(1)...12)
    func duringAuthentication(_ seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var session = try ClientSession.established()
        for _ in 0..<100 {
            try session.server.send(fuzzPayload(&rng))
            if expectNothingButSSHError("seed \(seed)", { try session.deliver() }) != nil { break }
        }
    }
}
