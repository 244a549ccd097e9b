import NIOCore

extension ChannelMultiplexer {
    /// Decodes one payload from the peer (message number 80–127, first byte)
    /// and applies it: queues zero or more events (drain with `nextEvent()`)
    /// and may queue payloads to send (drain with `nextOutboundPayload()`).
    ///
    /// Data events hold slices of `payload`; nothing is copied.
    ///
    /// Throws `ConnectionError` when the peer broke the protocol; the
    /// multiplexer may then be in any state and the owner must disconnect.
    public mutating func receive(payload: ByteBuffer) throws {
        guard let number = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else {
            throw ConnectionError(.malformedMessage, "empty connection-protocol payload")
        }
        guard ConnectionMessage.isKnown(number) else {
            if MessageNumber.connectionRange.contains(number) {
                events.append(.unrecognizedMessage(number: number))
                return
            }
            throw ConnectionError(.unexpectedMessage, "message number \(number) is not part of the connection protocol")
        }
        switch try ConnectionMessage.decode(payload) {
        case .channelData(let recipient, let data):
            try receiveData(recipient, extendedType: nil, data, .channelData)
        case .channelExtendedData(let recipient, let dataType, let data):
            try receiveData(recipient, extendedType: dataType, data, .channelExtendedData)
        case .channelWindowAdjust(let recipient, let bytesToAdd):
            try receiveWindowAdjust(recipient, bytesToAdd)
        case .channelEOF(let recipient):
            try receiveEOF(recipient)
        case .channelClose(let recipient):
            try receiveClose(recipient)
        case .channelRequest(let request):
            try receiveChannelRequest(request)
        case .channelSuccess(let recipient):
            try receiveChannelReply(recipient, success: true)
        case .channelFailure(let recipient):
            try receiveChannelReply(recipient, success: false)
        case .channelOpen(let open):
            receiveChannelOpen(open)
        case .channelOpenConfirmation(let confirmation):
            try receiveOpenConfirmation(confirmation)
        case .channelOpenFailure(let failure):
            try receiveOpenFailure(failure)
        case .globalRequest(let request):
            receiveGlobalRequest(request)
        case .requestSuccess(let data):
            try receiveGlobalReply(success: true, data: data)
        case .requestFailure:
            try receiveGlobalReply(success: false, data: ByteBuffer())
        }
    }

    // MARK: Data path

    /// CHANNEL_DATA / CHANNEL_EXTENDED_DATA: checked against EOF, our maximum
    /// packet and the window we granted, then handed over as a slice.
    private mutating func receiveData(_ recipient: UInt32, extendedType: UInt32?, _ data: ByteBuffer, _ message: MessageNumber) throws {
        let index = try openChannelIndex(recipient, message)
        let count = data.readableBytes
        if channels.values[index].receivedEOF {
            throw ConnectionError(.dataAfterEOF, "peer sent \(message) on channel \(recipient) after its EOF")
        }
        if count > Int(configuration.maximumPacketSize) {
            throw ConnectionError(.packetTooLarge, "peer sent \(count) bytes in one \(message) on channel \(recipient); we allow at most \(configuration.maximumPacketSize)")
        }
        let deliver = channels.values[index].reportsEvents
        guard channels.values[index].receiveWindow.accept(count, deliver: deliver) else {
            let remaining = channels.values[index].receiveWindow.remaining
            throw ConnectionError(.windowExceeded, "peer sent \(count) bytes on channel \(recipient) but its window had only \(remaining) left")
        }
        guard deliver, count > 0 else { return }
        let id = channels.values[index].id
        if let extendedType {
            events.append(.extendedData(id, dataType: extendedType, data))
        } else {
            events.append(.data(id, data))
        }
    }

