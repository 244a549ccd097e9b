import NIOCore

extension ChannelMultiplexer {
    /// Event is something the owner of a `ChannelMultiplexer` must learn about:
    /// produced by `receive(payload:)` and drained in order with `nextEvent()`.
    /// (Nested because NIOCore already has a top-level `ChannelEvent`.)
    ///
    /// Values are small and hold no copies of packet data: `.data` and
    /// `.extendedData` carry slices of the payload passed to `receive`. The
    /// owner reports processed data bytes with `consumed(_:on:)`; that, not the
    /// event, is what reopens the peer's window.
    ///
    /// After the owner calls `close(_:)` on a channel, the only event it will
    /// see for that channel is `.closed`.
    public enum Event: Sendable, Equatable {
        /// Our CHANNEL_OPEN was confirmed: the peer lets us send `peerWindow` bytes, at most `peerMaximumPacket` data bytes per packet.
        case opened(ChannelID, peerWindow: UInt32, peerMaximumPacket: UInt32)
        /// Our CHANNEL_OPEN was refused; the channel is released. `description` is peer text: sanitize before display.
        case openFailed(ChannelID, reason: ChannelOpenFailureReason, description: String)
        /// The peer wants a channel (policy `.askOwner` only); answer with `acceptChannel(_:)` or `rejectChannel(_:reason:description:)`.
        case openRequested(ChannelID, type: ChannelOpenType, peerWindow: UInt32, peerMaximumPacket: UInt32)
        /// CHANNEL_DATA: a slice of the received payload; report it with `consumed(_:on:)` once processed.
        case data(ChannelID, ByteBuffer)
        /// CHANNEL_EXTENDED_DATA of `dataType` (1 = stderr): a slice of the received payload; report it with `consumed(_:on:)`.
        case extendedData(ChannelID, dataType: UInt32, ByteBuffer)
        /// The peer will send no more data on the channel.
        case eof(ChannelID)
        /// CLOSE went both ways: the channel is released and its number may be reused.
        case closed(ChannelID)
        /// "exit-status": the remote command exited with this status (client role).
        case exitStatus(ChannelID, UInt32)
        /// "exit-signal": the remote command died of a signal (client role).
        case exitSignal(ChannelID, ExitSignal)
        /// A session request for the owner to act on (server role); when `wantReply`, answer with `replyToRequest(on:success:)`.
        case requestReceived(ChannelID, ChannelRequestType, wantReply: Bool)
        /// The peer said CHANNEL_SUCCESS to our oldest request on the channel that wanted a reply.
        case requestSucceeded(ChannelID, request: String)
        /// The peer said CHANNEL_FAILURE to our oldest request on the channel that wanted a reply.
        case requestFailed(ChannelID, request: String)
        /// A WINDOW_ADJUST let more bytes out: the owner may now send `writableBytes` without queueing.
        case windowAvailable(ChannelID, writableBytes: Int)
        /// The peer answered our oldest global request that wanted a reply; `data` is the response-specific data of REQUEST_SUCCESS.
        case globalRequestAnswered(name: String, success: Bool, data: ByteBuffer)
        /// A message number in 80–127 that RFC 4254 does not assign: the owner must send SSH_MSG_UNIMPLEMENTED with the packet's sequence number (RFC 4253 §11.4).
        case unrecognizedMessage(number: UInt8)
    }
}
