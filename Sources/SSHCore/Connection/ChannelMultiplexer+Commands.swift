import NIOCore

extension ChannelMultiplexer {
    // MARK: Opening channels

    /// Opens a "session" channel (for exec, shell or a subsystem such as sftp).
    /// The channel is usable after `.opened`; `.openFailed` if refused.
    public mutating func openSession(receiveWindow: UInt32? = nil) throws -> ChannelID {
        try openChannel(.session, receiveWindow: receiveWindow)
    }

    /// Opens a "direct-tcpip" channel: the peer connects to host:port and
    /// relays it (ProxyJump, -L). The originator is the address and port of
    /// whoever connected to us ("127.0.0.1", 0 when there is none, as
    /// OpenSSH's -W does).
    public mutating func openDirectTCPIP(host: String, port: UInt32, originatorAddress: String, originatorPort: UInt32) throws -> ChannelID {
        try openChannel(.directTCPIP(host: host, port: port, originatorAddress: originatorAddress, originatorPort: originatorPort))
    }

    /// Opens a channel of any type, advertising our initial window and maximum packet size.
    /// `receiveWindow` replaces the configured initial window for this channel
    /// (capped at the maximum): a consumer that knows how much it will have in
    /// flight (SFTP's outstanding reads) grants it from the start rather than
    /// waiting for the window to grow over several round trips.
    public mutating func openChannel(_ type: ChannelOpenType, receiveWindow: UInt32? = nil) throws -> ChannelID {
        guard channels.count < configuration.maximumChannels else {
            throw ConnectionError(.tooManyChannels, "cannot open a \(type.name) channel: \(configuration.maximumChannels) channels are already open")
        }
        let number = allocateLocalID()
        let id = ChannelID(number)
        let window = min(receiveWindow ?? configuration.initialReceiveWindow, configuration.maximumReceiveWindow)
        channels[number] = ChannelState(
            id: id, phase: .opening, remoteID: 0, typeName: type.name,
            receiveWindow: ReceiveWindow(initialSize: window, maximumSize: configuration.maximumReceiveWindow),
            sendWindow: SendWindow(initialWindow: 0, peerMaximumPacket: 0, localMaximumChunk: 0))
        outbound.append(.channelOpen(.init(
            type: type, senderChannel: number,
            initialWindowSize: window, maximumPacketSize: configuration.maximumPacketSize)))
        return id
    }

    /// Accepts a channel the peer asked for in `.openRequested`.
    public mutating func acceptChannel(_ channel: ChannelID) throws {
        let index = try ownerChannelIndex(channel)
        guard channels.values[index].phase == .awaitingAccept else {
            throw ConnectionError(.invalidState, "\(channel) is not awaiting acceptance")
        }
        channels.values[index].phase = .open
        outbound.append(.channelOpenConfirmation(.init(
            recipientChannel: channels.values[index].remoteID, senderChannel: channel.rawValue,
            initialWindowSize: configuration.initialReceiveWindow, maximumPacketSize: configuration.maximumPacketSize)))
    }

    /// Refuses a channel the peer asked for in `.openRequested`; it is released at once.
    public mutating func rejectChannel(_ channel: ChannelID, reason: ChannelOpenFailureReason, description: String) throws {
        let index = try ownerChannelIndex(channel)
        guard channels.values[index].phase == .awaitingAccept else {
            throw ConnectionError(.invalidState, "\(channel) is not awaiting acceptance")
        }
        let remote = channels.values[index].remoteID
        channels.remove(at: index)
        outbound.append(.channelOpenFailure(.init(recipientChannel: remote, reason: reason, description: description)))
    }

    // MARK: Requests

    /// Sends a channel request (exec, subsystem, env, exit-status…). With
    /// `wantReply`, the peer's answer arrives as `.requestSucceeded` or
    /// `.requestFailed`, in the order the requests were sent. The request
    /// goes out after any data still waiting for window.
    public mutating func sendRequest(_ request: ChannelRequestType, wantReply: Bool, on channel: ChannelID) throws {
        let index = try ownerChannelIndex(channel)
        guard channels.values[index].phase == .open, !channels.values[index].closeRequested else {
            throw ConnectionError(.invalidState, "cannot send \(request.name) on \(channel): it is not open")
        }
        if wantReply {
            guard channels.values[index].awaitingReplies.count < configuration.maximumPendingRequests else {
                throw ConnectionError(.tooManyPendingRequests, "cannot send \(request.name) on \(channel): \(configuration.maximumPendingRequests) requests already await a reply")
            }
            channels.values[index].awaitingReplies.append(request.name)
        }
        let message = ConnectionMessage.channelRequest(.init(
            recipientChannel: channels.values[index].remoteID, type: request, wantReply: wantReply))
        channels.values[index].sendWindow.enqueue(.control(message))
        channels.values[index].flush(into: &outbound)
    }

    /// Answers the oldest request reported with `.requestReceived(…, wantReply: true)`
    /// that is still unanswered. Replies go out in the order the requests came.
    public mutating func replyToRequest(on channel: ChannelID, success: Bool) throws {
        let index = try ownerChannelIndex(channel)
        guard let slot = channels.values[index].owedReplies.firstIndex(where: { $0 == nil }) else {
            throw ConnectionError(.invalidState, "no request on \(channel) is waiting for the owner's reply")
        }
        channels.values[index].owedReplies[slot] = success
        channels.values[index].flushReplies(into: &outbound)
    }

