extension ChannelMultiplexer {
    /// Which end of the connection the multiplexer serves. RFC 4254 is
    /// symmetric in channels, data and flow control; the role only decides
    /// which channel requests are surfaced to the owner and the default
    /// policy for channels the peer opens.
    public enum Role: Sendable, Equatable {
        /// We authenticated to the peer: exit-status/exit-signal are reported, session requests refused.
        case client
        /// The peer authenticated to us: session requests (exec, subsystem, env, pty-req…) are reported for the owner to answer.
        case server
    }

    /// What to do with CHANNEL_OPEN from the peer.
    public enum IncomingChannelPolicy: Sendable, Equatable {
        /// Refuse every one with SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed" — what OpenSSH's client does with forwarding off.
        case rejectAll
        /// Report each as `.openRequested` for the owner to accept or reject.
        case askOwner
    }

    /// Configuration holds the limits and sizes of one multiplexer. The
    /// defaults suit a file-transfer client against OpenSSH.
    public struct Configuration: Sendable {
        /// Which end of the connection this is.
        public var role: Role
        /// What to do with channels the peer opens.
        public var incomingChannelPolicy: IncomingChannelPolicy
        /// Window granted to the peer when a channel opens: 2 MiB, as OpenSSH
        /// (64 × 32 KiB). Big enough for a LAN without growth.
        public var initialReceiveWindow: UInt32
        /// Largest window a channel grows to when its consumer keeps up:
        /// 64 MiB covers ~500 Mbit/s at 1 s RTT. Set equal to
        /// `initialReceiveWindow` to disable growth.
        public var maximumReceiveWindow: UInt32
        /// The "maximum packet size" we advertise: the most data bytes the
        /// peer may put in one CHANNEL_DATA/EXTENDED_DATA. 256 KiB lets
        /// servers send big packets (fewer MACs and syscalls per byte). The
        /// transport must then accept payloads of
        /// `requiredTransportPayloadSize` bytes — a little over 256 KiB, so
        /// its packet limit must sit above OpenSSH's PACKET_MAX_SIZE.
        public var maximumPacketSize: UInt32
        /// The most data bytes we put in one packet, whatever the peer
        /// advertises (we send min(this, peer's maximum packet)). 255 KiB
        /// keeps packet_length (payload + padding) under 256 KiB, the limit
        /// OpenSSH enforces on what it receives (PACKET_MAX_SIZE).
        public var maximumSendChunk: UInt32
        /// Most channels alive at once (ours and the peer's). The peer's
        /// opens beyond it get SSH_OPEN_RESOURCE_SHORTAGE.
        public var maximumChannels: Int
        /// Most requests awaiting a reply: per channel for channel requests,
        /// per connection for global requests, in each direction.
        public var maximumPendingRequests: Int
        /// Bytes reserved in front of each outbound payload for the transport's packet header (see `nextOutboundPayload()`).
        public var payloadHeadroom: Int
        /// Spare capacity after each outbound payload for padding and MAC.
        public var payloadTailroom: Int

        /// Configuration with explicit values; see the properties for what they mean.
        public init(
            role: Role,
            incomingChannelPolicy: IncomingChannelPolicy? = nil,
            initialReceiveWindow: UInt32 = 2 * 1024 * 1024,
            maximumReceiveWindow: UInt32 = 64 * 1024 * 1024,
            maximumPacketSize: UInt32 = 256 * 1024,
            maximumSendChunk: UInt32 = 255 * 1024,
            maximumChannels: Int = 256,
            maximumPendingRequests: Int = 64,
            payloadHeadroom: Int = 0,
            payloadTailroom: Int = 0
        ) {
            self.role = role
            self.incomingChannelPolicy = incomingChannelPolicy ?? (role == .client ? .rejectAll : .askOwner)
            self.initialReceiveWindow = initialReceiveWindow
            self.maximumReceiveWindow = maximumReceiveWindow
            self.maximumPacketSize = maximumPacketSize
            self.maximumSendChunk = maximumSendChunk
            self.maximumChannels = maximumChannels
            self.maximumPendingRequests = maximumPendingRequests
            self.payloadHeadroom = payloadHeadroom
            self.payloadTailroom = payloadTailroom
        }

        /// Client defaults: reject every channel the server opens.
        public static var client: Configuration { Configuration(role: .client) }

        /// Server defaults: ask the owner about every channel the client opens.
        public static var server: Configuration { Configuration(role: .server) }

        /// The largest payload the transport must accept from the peer for
        /// channel traffic: `maximumPacketSize` data bytes plus the 13-byte
        /// CHANNEL_EXTENDED_DATA header (byte, uint32 × 3). The packet around
        /// it adds 4 (length) + 1 (padding length) + up to 255 padding + MAC.
        public var requiredTransportPayloadSize: Int { Int(maximumPacketSize) + 13 }
    }
}