    /// CHANNEL_WINDOW_ADJUST: grows the peer's window, sends what was waiting
    /// for it, and tells the owner how much more it may send.
    private mutating func receiveWindowAdjust(_ recipient: UInt32, _ bytesToAdd: UInt32) throws {
        let index = try openChannelIndex(recipient, .channelWindowAdjust)
        let before = channels.values[index].writableBytes
        guard channels.values[index].sendWindow.grow(by: bytesToAdd) else {
            throw ConnectionError(.windowOverflow, "peer's WINDOW_ADJUST of \(bytesToAdd) on channel \(recipient) would push our send window past 2^32-1 bytes")
        }
        channels.values[index].flush(into: &outbound)
        let after = channels.values[index].writableBytes
        if after > before, channels.values[index].reportsEvents {
            events.append(.windowAvailable(channels.values[index].id, writableBytes: after))
        }
    }

    // MARK: Channel lifecycle

    private mutating func receiveEOF(_ recipient: UInt32) throws {
        let index = try openChannelIndex(recipient, .channelEOF)
        if channels.values[index].receivedEOF {
            throw ConnectionError(.dataAfterEOF, "peer sent a second EOF on channel \(recipient)")
        }
        channels.values[index].receivedEOF = true
        if channels.values[index].reportsEvents {
            events.append(.eof(channels.values[index].id))
        }
    }

    /// CHANNEL_CLOSE: answered with our CLOSE at once if not sent yet
    /// (RFC 4254 §5.3 says we must; anything still waiting for window is
    /// dropped because the peer will not read it), then released.
    private mutating func receiveClose(_ recipient: UInt32) throws {
        let index = try openChannelIndex(recipient, .channelClose)
        channels.values[index].closeNow(into: &outbound)
        release(at: index)
    }

    /// CHANNEL_OPEN from the peer: refused by policy or when at the channel
    /// cap, otherwise reported for the owner to decide.
    private mutating func receiveChannelOpen(_ open: ConnectionMessage.ChannelOpen) {
        if channels.count >= configuration.maximumChannels {
            outbound.append(.channelOpenFailure(.init(
                recipientChannel: open.senderChannel, reason: .resourceShortage, description: "too many channels")))
            return
        }
        switch configuration.incomingChannelPolicy {
        case .rejectAll:
            outbound.append(.channelOpenFailure(.init(
                recipientChannel: open.senderChannel, reason: .administrativelyProhibited, description: "open failed")))
        case .askOwner:
            let number = allocateLocalID()
            let id = ChannelID(number)
            channels[number] = ChannelState(
                id: id, phase: .awaitingAccept, remoteID: open.senderChannel, typeName: open.type.name,
                receiveWindow: ReceiveWindow(
                    initialSize: configuration.initialReceiveWindow, maximumSize: configuration.maximumReceiveWindow),
                sendWindow: SendWindow(
                    initialWindow: open.initialWindowSize, peerMaximumPacket: open.maximumPacketSize,
                    localMaximumChunk: configuration.maximumSendChunk))
            events.append(.openRequested(
                id, type: open.type, peerWindow: open.initialWindowSize, peerMaximumPacket: open.maximumPacketSize))
        }
    }

    /// The pending open a reply names, or an error: a reply for a channel
    /// that is not opening is a protocol violation whatever state it is in.
    private func openingChannelIndex(_ number: UInt32, _ message: MessageNumber) throws -> Dictionary<UInt32, ChannelState>.Index {
        guard let index = channels.index(forKey: number), channels.values[index].phase == .opening else {
            throw ConnectionError(.unexpectedOpenReply, "peer sent \(message) for channel \(number), which has no open pending")
        }
        return index
    }

    private mutating func receiveOpenConfirmation(_ confirmation: ConnectionMessage.ChannelOpenConfirmation) throws {
        let index = try openingChannelIndex(confirmation.recipientChannel, .channelOpenConfirmation)
        channels.values[index].phase = .open
        channels.values[index].remoteID = confirmation.senderChannel
        channels.values[index].sendWindow = SendWindow(
            initialWindow: confirmation.initialWindowSize, peerMaximumPacket: confirmation.maximumPacketSize,
            localMaximumChunk: configuration.maximumSendChunk)
        if channels.values[index].closeRequested {
            // The owner gave up on the channel while it was opening.
            channels.values[index].closeNow(into: &outbound)
            return
        }
        events.append(.opened(
            channels.values[index].id,
            peerWindow: confirmation.initialWindowSize, peerMaximumPacket: confirmation.maximumPacketSize))
    }

