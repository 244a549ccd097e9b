import NIOCore
import Testing
@_spi(Internals) @testable import SSHCore

@Suite struct ChannelMultiplexerTests {
    @Test func sessionExecLifecycleBackToBack() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        #expect(pair.client.isOpen(c) && pair.server.isOpen(s))

        try pair.client.sendRequest(.exec(command: "cat; echo done >&2; exit 3"), wantReply: true, on: c)
        try pair.pump()
        #expect(pair.serverEvents == [.requestReceived(s, .exec(command: "cat; echo done >&2; exit 3"), wantReply: true)])
        try pair.server.replyToRequest(on: s, success: true)
        try pair.pump()
        #expect(pair.clientEvents == [.requestSucceeded(c, request: "exec")])

        // stdin, then EOF from the client
        try pair.client.sendData(buffer("line one\n"), on: c)
        try pair.client.sendData(buffer("line two\n"), on: c)
        try pair.client.sendEOF(on: c)
        try pair.pump()
        #expect(pair.serverData(on: s) == Array("line one\nline two\n".utf8))
        #expect(pair.serverEvents.last == .eof(s))

        // stdout, stderr, exit status, EOF, close from the server
        pair.clientEvents.removeAll()
        pair.serverEvents.removeAll()
        try pair.server.sendData(buffer("line one\nline two\n"), on: s)
        try pair.server.sendExtendedData(buffer("done\n"), on: s)
        try pair.server.sendRequest(.exitStatus(3), wantReply: false, on: s)
        try pair.server.sendEOF(on: s)
        try pair.server.close(s)
        try pair.pump()
        #expect(pair.clientEvents == [
            .data(c, buffer("line one\nline two\n")),
            .extendedData(c, dataType: 1, buffer("done\n")),
            .exitStatus(c, 3),
            .eof(c),
            .closed(c),
        ])
        #expect(pair.serverEvents == [.closed(s)])
        #expect(pair.client.channelCount == 0)
        #expect(pair.server.channelCount == 0)
        #expect(!pair.client.hasOutboundPayloads && !pair.server.hasOutboundPayloads)
    }

    @Test func exitSignalIsReported() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        let signal = ExitSignal(signalName: "TERM", coreDumped: false, errorMessage: "terminated")
        try pair.server.sendRequest(.exitSignal(signal), wantReply: false, on: s)
        try pair.pump()
        #expect(pair.clientEvents == [.exitSignal(c, signal)])
        #expect(pair.serverEvents.isEmpty)
    }

    @Test func subsystemAndEnvironmentRequests() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        try pair.client.sendRequest(.environment(name: "LC_ALL", value: "C"), wantReply: false, on: c)
        try pair.client.sendRequest(.subsystem(name: "sftp"), wantReply: true, on: c)
        try pair.pump()
        #expect(pair.serverEvents == [
            .requestReceived(s, .environment(name: "LC_ALL", value: "C"), wantReply: false),
            .requestReceived(s, .subsystem(name: "sftp"), wantReply: true),
        ])
        // Only the subsystem wanted a reply.
        try pair.server.replyToRequest(on: s, success: false)
        #expect(throws: ConnectionError(.invalidState, "")) { try pair.server.replyToRequest(on: s, success: true) }
        try pair.pump()
        #expect(pair.clientEvents == [.requestFailed(c, request: "subsystem")])
    }

    @Test func repliesGoOutInRequestOrderEvenWhenTheMultiplexerRefusesOneAtOnce() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        try pair.client.sendRequest(.environment(name: "A", value: "1"), wantReply: true, on: c)
        try pair.client.sendRequest(.other(name: "keepalive@openssh.com", data: ByteBuffer()), wantReply: true, on: c)
        try pair.client.sendRequest(.exec(command: "true"), wantReply: true, on: c)
        try pair.pump()
        #expect(pair.serverEvents.count == 2)
        // The keepalive's FAILURE must wait behind the env reply the owner has not given.
        #expect(!pair.server.hasOutboundPayloads)
        #expect(pair.clientEvents.isEmpty)
        try pair.server.replyToRequest(on: s, success: true)
        try pair.pump()
        #expect(pair.clientEvents == [.requestSucceeded(c, request: "env"), .requestFailed(c, request: "keepalive@openssh.com")])
        try pair.server.replyToRequest(on: s, success: true)
        try pair.pump()
        #expect(pair.clientEvents.last == .requestSucceeded(c, request: "exec"))
    }

    @Test func clientRefusesChannelRequestsItDoesNotHandle() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        // What OpenSSH's server sends: keepalive@openssh.com with want_reply, eow@openssh.com without.
        try pair.server.sendRequest(.other(name: "keepalive@openssh.com", data: ByteBuffer()), wantReply: true, on: s)
        try pair.server.sendRequest(.other(name: "eow@openssh.com", data: ByteBuffer()), wantReply: false, on: s)
        try pair.server.sendRequest(.exec(command: "rm -rf /"), wantReply: true, on: s)
        try pair.pump()
        #expect(pair.clientEvents.isEmpty)
        #expect(pair.serverEvents == [
            .requestFailed(s, request: "keepalive@openssh.com"),
            .requestFailed(s, request: "exec"),
        ])
        _ = c
    }

    @Test func exitStatusWantingAReplyIsAnsweredWithSuccess() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        try pair.server.sendRequest(.exitStatus(0), wantReply: true, on: s)
        try pair.pump()
        #expect(pair.clientEvents == [.exitStatus(c, 0)])
        #expect(pair.serverEvents == [.requestSucceeded(s, request: "exit-status")])
    }

    @Test func severalChannelsInterleaved() throws {
        var pair = MultiplexerPair()
        var ids: [(client: ChannelID, server: ChannelID)] = []
        for _ in 0..<4 { ids.append(try pair.openSession()) }
        #expect(Set(ids.map(\.client)).count == 4)
        #expect(pair.client.channelCount == 4 && pair.server.channelCount == 4)

        for round in 0..<50 {
            for (i, pairIDs) in ids.enumerated() {
                try pair.server.sendData(buffer("c\(i)r\(round);"), on: pairIDs.server)
                try pair.client.sendData(buffer("s\(i)r\(round);"), on: pairIDs.client)
            }
            if round % 7 == 0 { try pair.pump() }
        }
        // Close channel 1 from the client while the others carry on.
        try pair.client.close(ids[1].client)
        for (i, pairIDs) in ids.enumerated() where i != 1 {
            try pair.server.sendData(buffer("tail\(i)"), on: pairIDs.server)
        }
        try pair.pump()
        for (i, pairIDs) in ids.enumerated() {
            let rounds = (0..<50).map { "c\(i)r\($0);" }.joined()
            let expectedClient = i == 1 ? rounds : rounds + "tail\(i)"
            #expect(pair.clientData(on: pairIDs.client) == Array(expectedClient.utf8))
            #expect(pair.serverData(on: pairIDs.server) == Array((0..<50).map { "s\(i)r\($0);" }.joined().utf8))
        }
        #expect(pair.clientEvents.contains(.closed(ids[1].client)))
        #expect(pair.serverEvents.contains(.closed(ids[1].server)))
        #expect(pair.client.channelCount == 3 && pair.server.channelCount == 3)
        #expect(throws: ConnectionError(.unknownChannel, "")) { try pair.client.sendData(buffer("x"), on: ids[1].client) }
    }

    @Test func newChannelNumbersAreNotReusedRightAway() throws {
        var pair = MultiplexerPair()
        let first = try pair.openSession()
        try pair.client.close(first.client)
        try pair.pump()
        let second = try pair.openSession()
        #expect(second.client != first.client)
    }

    @Test func keepalivesAreAnsweredAndMatchedInOrder() throws {
        var pair = MultiplexerPair()
        try pair.client.sendKeepalive()
        try pair.client.sendKeepalive()
        #expect(pair.client.pendingGlobalRequestCount == 2)
        try pair.pump()
        // The server role, like OpenSSH, answers unknown global requests with REQUEST_FAILURE.
        #expect(pair.clientEvents == [
            .globalRequestAnswered(name: "keepalive@openssh.com", success: false, data: ByteBuffer()),
            .globalRequestAnswered(name: "keepalive@openssh.com", success: false, data: ByteBuffer()),
        ])
        #expect(pair.client.pendingGlobalRequestCount == 0)
    }

    @Test func globalRepliesAreMatchedToRequestsOldestFirst() throws {
        var client = ChannelMultiplexer(configuration: .client)
        try client.sendGlobalRequest(.tcpipForward(address: "localhost", port: 0), wantReply: true)
        try client.sendGlobalRequest(.other(name: "no-more-sessions@openssh.com", data: ByteBuffer()), wantReply: false)
        try client.sendKeepalive()
        let sent = try drainMessages(&client)
        #expect(sent.count == 3)
        try client.receive(payload: payload(.requestSuccess(data: buffer(be32(40123)))))
        try client.receive(payload: payload(.requestFailure))
        #expect(client.nextEvent() == .globalRequestAnswered(name: "tcpip-forward", success: true, data: buffer(be32(40123))))
        #expect(client.nextEvent() == .globalRequestAnswered(name: "keepalive@openssh.com", success: false, data: ByteBuffer()))
        #expect(client.nextEvent() == nil)
        #expect(throws: ConnectionError(.unexpectedReply, "")) {
            try client.receive(payload: payload(.requestSuccess(data: ByteBuffer())))
        }
    }

    @Test func incomingGlobalRequestsAreRefusedOrIgnored() throws {
        var client = ChannelMultiplexer(configuration: .client)
        // hostkeys-00@openssh.com: want_reply false, ignored silently.
        try client.receive(payload: payload(.globalRequest(.init(
            type: .other(name: "hostkeys-00@openssh.com", data: buffer(sshString("blob"))), wantReply: false))))
        let sentForHostKeys = try drainMessages(&client)
        #expect(sentForHostKeys.isEmpty)
        #expect(client.nextEvent() == nil)
        // keepalive@openssh.com from a server: REQUEST_FAILURE.
        try client.receive(payload: payload(.globalRequest(.init(type: .keepalive, wantReply: true))))
        try client.receive(payload: payload(.globalRequest(.init(type: .tcpipForward(address: "", port: 1), wantReply: true))))
        let sentAfterRequests = try drainMessages(&client)
        #expect(sentAfterRequests == [.requestFailure, .requestFailure])
        #expect(client.nextEvent() == nil)
    }

    @Test(arguments: [
        ChannelOpenType.forwardedTCPIP(connectedAddress: "0.0.0.0", connectedPort: 80, originatorAddress: "198.51.100.7", originatorPort: 5555),
        .x11(originatorAddress: "127.0.0.1", originatorPort: 40000),
        .other(name: "auth-agent@openssh.com", data: ByteBuffer()),
        .session,
    ])
    func clientRejectsServerInitiatedChannels(_ type: ChannelOpenType) throws {
        var pair = MultiplexerPair()
        let id = try pair.server.openChannel(type)
        try pair.pump()
        #expect(pair.serverEvents == [.openFailed(id, reason: .administrativelyProhibited, description: "open failed")])
        #expect(pair.clientEvents.isEmpty)
        #expect(pair.client.channelCount == 0 && pair.server.channelCount == 0)
    }

    @Test func directTCPIPOpenRefusedByTheServerOwner() throws {
        var pair = MultiplexerPair()
        let c = try pair.client.openDirectTCPIP(host: "10.0.0.5", port: 22, originatorAddress: "127.0.0.1", originatorPort: 0)
        try pair.pump()
        guard case .openRequested(let s, let type, let window, let maxPacket)? = pair.serverEvents.first else {
            Issue.record("no open request: \(pair.serverEvents)")
            return
        }
        #expect(type == .directTCPIP(host: "10.0.0.5", port: 22, originatorAddress: "127.0.0.1", originatorPort: 0))
        #expect(window == pair.client.configuration.initialReceiveWindow)
        #expect(maxPacket == pair.client.configuration.maximumPacketSize)
        try pair.server.rejectChannel(s, reason: .connectFailed, description: "Connection refused")
        try pair.pump()
        #expect(pair.clientEvents == [.openFailed(c, reason: .connectFailed, description: "Connection refused")])
        #expect(pair.client.channelCount == 0 && pair.server.channelCount == 0)
    }

    @Test func openedEventCarriesThePeersWindowAndMaximumPacket() throws {
        var pair = MultiplexerPair(server: .init(role: .server, initialReceiveWindow: 123_456, maximumPacketSize: 32768))
        let c = try pair.client.openSession()
        try pair.pump()
        guard case .openRequested(let s, _, _, _)? = pair.serverEvents.first else { throw TestFailure("no open") }
        try pair.server.acceptChannel(s)
        try pair.pump()
        #expect(pair.clientEvents == [.opened(c, peerWindow: 123_456, peerMaximumPacket: 32768)])
        #expect(pair.client.writableBytes(on: c) == 123_456)
    }

    @Test func closingWhileOpeningClosesOnConfirmation() throws {
        var pair = MultiplexerPair()
        let c = try pair.client.openSession()
        try pair.client.close(c)
        try pair.pump()
        guard case .openRequested(let s, _, _, _)? = pair.serverEvents.first else { throw TestFailure("no open") }
        try pair.server.acceptChannel(s)
        try pair.pump()
        #expect(pair.clientEvents == [.closed(c)])
        #expect(pair.serverEvents.last == .closed(s))
        #expect(pair.client.channelCount == 0 && pair.server.channelCount == 0)
    }

    @Test func closingWhileOpeningThenRefusedReportsClosed() throws {
        var pair = MultiplexerPair()
        let c = try pair.client.openSession()
        try pair.client.close(c)
        try pair.pump()
        guard case .openRequested(let s, _, _, _)? = pair.serverEvents.first else { throw TestFailure("no open") }
        try pair.server.rejectChannel(s, reason: .resourceShortage, description: "busy")
        try pair.pump()
        #expect(pair.clientEvents == [.closed(c)])
    }

    @Test func afterCloseOnlyClosedIsReported() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        try pair.client.close(c)
        // The server has not seen the CLOSE yet and keeps talking.
        try pair.server.sendData(buffer("late data"), on: s)
        try pair.server.sendRequest(.exitStatus(1), wantReply: false, on: s)
        try pair.server.sendEOF(on: s)
        try pair.pump()
        #expect(pair.clientEvents == [.closed(c)])
        #expect(pair.serverEvents == [.closed(s)])
    }

    @Test func eofCloseAndRequestsWaitBehindQueuedData() throws {
        var pair = MultiplexerPair(client: .init(role: .client, initialReceiveWindow: 16 * 1024, maximumReceiveWindow: 16 * 1024, maximumPacketSize: 4096))
        let (c, s) = try pair.openSession()
        let output = [UInt8]((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try pair.server.sendData(buffer(output), on: s)
        try pair.server.sendRequest(.exitStatus(0), wantReply: false, on: s)
        try pair.server.sendEOF(on: s)
        try pair.server.close(s)
        #expect(pair.server.writableBytes(on: s) == 0)
        #expect(pair.server.queuedBytes(on: s) == 100_000 - 16 * 1024)
        try pair.pump()
        #expect(pair.clientData(on: c) == output)
        let tail = pair.clientEvents.filter { $0.dataCount == nil }
        #expect(tail == [.exitStatus(c, 0), .eof(c), .closed(c)])
        #expect(pair.server.channelCount == 0)
    }

    @Test func closeDiscardingQueuedDataGoesOutAtOnce() throws {
        var pair = MultiplexerPair(server: .init(role: .server, initialReceiveWindow: 1024, maximumReceiveWindow: 1024))
        let (c, s) = try pair.openSession()
        pair.serverConsumesImmediately = false
        try pair.client.sendData(buffer([UInt8](repeating: 1, count: 5000)), on: c)
        #expect(pair.client.queuedBytes(on: c) == 5000 - 1024)
        try pair.client.close(c, discardingQueuedData: true)
        try pair.pump()
        #expect(pair.serverData(on: s).count == 1024)
        #expect(pair.clientEvents == [.closed(c)])
        #expect(pair.serverEvents.last == .closed(s))
    }

    @Test func ownerMisuseIsRefusedWithoutChangingState() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        #expect(throws: ConnectionError(.unknownChannel, "")) { try pair.client.sendData(buffer("x"), on: ChannelID(999)) }
        #expect(throws: ConnectionError(.invalidState, "")) { try pair.client.acceptChannel(c) }
        #expect(throws: ConnectionError(.invalidState, "")) { try pair.client.replyToRequest(on: c, success: true) }
        try pair.client.sendEOF(on: c)
        try pair.client.sendEOF(on: c)  // repeating is harmless
        #expect(throws: ConnectionError(.invalidState, "")) { try pair.client.sendData(buffer("x"), on: c) }
        #expect(pair.client.writableBytes(on: c) == 0)
        // Requests are still allowed after EOF (e.g. signal).
        try pair.client.sendRequest(.signal(name: "INT"), wantReply: false, on: c)
        try pair.pump()
        #expect(pair.serverEvents == [.eof(s), .requestReceived(s, .signal(name: "INT"), wantReply: false)])
        let opening = try pair.client.openSession()
        #expect(throws: ConnectionError(.invalidState, "")) { try pair.client.sendData(buffer("x"), on: opening) }
        #expect(throws: ConnectionError(.invalidState, "")) { try pair.client.sendRequest(.shell, wantReply: true, on: opening) }
    }

    @Test func unassignedConnectionNumbersAskForUnimplemented() throws {
        var client = ChannelMultiplexer(configuration: .client)
        try client.receive(payload: buffer([101, 1, 2, 3]))
        try client.receive(payload: buffer([127]))
        #expect(client.nextEvent() == .unrecognizedMessage(number: 101))
        #expect(client.nextEvent() == .unrecognizedMessage(number: 127))
        #expect(throws: ConnectionError(.unexpectedMessage, "")) { try client.receive(payload: buffer([2, 0, 0, 0, 0])) }
    }

    @Test func outboundPayloadsKeepHeadroomAndTailroomForTheTransport() throws {
        var config = ChannelMultiplexer.Configuration.client
        config.payloadHeadroom = 5
        config.payloadTailroom = 64
        var client = ChannelMultiplexer(configuration: config)
        _ = try client.openSession()
        try client.receive(payload: payload(.channelOpenConfirmation(.init(recipientChannel: 0, senderChannel: 9, initialWindowSize: 1 << 20, maximumPacketSize: 1 << 15))))
        try client.sendData(buffer([UInt8](repeating: 0x5A, count: 1000)), on: ChannelID(0))
        var count = 0
        while let out = client.nextOutboundPayload() {
            #expect(out.readerIndex == 5)
            #expect(out.capacity - out.writerIndex >= 64)
            _ = try ConnectionMessage.decode(out)
            count += 1
        }
        #expect(count == 2)
    }

    /// Data queued as a slice of the sender's buffer comes out of
    /// `nextOutbound()` as the same bytes `nextOutboundPayload()` encodes:
    /// CHANNEL_DATA, CHANNEL_EXTENDED_DATA and a control message, in order.
    @Test func outboundDataWrittenInPlaceMatchesItsEncoding() throws {
        func queued() throws -> ChannelMultiplexer {
            var client = ChannelMultiplexer(configuration: .client)
            _ = try client.openSession()
            try client.receive(payload: payload(.channelOpenConfirmation(.init(recipientChannel: 0, senderChannel: 9, initialWindowSize: 1 << 20, maximumPacketSize: 1 << 15))))
            let data = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            try client.sendData(buffer(data), on: ChannelID(0))
            _ = try client.sendExtendedData(buffer([1, 2, 3]), dataType: 1, on: ChannelID(0))
            try client.close(ChannelID(0))
            return client
        }
        var encoded = try queued()
        var inPlace = try queued()
        var expected: [[UInt8]] = []
        while let out = encoded.nextOutboundPayload() { expected.append(Array(out.readableBytesView)) }
        var written: [[UInt8]] = []
        while let out = inPlace.nextOutbound() {
            var packet = ByteBuffer(bytes: [0xEE])  // what the framer wrote before the payload stays
            out.write(into: &packet)
            #expect(packet.readInteger(as: UInt8.self) == 0xEE)
            #expect(packet.readableBytes == out.length)
            written.append(Array(packet.readableBytesView))
            // The head and the trailing data, as the transport sends them.
            var split = ByteBuffer()
            out.writeHead(into: &split)
            if let data = out.trailingData { split.writeImmutableBuffer(data) }
            #expect(split.readableBytesView.elementsEqual(packet.readableBytesView))
        }
        // OPEN, two CHANNEL_DATA (32 KiB packets), one EXTENDED_DATA, CLOSE.
        #expect(written == expected)
        #expect(expected.map { $0.first } == [90, 94, 94, 95, 97])
    }

    @Test func receivedDataEventIsASliceOfThePayload() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        _ = c
        try pair.server.sendData(buffer([UInt8](repeating: 3, count: 4096)), on: s)
        guard let out = pair.server.nextOutboundPayload() else { throw TestFailure("nothing sent") }
        try pair.client.receive(payload: out)
        guard case .data(_, let data)? = pair.client.nextEvent() else { throw TestFailure("no data event") }
        let payloadBase = out.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let dataBase = data.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(dataBase == payloadBase + 9)
        #expect(data.readableBytes == 4096)
    }
}
