import NIOCore

/// ChannelState is everything the multiplexer knows about one live channel:
/// where it is in its life, both halves of flow control, and the requests
/// waiting for replies in each direction.
///
/// A channel is released (removed from the multiplexer) when CLOSE has gone
/// both ways, or when its open fails or is rejected.
struct ChannelState: Sendable {
    /// Where the channel is in its life.
    enum Phase: Sendable, Equatable {
        /// We sent CHANNEL_OPEN and wait for the peer's answer; the peer's number is not known yet.
        case opening
        /// The peer sent CHANNEL_OPEN and the owner has not accepted or rejected it yet.
        case awaitingAccept
        /// Both sides know each other's number; data and requests may flow.
        case open
    }

    /// Our number for the channel.
    let id: ChannelID
    /// Where the channel is in its life.
    var phase: Phase
    /// The peer's number for the channel (valid unless `phase == .opening`).
    var remoteID: UInt32
    /// The channel type, for messages.
    let typeName: String
    /// Our receive window.
    var receiveWindow: ReceiveWindow
    /// The peer's window and what waits for it.
    var sendWindow: SendWindow

    /// The owner called sendEOF: no more data is accepted from it.
    var eofRequested = false
    /// CHANNEL_EOF is on the wire.
    var sentEOF = false
    /// The owner called close: only `.closed` is reported from now on.
    var closeRequested = false
    /// CHANNEL_CLOSE is on the wire.
    var sentClose = false
    /// The peer sent CHANNEL_EOF.
    var receivedEOF = false

    /// Names of our requests that wanted a reply, oldest first (replies come in order, RFC 4254 §5.4).
    var awaitingReplies = CircularBuffer<String>(initialCapacity: 2)
    /// Replies we owe the peer, oldest first: true/false once decided, nil
    /// while the owner decides. Sent strictly in order, so a request the
    /// multiplexer refuses at once never overtakes one the owner is deciding.
    var owedReplies = CircularBuffer<Bool?>(initialCapacity: 2)

    init(id: ChannelID, phase: Phase, remoteID: UInt32, typeName: String, receiveWindow: ReceiveWindow, sendWindow: SendWindow) {
        self.id = id
        self.phase = phase
        self.remoteID = remoteID
        self.typeName = typeName
        self.receiveWindow = receiveWindow
        self.sendWindow = sendWindow
    }

    /// Whether the owner may still send data, EOF or requests.
    var acceptsOwnerData: Bool { phase == .open && !eofRequested && !closeRequested }

    /// Whether events other than `.closed` still reach the owner.
    var reportsEvents: Bool { !closeRequested && !sentClose }

    /// Bytes the owner may send now without queueing.
    var writableBytes: Int { acceptsOwnerData ? sendWindow.writableBytes : 0 }

    /// Sends what the peer's window allows and records EOF/CLOSE going out.
    mutating func flush(into outbound: inout OutboundPayloads) {
        guard phase == .open, !sentClose else { return }
        let result = sendWindow.flush(recipient: remoteID, into: &outbound)
        if result.sentEOF { sentEOF = true }
        if result.sentClose { sentClose = true }
    }

    /// Sends CLOSE now, dropping anything still waiting for window.
    mutating func closeNow(into outbound: inout OutboundPayloads) {
        guard !sentClose else { return }
        sendWindow.discardAll()
        outbound.append(.channelClose(recipientChannel: remoteID))
        sentClose = true
    }

    /// Sends the decided replies at the head of `owedReplies`.
    mutating func flushReplies(into outbound: inout OutboundPayloads) {
        while let first = owedReplies.first, let success = first {
            owedReplies.removeFirst()
            if sentClose { continue }
            outbound.append(success ? .channelSuccess(recipientChannel: remoteID) : .channelFailure(recipientChannel: remoteID))
        }
    }
}
