import NIOCore
import Testing
@_spi(Internals) @testable import SSHCore

/// A client multiplexer with one open session (our channel 0, the peer's
/// channel 77), a 64 KiB receive window and 16 KiB maximum packet; tests then
/// play a hostile server by feeding it hand-built payloads.
private func clientWithOpenSession(
    peerWindow: UInt32 = 1 << 20, configure: (inout ChannelMultiplexer.Configuration) -> Void = { _ in }
) throws -> ChannelMultiplexer {
    var config = ChannelMultiplexer.Configuration(
        role: .client, initialReceiveWindow: 64 * 1024, maximumReceiveWindow: 64 * 1024, maximumPacketSize: 16 * 1024)
    configure(&config)
    var client = ChannelMultiplexer(configuration: config)
    let id = try client.openSession()
    #expect(id == ChannelID(0))
    try client.receive(payload: payload(.channelOpenConfirmation(.init(
        recipientChannel: 0, senderChannel: 77, initialWindowSize: peerWindow, maximumPacketSize: 32 * 1024))))
    _ = try drainMessages(&client)
    while client.nextEvent() != nil {}
    return client
}

private func data(_ count: Int, channel: UInt32 = 0) -> ByteBuffer {
    payload(.channelData(recipientChannel: channel, data: buffer([UInt8](repeating: 0xEE, count: count))))
}

