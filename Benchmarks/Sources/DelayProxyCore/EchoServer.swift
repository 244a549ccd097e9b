import NIOCore
import NIOPosix

/// EchoServer writes back whatever each connection sends (with NIO's
/// backpressure handler, so a slow reader slows the writer), and half-closes
/// when its peer does. Used as the proxy's target in the self-test and tests.
public final class EchoServer: Sendable {
    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let channel: Channel

    private init(port: Int, channel: Channel) {
        self.port = port
        self.channel = channel
    }

    /// Starts an echo server on 127.0.0.1 with an ephemeral port.
    public static func start(group: EventLoopGroup) throws -> EchoServer {
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandlers(BackPressureHandler(), EchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .wait()
        guard let port = channel.localAddress?.port else {
            throw DelayProxyError(message: "echo server: no local port")
        }
        return EchoServer(port: port, channel: channel)
    }

    /// Stops accepting.
    public func close() throws {
        try channel.close().wait()
    }
}

/// EchoHandler echoes bytes and answers EOF with EOF.
private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else { return }
        // Half-closing right away would drop writes NIO still holds (its input saw EOF).
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
