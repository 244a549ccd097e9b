/// ChannelID names one channel by the number *this* side allocated for it
/// (the "sender channel" we put in CHANNEL_OPEN or OPEN_CONFIRMATION, and the
/// "recipient channel" the peer puts in every message about it).
///
/// The peer's own number for the channel never leaves the multiplexer: the
/// owner always speaks in local numbers, so a hostile peer cannot make the
/// owner confuse two channels by reusing its numbers.
@_spi(Internals) public struct ChannelID: Hashable, Sendable, CustomStringConvertible {
    /// The local channel number as it appears on the wire.
    public let rawValue: UInt32

    /// Wraps a local channel number; the multiplexer hands these out, tests build them.
    public init(_ rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public var description: String { "channel \(rawValue)" }
}