private func expectRefusal(_ code: ConnectionError.Code, _ mux: inout ChannelMultiplexer, _ bad: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try mux.receive(payload: bad)
        Issue.record("accepted a payload that should be refused with \(code)", sourceLocation: sourceLocation)
    } catch let error as ConnectionError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct HostileConnectionTests {
    @Test func shortAndMalformedPayloads() throws {
        var client = try clientWithOpenSession()
        expectRefusal(.malformedMessage, &client, ByteBuffer())
        expectRefusal(.malformedMessage, &client, buffer([94]))
        expectRefusal(.malformedMessage, &client, buffer([94, 0, 0, 0]))
        expectRefusal(.malformedMessage, &client, buffer([94, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2]))  // declares 5, has 2
        expectRefusal(.malformedMessage, &client, buffer([94, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]))
        expectRefusal(.malformedMessage, &client, buffer([96, 0, 0, 0, 0, 0]))  // EOF + trailing byte
        expectRefusal(.malformedMessage, &client, buffer([93, 0, 0, 0, 0, 0, 0]))
        expectRefusal(.malformedMessage, &client, buffer([98, 0, 0, 0, 0] + sshString("exit-status") + [0, 0, 0]))
        expectRefusal(.unexpectedMessage, &client, buffer([20, 0]))
    }

    @Test func channelNeverOpened() throws {
        var client = try clientWithOpenSession()
        expectRefusal(.unknownChannel, &client, data(1, channel: 5))
        expectRefusal(.unknownChannel, &client, payload(.channelWindowAdjust(recipientChannel: 0xFFFF_FFFF, bytesToAdd: 1)))
        expectRefusal(.unknownChannel, &client, payload(.channelRequest(.init(recipientChannel: 9, type: .exitStatus(0), wantReply: false))))
        expectRefusal(.unknownChannel, &client, payload(.channelEOF(recipientChannel: 1)))
    }

    @Test func channelAlreadyClosed() throws {
        var client = try clientWithOpenSession()
        try client.receive(payload: payload(.channelClose(recipientChannel: 0)))
        let sent = try drainMessages(&client)
        #expect(sent == [.channelClose(recipientChannel: 77)])
        #expect(client.nextEvent() == .closed(ChannelID(0)))
        // Data, EOF, CLOSE or requests after the peer's CLOSE.
        expectRefusal(.channelClosed, &client, data(1))
        expectRefusal(.channelClosed, &client, payload(.channelClose(recipientChannel: 0)))
        expectRefusal(.channelClosed, &client, payload(.channelEOF(recipientChannel: 0)))
        expectRefusal(.channelClosed, &client, payload(.channelSuccess(recipientChannel: 0)))
    }

    @Test func messagesForAChannelStillOpening() throws {
        var client = ChannelMultiplexer(configuration: .client)
        _ = try client.openSession()
        expectRefusal(.channelNotOpen, &client, data(1))
        expectRefusal(.channelNotOpen, &client, payload(.channelWindowAdjust(recipientChannel: 0, bytesToAdd: 10)))
        var server = ChannelMultiplexer(configuration: .server)
        try server.receive(payload: payload(.channelOpen(.init(type: .session, senderChannel: 3, initialWindowSize: 10, maximumPacketSize: 10))))
        // The peer cannot know our number before we accept, so it must not use it.
        expectRefusal(.channelNotOpen, &server, data(1))
    }

    @Test func dataBeyondTheGrantedWindow() throws {
        var client = try clientWithOpenSession()
        for _ in 0..<4 { try client.receive(payload: data(16 * 1024)) }  // exactly 64 KiB: allowed
        expectRefusal(.windowExceeded, &client, data(1))
        // Extended data counts against the same window.
        var other = try clientWithOpenSession()
        for _ in 0..<3 { try other.receive(payload: data(16 * 1024)) }
        try other.receive(payload: payload(.channelExtendedData(recipientChannel: 0, dataType: 1, data: buffer([UInt8](repeating: 1, count: 16 * 1024 - 1)))))
        expectRefusal(.windowExceeded, &other, payload(.channelExtendedData(recipientChannel: 0, dataType: 1, data: buffer([1, 2]))))
    }

    @Test func dataLargerThanOurMaximumPacket() throws {
        var client = try clientWithOpenSession()
        try client.receive(payload: data(16 * 1024))
        expectRefusal(.packetTooLarge, &client, data(16 * 1024 + 1))
        expectRefusal(.packetTooLarge, &client, payload(.channelExtendedData(
            recipientChannel: 0, dataType: 1, data: buffer([UInt8](repeating: 0, count: 16 * 1024 + 1)))))
    }

    @Test func windowAdjustPastTwoToTheThirtyTwo() throws {
        var client = try clientWithOpenSession(peerWindow: UInt32.max - 10)
        try client.receive(payload: payload(.channelWindowAdjust(recipientChannel: 0, bytesToAdd: 10)))
        expectRefusal(.windowOverflow, &client, payload(.channelWindowAdjust(recipientChannel: 0, bytesToAdd: 1)))
        var other = try clientWithOpenSession(peerWindow: 0)
        try other.receive(payload: payload(.channelWindowAdjust(recipientChannel: 0, bytesToAdd: UInt32.max)))
        expectRefusal(.windowOverflow, &other, payload(.channelWindowAdjust(recipientChannel: 0, bytesToAdd: UInt32.max)))
    }

    @Test func dataAfterThePeersEOF() throws {
        var client = try clientWithOpenSession()
        try client.receive(payload: payload(.channelEOF(recipientChannel: 0)))
        expectRefusal(.dataAfterEOF, &client, data(1))
        expectRefusal(.dataAfterEOF, &client, payload(.channelExtendedData(recipientChannel: 0, dataType: 1, data: buffer([1]))))
        expectRefusal(.dataAfterEOF, &client, payload(.channelEOF(recipientChannel: 0)))
        // Requests and CLOSE after EOF are normal (exit-status usually follows EOF).
        try client.receive(payload: payload(.channelRequest(.init(recipientChannel: 0, type: .exitStatus(0), wantReply: false))))
        try client.receive(payload: payload(.channelClose(recipientChannel: 0)))
    }

    @Test func openRepliesForChannelsNotPending() throws {
        var client = try clientWithOpenSession()
        let confirmation = ConnectionMessage.ChannelOpenConfirmation(recipientChannel: 0, senderChannel: 1, initialWindowSize: 1, maximumPacketSize: 1)
        expectRefusal(.unexpectedOpenReply, &client, payload(.channelOpenConfirmation(confirmation)))  // already open
        var never = confirmation
        never.recipientChannel = 42
        expectRefusal(.unexpectedOpenReply, &client, payload(.channelOpenConfirmation(never)))
        expectRefusal(.unexpectedOpenReply, &client, payload(.channelOpenFailure(.init(recipientChannel: 0, reason: .connectFailed, description: ""))))
        // A second reply to the same open.
        var opening = ChannelMultiplexer(configuration: .client)
        _ = try opening.openSession()
        try opening.receive(payload: payload(.channelOpenFailure(.init(recipientChannel: 0, reason: .connectFailed, description: "no"))))
        expectRefusal(.unexpectedOpenReply, &opening, payload(.channelOpenConfirmation(confirmation)))
    }

    @Test func repliesNobodyAskedFor() throws {
        var client = try clientWithOpenSession()
        expectRefusal(.unexpectedReply, &client, payload(.channelSuccess(recipientChannel: 0)))
        expectRefusal(.unexpectedReply, &client, payload(.channelFailure(recipientChannel: 0)))
        expectRefusal(.unexpectedReply, &client, payload(.requestSuccess(data: ByteBuffer())))
        expectRefusal(.unexpectedReply, &client, payload(.requestFailure))
        try client.sendRequest(.exec(command: "id"), wantReply: true, on: ChannelID(0))
        try client.receive(payload: payload(.channelSuccess(recipientChannel: 0)))
        expectRefusal(.unexpectedReply, &client, payload(.channelSuccess(recipientChannel: 0)))
    }

    @Test func channelCountIsCapped() throws {
        var server = ChannelMultiplexer(configuration: .init(role: .server, maximumChannels: 3))
        for sender in 0..<5 as Range<UInt32> {
            try server.receive(payload: payload(.channelOpen(.init(type: .session, senderChannel: sender, initialWindowSize: 1, maximumPacketSize: 1))))
        }
        #expect(server.channelCount == 3)
        let sent = try drainMessages(&server)
        #expect(sent == [
            .channelOpenFailure(.init(recipientChannel: 3, reason: .resourceShortage, description: "too many channels")),
            .channelOpenFailure(.init(recipientChannel: 4, reason: .resourceShortage, description: "too many channels")),
        ])
        #expect(throws: ConnectionError(.tooManyChannels, "")) { try server.openSession() }
        var client = ChannelMultiplexer(configuration: .init(role: .client, maximumChannels: 2))
        _ = try client.openSession()
        _ = try client.openSession()
        #expect(throws: ConnectionError(.tooManyChannels, "")) { try client.openSession() }
    }

    @Test func pendingRequestsAreCapped() throws {
        var server = ChannelMultiplexer(configuration: .init(role: .server, maximumPendingRequests: 4))
        try server.receive(payload: payload(.channelOpen(.init(type: .session, senderChannel: 9, initialWindowSize: 100, maximumPacketSize: 100))))
        try server.acceptChannel(ChannelID(0))
        let exec = payload(.channelRequest(.init(recipientChannel: 0, type: .exec(command: "x"), wantReply: true)))
        for _ in 0..<4 { try server.receive(payload: exec) }
        // The owner has not answered; a fifth request wanting a reply is one too many.
        expectRefusal(.requestBacklogExceeded, &server, exec)
        // Requests refused at once by the multiplexer do not pile up.
        var client = try clientWithOpenSession { $0.maximumPendingRequests = 4 }
        for _ in 0..<100 {
            try client.receive(payload: payload(.channelRequest(.init(recipientChannel: 0, type: .other(name: "keepalive@openssh.com", data: ByteBuffer()), wantReply: true))))
        }
        let sent = try drainMessages(&client)
        #expect(sent.count == 100)
        // Our own requests are capped too, per channel and for global requests.
        for _ in 0..<4 { try client.sendRequest(.shell, wantReply: true, on: ChannelID(0)) }
        #expect(throws: ConnectionError(.tooManyPendingRequests, "")) { try client.sendRequest(.shell, wantReply: true, on: ChannelID(0)) }
        try client.sendRequest(.shell, wantReply: false, on: ChannelID(0))
        for _ in 0..<4 { try client.sendKeepalive() }
        #expect(throws: ConnectionError(.tooManyPendingRequests, "")) { try client.sendKeepalive() }
    }

    @Test func stateIsUnchangedByARefusedPayload() throws {
        var client = try clientWithOpenSession()
        try client.receive(payload: data(1000))
        expectRefusal(.packetTooLarge, &client, data(20_000))
        #expect(client.receiveWindow(on: ChannelID(0))?.remaining == 64 * 1024 - 1000)
    }

    /// Random and mutated payloads against multiplexers in several states:
    /// every outcome is acceptance or a ConnectionError, never a trap, and
    /// the receive-window invariant survives whatever was accepted.
    @Test(arguments: [ChannelMultiplexer.Role.client, .server])
    func fuzzNeverTraps(_ role: ChannelMultiplexer.Role) throws {
        var rng = SplitMix64(seed: role == .client ? 1 : 2)
        let seeds: [ConnectionMessage] = everyConnectionMessage + [
            .channelData(recipientChannel: 0, data: buffer([UInt8](repeating: 1, count: 300))),
            .channelWindowAdjust(recipientChannel: 0, bytesToAdd: 1000),
            .channelEOF(recipientChannel: 0),
            .channelClose(recipientChannel: 1),
            .channelOpenConfirmation(.init(recipientChannel: 2, senderChannel: 5, initialWindowSize: 100, maximumPacketSize: 0)),
        ]
        let encodedSeeds = seeds.map { Array(payload($0).readableBytesView) }

        func freshMux() throws -> ChannelMultiplexer {
            var config = ChannelMultiplexer.Configuration(
                role: role, initialReceiveWindow: 4096, maximumReceiveWindow: 16384, maximumPacketSize: 1024,
                maximumChannels: 8, maximumPendingRequests: 8)
            config.incomingChannelPolicy = .askOwner
            var mux = ChannelMultiplexer(configuration: config)
            for _ in 0..<3 { _ = try mux.openSession() }
            try mux.receive(payload: payload(.channelOpenConfirmation(.init(recipientChannel: 0, senderChannel: 10, initialWindowSize: 500, maximumPacketSize: 64))))
            try mux.receive(payload: payload(.channelOpenConfirmation(.init(recipientChannel: 1, senderChannel: 11, initialWindowSize: 0, maximumPacketSize: 0))))
            try mux.sendData(buffer([UInt8](repeating: 2, count: 2000)), on: ChannelID(0))
            try mux.sendData(buffer([UInt8](repeating: 3, count: 50)), on: ChannelID(1))
            _ = try drainMessages(&mux)
            return mux
        }

        var mux = try freshMux()
        var accepted = 0
        var refused: [ConnectionError.Code: Int] = [:]
        for iteration in 0..<20_000 {
            var bytes: [UInt8]
            switch rng.next() % 4 {
            case 0:
                // Pure noise behind a connection-protocol number.
                let count = Int(rng.next() % 40)
                bytes = [UInt8(80 + rng.next() % 48)] + (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 1:
                // A valid message cut short.
                let seed = encodedSeeds[Int(rng.next() % UInt64(encodedSeeds.count))]
                bytes = Array(seed.prefix(Int(rng.next() % UInt64(seed.count + 1))))
            default:
                // A valid message with a few bytes flipped, small channel numbers kept likely.
                bytes = encodedSeeds[Int(rng.next() % UInt64(encodedSeeds.count))]
                for _ in 0..<(1 + rng.next() % 3) where bytes.count > 1 {
                    let at = 1 + Int(rng.next() % UInt64(bytes.count - 1))
                    bytes[at] = UInt8(truncatingIfNeeded: rng.next() % 4 == 0 ? rng.next() : rng.next() % 4)
                }
                if rng.next() % 8 == 0 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
            do {
                try mux.receive(payload: buffer(bytes))
                accepted += 1
                // Play a well-behaved owner: consume data, answer what asks for answers.
                while let event = mux.nextEvent() {
                    switch event {
                    case .data(let id, let data), .extendedData(let id, _, let data):
                        mux.consumed(data.readableBytes, on: id)
                    case .openRequested(let id, _, _, _):
                        if rng.next() % 2 == 0 { try mux.acceptChannel(id) } else { try mux.rejectChannel(id, reason: .connectFailed, description: "") }
                    case .requestReceived(let id, _, true):
                        try mux.replyToRequest(on: id, success: rng.next() % 2 == 0)
                    default:
                        break
                    }
                }
                while mux.nextOutboundPayload() != nil {}
                for (_, state) in mux.channels {
                    let w = state.receiveWindow
                    #expect(w.remaining + w.unconsumed + w.consumedSinceAdjust == w.size || state.sentClose)
                    #expect(w.remaining >= 0 && w.size <= Int(UInt32.max))
                }
            } catch let error as ConnectionError {
                refused[error.code, default: 0] += 1
                mux = try freshMux()
            }
            if iteration % 500 == 499 { mux = try freshMux() }
        }
        #expect(accepted > 100)
        #expect(refused[.malformedMessage, default: 0] > 100)
        #expect(refused.count >= 5)
    }
}
