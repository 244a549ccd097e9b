import NIOCore
import NIOPosix

/// DelayProxy is a TCP forwarder that listens on loopback and forwards each
/// connection to a target, adding a one-way delay (and optionally a rate cap)
/// to each direction. See `DelayLine` for the rules each direction follows.
public final class DelayProxy: Sendable {
    /// What the proxy was started with.
    public let configuration: DelayProxyConfiguration
    /// The port actually listened on (the chosen one when 0 was asked for).
    public let localPort: Int
    /// Counters across all connections.
    public let statistics: DelayProxyStatistics
    private let serverChannel: Channel

    private init(
        configuration: DelayProxyConfiguration,
        localPort: Int,
        statistics: DelayProxyStatistics,
        serverChannel: Channel
    ) {
        self.configuration = configuration
        self.localPort = localPort
        self.statistics = statistics
        self.serverChannel = serverChannel
    }

    /// Binds the listening socket and starts accepting.
    public static func start(
        configuration: DelayProxyConfiguration,
        group: EventLoopGroup
    ) async throws -> DelayProxy {
        try await bind(configuration: configuration, group: group).get()
    }

    /// Binds the listening socket and starts accepting (future-based, for
    /// callers that block on `wait()`).
    public static func bind(
        configuration: DelayProxyConfiguration,
        group: EventLoopGroup
    ) -> EventLoopFuture<DelayProxy> {
        let statistics = DelayProxyStatistics()
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try ProxyConnection.start(
                        client: child,
                        configuration: configuration,
                        statistics: statistics
                    )
                }
            }
            .bind(host: configuration.listenHost, port: configuration.listenPort)
            .flatMapThrowing { channel in
                guard let port = channel.localAddress?.port else {
                    channel.close(promise: nil)
                    throw DelayProxyError(message: "could not read the listening port")
                }
                return DelayProxy(
                    configuration: configuration,
                    localPort: port,
                    statistics: statistics,
                    serverChannel: channel
                )
            }
    }

    /// Stops accepting. Connections already open run until their peers close
    /// them or the event loop group is shut down.
    public func close() async throws {
        try await serverChannel.close()
    }

    /// Stops accepting (future-based).
    public func stop() -> EventLoopFuture<Void> {
        serverChannel.close()
    }
}

/// DelayProxyError is a failure to start or run the proxy, with a message for a person.
public struct DelayProxyError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do.
    public var message: String
    /// Creates an error with a message.
    public init(message: String) { self.message = message }
    public var description: String { message }
}