    /// Sends a global request. With `wantReply`, the answer arrives as
    /// `.globalRequestAnswered`, matched to requests in the order sent.
    public mutating func sendGlobalRequest(_ request: GlobalRequestType, wantReply: Bool) throws {
        if wantReply {
            guard awaitingGlobalReplies.count < configuration.maximumPendingRequests else {
                throw ConnectionError(.tooManyPendingRequests, "cannot send global request \(request.name): \(configuration.maximumPendingRequests) already await a reply")
            }
            awaitingGlobalReplies.append(request.name)
        }
        outbound.append(.globalRequest(.init(type: request, wantReply: wantReply)))
    }

    /// Sends keepalive@openssh.com wanting a reply (ServerAliveInterval).
    /// Any answer, success or failure, proves the peer alive; count
    /// `pendingGlobalRequestCount` against ServerAliveCountMax.
    public mutating func sendKeepalive() throws {
        try sendGlobalRequest(.keepalive, wantReply: true)
    }

    // MARK: Data

    /// Sends channel data, split into packets no larger than the peer's
    /// maximum packet. What the peer's window does not allow now is queued
    /// (without copying `data`) and sent as WINDOW_ADJUSTs arrive.
    ///
    /// Returns `writableBytes(on:)` after the call: when it is 0, a producer
    /// should wait for `.windowAvailable` before sending more.
    @discardableResult
    public mutating func sendData(_ data: ByteBuffer, on channel: ChannelID) throws -> Int {
        try send(data, extendedType: nil, on: channel)
    }

    /// Sends extended data of `dataType` (1 = stderr, SSH_EXTENDED_DATA_STDERR);
    /// it shares the window and the queue with ordinary data.
    @discardableResult
    public mutating func sendExtendedData(_ data: ByteBuffer, dataType: UInt32 = 1, on channel: ChannelID) throws -> Int {
        try send(data, extendedType: dataType, on: channel)
    }

    private mutating func send(_ data: ByteBuffer, extendedType: UInt32?, on channel: ChannelID) throws -> Int {
        let index = try ownerChannelIndex(channel)
        guard channels.values[index].acceptsOwnerData else {
            throw ConnectionError(.invalidState, "cannot send data on \(channel): it is not open, or EOF or close was already sent")
        }
        if data.readableBytes > 0 {
            channels.values[index].sendWindow.enqueue(.data(data, extendedType: extendedType))
            channels.values[index].flush(into: &outbound)
        }
        return channels.values[index].writableBytes
    }

    /// Reports that the owner has processed `byteCount` bytes of `.data` /
    /// `.extendedData` on the channel. This is what reopens the peer's
    /// window: a WINDOW_ADJUST goes out once half the window is consumed.
    /// Counts for unknown or closing channels are ignored.
    public mutating func consumed(_ byteCount: Int, on channel: ChannelID) {
        guard let index = channels.index(forKey: channel.rawValue), channels.values[index].phase == .open else { return }
        let mayAdjust = !channels.values[index].receivedEOF && !channels.values[index].closeRequested
            && !channels.values[index].sentClose
        if let grant = channels.values[index].receiveWindow.consume(byteCount, mayAdjust: mayAdjust) {
            outbound.append(.channelWindowAdjust(recipientChannel: channels.values[index].remoteID, bytesToAdd: grant))
        }
    }

    // MARK: EOF and close

    /// Sends EOF after any data still waiting for window: we send no more
    /// data, but still receive. Repeating it does nothing.
    public mutating func sendEOF(on channel: ChannelID) throws {
        let index = try ownerChannelIndex(channel)
        guard channels.values[index].phase == .open else {
            throw ConnectionError(.invalidState, "cannot send EOF on \(channel): it is not open")
        }
        guard !channels.values[index].eofRequested, !channels.values[index].closeRequested else { return }
        channels.values[index].eofRequested = true
        channels.values[index].sendWindow.enqueue(.control(.channelEOF(recipientChannel: channels.values[index].remoteID)))
        channels.values[index].flush(into: &outbound)
    }

    /// Closes the channel. CLOSE goes out after data still waiting for
    /// window, unless `discardingQueuedData`; the channel is released, with
    /// `.closed`, when the peer's CLOSE arrives. From now on received data is
    /// dropped and no event but `.closed` is reported for the channel.
    ///
    /// A channel still opening is closed as soon as the peer confirms it
    /// (or released if the peer refuses). A channel the peer asked for and
    /// the owner has not accepted is rejected. Repeating it does nothing.
    public mutating func close(_ channel: ChannelID, discardingQueuedData: Bool = false) throws {
        let index = try ownerChannelIndex(channel)
        switch channels.values[index].phase {
        case .awaitingAccept:
            try rejectChannel(channel, reason: .administrativelyProhibited, description: "closed")
            return
        case .opening:
            channels.values[index].closeRequested = true
            return
        case .open:
            break
        }
        guard !channels.values[index].closeRequested else { return }
        channels.values[index].closeRequested = true
        // Data the owner still holds will never be reported consumed.
        _ = channels.values[index].receiveWindow.consume(Int.max, mayAdjust: false)
        if discardingQueuedData {
            channels.values[index].closeNow(into: &outbound)
        } else {
            channels.values[index].sendWindow.enqueue(.control(.channelClose(recipientChannel: channels.values[index].remoteID)))
            channels.values[index].flush(into: &outbound)
        }
    }

    // MARK: Helpers

    /// Finds a live channel named by the owner, or throws `.unknownChannel`.
    private func ownerChannelIndex(_ channel: ChannelID) throws -> Dictionary<UInt32, ChannelState>.Index {
        guard let index = channels.index(forKey: channel.rawValue) else {
            throw ConnectionError(.unknownChannel, "\(channel) does not exist or is already closed")
        }
        return index
    }
}
