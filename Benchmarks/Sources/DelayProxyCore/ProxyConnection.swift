import NIOCore
import NIOPosix

/// ProxyConnection joins one accepted client socket to a new socket to the
/// target: two `SideHandler`s and the two `Direction`s between them.
///
/// Lives on the client channel's event loop; the target socket is opened on
/// the same loop, so nothing here needs a lock. When both directions have
/// forwarded EOF, NIO closes each socket (a half-close after EOF on input
/// becomes a full close), so nothing here has to.
final class ProxyConnection {
    private let statistics: DelayProxyStatistics
    private var clientOpen = true
    private var targetOpen = false
    private var targetPending = true
    private var closeReported = false

    private init(statistics: DelayProxyStatistics) {
        self.statistics = statistics
    }

    /// Installs the proxy on a freshly accepted `client` channel (which must
    /// have auto-read off) and connects to the target. Reading starts once
    /// both sockets are up. Must run on `client.eventLoop`.
    static func start(
        client: Channel,
        configuration: DelayProxyConfiguration,
        statistics: DelayProxyStatistics
    ) throws {
        let loop = client.eventLoop
        let capacity = configuration.effectiveBufferCapacity
        func line() -> DelayLine {
            DelayLine(delay: configuration.delay, rate: configuration.makeTokenBucket(), capacity: capacity)
        }
        let toTarget = Direction(line: line(), eventLoop: loop, statistics: statistics)
        let toClient = Direction(line: line(), eventLoop: loop, statistics: statistics)
        let clientSide = SideHandler(incoming: toTarget, outgoing: toClient)
        let targetSide = SideHandler(incoming: toClient, outgoing: toTarget)
        toTarget.source = clientSide
        toClient.destination = clientSide

        let connection = ProxyConnection(statistics: statistics)
        statistics.connectionOpened()
        clientSide.onInactive = {
            connection.clientOpen = false
            connection.reportIfClosed()
        }
        targetSide.onInactive = {
            connection.targetOpen = false
            connection.reportIfClosed()
        }
        try client.pipeline.syncOperations.addHandler(clientSide)

        ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.autoRead, value: false)
            .connect(host: configuration.targetHost, port: configuration.targetPort)
            .assumeIsolated()
            .whenComplete { result in
                connection.targetPending = false
                switch result {
                case .success(let target):
                    connection.targetOpen = true
                    do {
                        try target.pipeline.syncOperations.addHandler(targetSide)
                        toClient.source = targetSide
                        toTarget.destination = targetSide
                        try target.syncOptions?.setOption(.autoRead, value: true)
                        try client.syncOptions?.setOption(.autoRead, value: true)
                        // The client may have sent bytes or gone away already.
                        toTarget.pump()
                    } catch {
                        target.close(promise: nil)
                        client.close(promise: nil)
                    }
                case .failure:
                    client.close(promise: nil)
                    connection.reportIfClosed()
                }
            }
    }

    private func reportIfClosed() {
        guard !closeReported, !clientOpen, !targetOpen, !targetPending else { return }
        closeReported = true
        statistics.connectionClosed()
    }
}