    private mutating func receiveOpenFailure(_ failure: ConnectionMessage.ChannelOpenFailure) throws {
        let index = try openingChannelIndex(failure.recipientChannel, .channelOpenFailure)
        let id = channels.values[index].id
        let closeRequested = channels.values[index].closeRequested
        channels.remove(at: index)
        if closeRequested {
            events.append(.closed(id))
        } else {
            events.append(.openFailed(id, reason: failure.reason, description: failure.description))
        }
    }

    // MARK: Requests

    /// CHANNEL_REQUEST: reported if the role handles its type, refused at
    /// once otherwise; replies owed go out strictly in order.
    private mutating func receiveChannelRequest(_ request: ConnectionMessage.ChannelRequest) throws {
        let index = try openChannelIndex(request.recipientChannel, .channelRequest)
        // After our CLOSE, requests are neither reported nor answered (as OpenSSH).
        guard !channels.values[index].sentClose else { return }
        let id = channels.values[index].id
        let reports = channels.values[index].reportsEvents
        let decision: Bool?
        switch (configuration.role, request.type) {
        case (.client, .exitStatus(let status)):
            if reports { events.append(.exitStatus(id, status)) }
            decision = true
        case (.client, .exitSignal(let signal)):
            if reports { events.append(.exitSignal(id, signal)) }
            decision = true
        case (.server, .pseudoTerminal), (.server, .x11), (.server, .environment), (.server, .shell),
             (.server, .exec), (.server, .subsystem), (.server, .windowChange), (.server, .signal):
            if reports {
                events.append(.requestReceived(id, request.type, wantReply: request.wantReply))
                decision = nil
            } else {
                decision = false
            }
        default:
            // keepalive@openssh.com, eow@openssh.com and anything this role does not handle.
            decision = false
        }
        guard request.wantReply else { return }
        if channels.values[index].owedReplies.count >= configuration.maximumPendingRequests {
            throw ConnectionError(.requestBacklogExceeded, "peer has more than \(configuration.maximumPendingRequests) requests awaiting our reply on channel \(request.recipientChannel)")
        }
        channels.values[index].owedReplies.append(decision)
        channels.values[index].flushReplies(into: &outbound)
    }

    /// CHANNEL_SUCCESS / CHANNEL_FAILURE: matched to our oldest request on
    /// the channel that wanted a reply.
    private mutating func receiveChannelReply(_ recipient: UInt32, success: Bool) throws {
        let message: MessageNumber = success ? .channelSuccess : .channelFailure
        let index = try openChannelIndex(recipient, message)
        guard let name = channels.values[index].awaitingReplies.popFirst() else {
            // After our CLOSE a confused peer may still answer; nothing depends on it.
            if channels.values[index].sentClose { return }
            throw ConnectionError(.unexpectedReply, "peer sent \(message) on channel \(recipient) but no request is awaiting a reply")
        }
        guard channels.values[index].reportsEvents else { return }
        let id = channels.values[index].id
        events.append(success ? .requestSucceeded(id, request: name) : .requestFailed(id, request: name))
    }

    /// GLOBAL_REQUEST: we serve none. With want_reply we answer
    /// REQUEST_FAILURE (what OpenSSH's client does for keepalive@openssh.com
    /// and anything unknown); without, we ignore it — that covers
    /// hostkeys-00@openssh.com, which OpenSSH sends after authentication.
    private mutating func receiveGlobalRequest(_ request: ConnectionMessage.GlobalRequest) {
        if request.wantReply {
            outbound.append(.requestFailure)
        }
    }

    /// REQUEST_SUCCESS / REQUEST_FAILURE carry no request id: they answer our
    /// global requests that wanted a reply, oldest first (RFC 4254 §4).
    private mutating func receiveGlobalReply(success: Bool, data: ByteBuffer) throws {
        guard let name = awaitingGlobalReplies.popFirst() else {
            let message: MessageNumber = success ? .requestSuccess : .requestFailure
            throw ConnectionError(.unexpectedReply, "peer sent \(message) but no global request is awaiting a reply")
        }
        events.append(.globalRequestAnswered(name: name, success: success, data: data))
    }
}
