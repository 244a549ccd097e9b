import NIOCore

/// SideHandler is the proxy's handler on one socket of a connection (the
/// accepted client socket, or the socket to the target). Reads go into
/// `incoming`; `outgoing` writes through it. It withholds `read()` while
/// `incoming` is over its capacity: that is the backpressure on the peer.
final class SideHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var inactive = false

    /// The direction this side's reads feed.
    let incoming: Direction
    /// The direction that writes to this side.
    let outgoing: Direction
    /// Called once when the socket is closed.
    var onInactive: (() -> Void)?

    init(incoming: Direction, outgoing: Direction) {
        self.incoming = incoming
        self.outgoing = outgoing
    }

    // MARK: Used by Direction

    var isActive: Bool { context != nil && !inactive }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    /// Forwards the source's end once every byte written before it has reached
    /// the socket: `.halfClose` shuts the output down (EOF), keeping the input
    /// open; `.close` closes the socket. (Closing at once would drop writes NIO
    /// still holds, and NIO turns a half-close into a full close when the
    /// input has already seen EOF.)
    func finish(_ end: DelayLine.End) {
        guard let context else { return }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { [weak self] _ in
            guard let context = self?.context else { return }
            switch end {
            case .halfClose:
                context.close(mode: .output, promise: nil)
            case .close:
                context.close(promise: nil)
            }
        }
    }

    /// Passes on a withheld `read()` once `incoming` has room again.
    func resumeReading() {
        guard pendingRead, let context, !incoming.shouldPauseReading else { return }
        pendingRead = false
        context.read()
    }

    // MARK: ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        incoming.receive(unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            incoming.receiveEnd(.halfClose)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        outgoing.pump()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard !inactive else { return }
        inactive = true
        incoming.receiveEnd(.close)
        outgoing.destinationGone()
        onInactive?()
        onInactive = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if incoming.shouldPauseReading {
            pendingRead = true
        } else {
            context.read()
        }
    }
}
