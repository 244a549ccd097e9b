import NIOCore
import NIOPosix
import Testing

import DelayProxyCore

/// DelayProxyTests run the proxy on loopback against an echo server (or a
/// receiver that never reads). Timing checks are one-sided: a delay is at
/// least what was configured; nothing asserts an upper bound on wall-clock.
@Suite(.serialized)
struct DelayProxyTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func withProxy<T>(
        delay: TimeAmount = .zero,
        rate: Double? = nil,
        capacity: Int? = nil,
        target: Int? = nil,
        _ body: (DelayProxy, Int) throws -> T
    ) throws -> T {
        let echo = try EchoServer.start(group: group)
        defer { try? echo.close() }
        let configuration = DelayProxyConfiguration(
            targetPort: target ?? echo.port,
            delay: delay,
            rateMegabitsPerSecond: rate,
            bufferCapacity: capacity
        )
        let proxy = try DelayProxy.bind(configuration: configuration, group: group).wait()
        defer { try? proxy.stop().wait() }
        return try body(proxy, echo.port)
    }

    @Test func roundTripsGainTwiceTheDelay() throws {
        let rtt = try withProxy(delay: .milliseconds(50)) { proxy, _ in
            try EchoProbe.pingPong(port: proxy.localPort, count: 5, warmup: 0)
        }
        #expect(rtt.sorted.count == 5)
        #expect(rtt.minimum >= TimeAmount.milliseconds(100).nanoseconds)
    }

    @Test func eofIsForwardedAfterTheDelay() throws {
        let elapsed = try withProxy(delay: .milliseconds(50)) { proxy, _ in
            let socket = try LoopbackSocket.connect(port: proxy.localPort)
            defer { socket.close() }
            let start = NIODeadline.now()
            let hello: [UInt8] = Array("hello".utf8)
            try hello.withUnsafeBytes { try socket.send($0) }
            socket.shutdownWrite()
            var reply = [UInt8](repeating: 0, count: 5)
            try reply.withUnsafeMutableBytes { try socket.receiveExactly(into: $0) }
            #expect(reply == hello)
            var more = [UInt8](repeating: 0, count: 16)
            let n = try more.withUnsafeMutableBytes { try socket.receive(into: $0) }
            #expect(n == 0, "echo half-closes after the proxy forwarded our EOF")
            return NIODeadline.now() - start
        }
        #expect(elapsed >= .milliseconds(100))
    }

    @Test func randomChunksArriveInOrder() throws {
        let bulk = try withProxy(delay: .milliseconds(5)) { proxy, _ in
            try EchoProbe.bulkEcho(port: proxy.localPort, total: 8 << 20, seed: 42, chunkSizes: 1...65536)
        }
        #expect(bulk.bytes == 8 << 20)
    }

    @Test func sixtyFourMebibytesArriveIdentical() throws {
        let (bulk, stats) = try withProxy { proxy, _ in
            (try EchoProbe.bulkEcho(port: proxy.localPort, total: 64 << 20, seed: 64), proxy.statistics.snapshot)
        }
        #expect(bulk.bytes == 64 << 20)
        #expect(stats.bytesForwarded >= 2 * (64 << 20))
    }

    @Test func rateCapSlowsTheTransfer() throws {
        // 80 Mbit/s = 10 MB/s per direction; 4 MB cannot pass in less than
        // (4 MB - one burst) / 10 MB/s.
        let total = 4_000_000
        let bulk = try withProxy(rate: 80) { proxy, _ in
            try EchoProbe.bulkEcho(port: proxy.localPort, total: total, seed: 80)
        }
        let burst = TokenBucket(megabitsPerSecond: 80).burst
        let lowerBound = Double(total - burst) / 10_000_000
        #expect(Double(bulk.nanoseconds) / 1e9 >= lowerBound)
    }

    @Test func buffersStayBoundedWhenTheReceiverNeverReads() throws {
        let (listener, port) = try LoopbackSocket.listenWithoutAccepting()
        defer { listener.close() }
        let capacity = 256 * 1024
        let (written, peak) = try withProxy(capacity: capacity, target: port) { proxy, _ in
            let socket = try LoopbackSocket.connect(port: proxy.localPort)
            defer { socket.close() }
            let chunk = [UInt8](repeating: 0xAB, count: 64 * 1024)
            var written = 0
            var idleSince = NIODeadline.now()
            let giveUp = NIODeadline.now() + .seconds(20)
            // Write until nothing more is accepted for half a second.
            while NIODeadline.now() - idleSince < .milliseconds(500), NIODeadline.now() < giveUp {
                let n = try chunk.withUnsafeBytes { try socket.sendNonBlocking($0) }
                if n > 0 {
                    written += n
                    idleSince = NIODeadline.now()
                } else {
                    usleep(2000)
                }
            }
            return (written, proxy.statistics.snapshot.peakBufferedBytes)
        }
        print("non-reading receiver: client wrote \(written) bytes, proxy peak buffered \(peak) bytes (cap \(capacity))")
        // One read burst (NIO reads up to 4 × 64 KiB before our pause takes effect) of slack.
        #expect(peak <= capacity + 4 * 64 * 1024)
        #expect(peak > 0)
        // The sender was stopped: only kernel buffers and the cap absorbed its bytes.
        #expect(written < 64 << 20)
    }

    @Test func refusedTargetClosesTheClient() throws {
        let (listener, port) = try LoopbackSocket.listenWithoutAccepting()
        listener.close()  // nothing listens on `port` any more
        try withProxy(target: port) { proxy, _ in
            let socket = try LoopbackSocket.connect(port: proxy.localPort)
            defer { socket.close() }
            var buffer = [UInt8](repeating: 0, count: 16)
            let n = try? buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
            #expect(n == nil || n == 0)
        }
    }
}
