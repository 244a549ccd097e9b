#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Testing
@_spi(Internals) @testable import SSHCore

/// Pseudo-random bytes with a prime period (65 537), so a reordered or
/// duplicated packet never lines up with the pattern by accident.
private func pattern(count: Int) -> [UInt8] {
    var rng = SplitMix64(seed: 0xFE44_1234)
    let block = (0..<65_537).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + block.count)
    while bytes.count < count { bytes.append(contentsOf: block) }
    bytes.removeLast(bytes.count - count)
    return bytes
}

/// The data length of a CHANNEL_DATA/EXTENDED_DATA payload, 0 for anything else.
private func dataLength(_ payload: ByteBuffer) -> Int {
    switch payload.getInteger(at: payload.readerIndex, as: UInt8.self) {
    case 94: Int(payload.getInteger(at: payload.readerIndex + 5, as: UInt32.self) ?? 0)
    case 95: Int(payload.getInteger(at: payload.readerIndex + 9, as: UInt32.self) ?? 0)
    default: 0
    }
}

/// Whether `data` equals `expected[offset...]` for its length (memcmp: fast even in debug builds).
private func matches(_ data: ByteBuffer, _ expected: [UInt8], at offset: Int) -> Bool {
    guard offset + data.readableBytes <= expected.count else { return false }
    return data.withUnsafeReadableBytes { received in
        expected.withUnsafeBytes { all in
            memcmp(received.baseAddress!, all.baseAddress! + offset, received.count) == 0
        }
    }
}

/// Streams `total` bytes server → client with a producer that honours
/// backpressure, a simulated network that delivers in rounds (adjusts reach
/// the sender only after the round: one RTT), and the given consumer.
/// Checks, after every step, that bytes in flight plus bytes the consumer
/// holds never exceed the window the client granted.
private struct StreamRun {
    var packets = 0
    var adjusts = 0
    var largestPacket = 0
    var windowSizes: [Int] = []
    var worstHeldPlusInFlight = 0
    var boundViolations = 0
}

private func stream(
    total: Int, client clientConfig: ChannelMultiplexer.Configuration = .client,
    server serverConfig: ChannelMultiplexer.Configuration = .server,
    consumeWhenHolding threshold: Int
) throws -> StreamRun {
    var pair = MultiplexerPair(client: clientConfig, server: serverConfig)
    let (c, s) = try pair.openSession()
    var client = pair.client
    var server = pair.server
    let expected = pattern(count: total)
    let source = ByteBuffer(bytes: expected)
    var run = StreamRun()
    var sent = 0
    var received = 0
    var held: [ByteBuffer] = []
    var heldBytes = 0
    var inFlight: [ByteBuffer] = []
    var inFlightBytes = 0

    func checkBound() {
        guard let window = client.receiveWindow(on: c) else { return }
        #expect(window.unconsumed == heldBytes)
        run.worstHeldPlusInFlight = max(run.worstHeldPlusInFlight, heldBytes + inFlightBytes)
        if heldBytes + inFlightBytes > window.size { run.boundViolations += 1 }
        if run.windowSizes.last != window.size { run.windowSizes.append(window.size) }
    }

    var rounds = 0
    while received < total {
        rounds += 1
        guard rounds < 100_000 else { throw TestFailure("no progress after \(rounds) rounds, received \(received)") }
        // Producer: only what the window takes now.
        let writable = server.writableBytes(on: s)
        if writable > 0 && sent < total {
            let count = min(writable, total - sent, 4 << 20)
            guard let slice = source.getSlice(at: sent, length: count) else { throw TestFailure("slice") }
            try server.sendData(slice, on: s)
            sent += count
            #expect(server.queuedBytes(on: s) == 0)
        }
        // Network: everything the server emitted is now in flight.
        while let out = server.nextOutboundPayload() {
            let length = dataLength(out)
            inFlight.append(out)
            inFlightBytes += length
            run.largestPacket = max(run.largestPacket, length)
        }
        checkBound()
        // Delivery to the client, consuming per policy.
        for out in inFlight {
            inFlightBytes -= dataLength(out)
            try client.receive(payload: out)
            while let event = client.nextEvent() {
                guard case .data(c, let data) = event else { throw TestFailure("unexpected \(event)") }
                run.packets += 1
                #expect(matches(data, expected, at: received), "data at \(received) differs")
                received += data.readableBytes
                held.append(data)
                heldBytes += data.readableBytes
            }
            checkBound()
            if heldBytes >= threshold {
                client.consumed(heldBytes, on: c)
                held.removeAll()
                heldBytes = 0
                checkBound()
            }
        }
        inFlight.removeAll()
        // A stalled consumer with nothing in flight drains what it holds.
        if heldBytes > 0 && server.writableBytes(on: s) == 0 || received == total {
            client.consumed(heldBytes, on: c)
            held.removeAll()
            heldBytes = 0
            checkBound()
        }
        // The client's WINDOW_ADJUSTs reach the server one round later.
        while let out = client.nextOutboundPayload() {
            if case .channelWindowAdjust = try ConnectionMessage.decode(out) { run.adjusts += 1 }
            try server.receive(payload: out)
        }
        while let event = server.nextEvent() {
            guard case .windowAvailable(s, _) = event else { throw TestFailure("unexpected server event \(event)") }
        }
    }
    #expect(received == total)
    #expect(sent == total)
    return run
}

@Suite struct ChannelFlowControlTests {
    @Test func fiftyMebibytesThroughATwoMebibyteWindowArriveIntactAsTheWindowGrows() throws {
        let run = try stream(total: 50 << 20, consumeWhenHolding: 1)
        #expect(run.boundViolations == 0)
        // 2 MiB doubling to the 64 MiB maximum.
        let doubling: [Int] = [2, 4, 8, 16, 32, 64].map { $0 << 20 }
        #expect(run.windowSizes == doubling)
        // Packets are as large as the server may send (255 KiB, its send chunk).
        #expect(run.largestPacket == 255 * 1024)
        #expect(run.packets >= (50 << 20) / (255 * 1024))
        // Adjusts come once half the window is consumed, not per packet.
        #expect(run.adjusts <= 8)
    }

    @Test func aConsumerThatLagsKeepsTheInitialWindowAndMemoryStaysBounded() throws {
        // Holds 1.5 MiB before consuming: more than a quarter of the window.
        let run = try stream(total: 20 << 20, consumeWhenHolding: 3 << 19)
        #expect(run.boundViolations == 0)
        #expect(run.windowSizes == [2 << 20])
        #expect(run.worstHeldPlusInFlight <= 2 << 20)
        #expect(run.worstHeldPlusInFlight >= 3 << 19)
    }

    @Test func smallPeerPacketsAndGrowthCap() throws {
        let client = ChannelMultiplexer.Configuration(
            role: .client, initialReceiveWindow: 64 * 1024, maximumReceiveWindow: 256 * 1024, maximumPacketSize: 16 * 1024)
        let run = try stream(total: 3 << 20, client: client, consumeWhenHolding: 1)
        #expect(run.boundViolations == 0)
        #expect(run.largestPacket == 16 * 1024)
        #expect(run.windowSizes == [64 * 1024, 128 * 1024, 256 * 1024])
    }

    @Test func senderBlocksAtZeroWindowAndResumesOnAdjust() throws {
        var pair = MultiplexerPair(server: .init(
            role: .server, initialReceiveWindow: 64 * 1024, maximumReceiveWindow: 64 * 1024, maximumPacketSize: 16 * 1024))
        let (c, s) = try pair.openSession()
        pair.serverConsumesImmediately = false
        #expect(pair.client.writableBytes(on: c) == 64 * 1024)
        let bytes = pattern(count: 100 * 1024)
        let writable = try pair.client.sendData(buffer(bytes), on: c)
        #expect(writable == 0)
        #expect(pair.client.queuedBytes(on: c) == 36 * 1024)
        try pair.pump()
        #expect(pair.serverData(on: s).count == 64 * 1024)
        #expect(!pair.client.hasOutboundPayloads)
        // Consuming less than half the window sends no adjust.
        pair.server.consumed(31 * 1024, on: s)
        #expect(!pair.server.hasOutboundPayloads)
        pair.server.consumed(33 * 1024, on: s)
        let adjust = try drainMessages(&pair.server)
        #expect(adjust == [.channelWindowAdjust(recipientChannel: c.rawValue, bytesToAdd: 64 * 1024)])
        try pair.client.receive(payload: payload(adjust[0]))
        // 36 KiB of queued data go out, 28 KiB of window remain for the producer.
        #expect(pair.client.nextEvent() == .windowAvailable(c, writableBytes: 28 * 1024))
        #expect(pair.client.queuedBytes(on: c) == 0)
        try pair.pump()
        #expect(pair.serverData(on: s) == bytes)
    }

    @Test func dataIsSplitByThePeersMaximumPacketAndOurSendChunk() throws {
        var pair = MultiplexerPair(server: .init(role: .server, maximumPacketSize: 16 * 1024))
        let (c, _) = try pair.openSession()
        try pair.client.sendData(buffer(pattern(count: 40 * 1024)), on: c)
        try pair.client.sendExtendedData(buffer(pattern(count: 17 * 1024)), dataType: 1, on: c)
        let sizes = try drainMessages(&pair.client).map { message -> Int in
            switch message {
            case .channelData(_, let data), .channelExtendedData(_, _, let data): data.readableBytes
            default: -1
            }
        }
        #expect(sizes == [16 * 1024, 16 * 1024, 8 * 1024, 16 * 1024, 1024])

        var capped = MultiplexerPair(client: .init(role: .client, maximumSendChunk: 10 * 1024), server: .init(role: .server, maximumPacketSize: 16 * 1024))
        let (c2, _) = try capped.openSession()
        try capped.client.sendData(buffer(pattern(count: 25 * 1024)), on: c2)
        let cappedSizes = try drainMessages(&capped.client).map { message -> Int in
            if case .channelData(_, let data) = message { return data.readableBytes }
            return -1
        }
        #expect(cappedSizes == [10 * 1024, 10 * 1024, 5 * 1024])
    }

    @Test func adjustDoublesTheWindowForAConsumerThatKeepsUp() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        pair.clientConsumesImmediately = true
        var adjusts: [UInt32] = []
        // 32 KiB packets, each consumed at once: the first adjust is due after 1 MiB.
        for i in 1...32 {
            try pair.server.sendData(buffer([UInt8](repeating: UInt8(i), count: 32 * 1024)), on: s)
            while let out = pair.server.nextOutboundPayload() { try pair.client.receive(payload: out) }
            pair.drainClientEvents()
            for message in try drainMessages(&pair.client) {
                if case .channelWindowAdjust(_, let bytes) = message { adjusts.append(bytes) }
            }
            if i < 32 { #expect(adjusts.isEmpty, "adjust after only \(i) packets") }
        }
        // 1 MiB consumed + 2 MiB of growth: the window is now 4 MiB.
        #expect(adjusts == [3 << 20])
        #expect(pair.client.receiveWindow(on: c)?.size == 4 << 20)
    }

    @Test func noAdjustAfterThePeersEOF() throws {
        var pair = MultiplexerPair()
        let (c, s) = try pair.openSession()
        pair.clientConsumesImmediately = false
        try pair.server.sendData(buffer([UInt8](repeating: 1, count: 1536 * 1024)), on: s)
        try pair.server.sendEOF(on: s)
        try pair.pump()
        #expect(pair.clientEvents.last == .eof(c))
        pair.client.consumed(1536 * 1024, on: c)
        #expect(!pair.client.hasOutboundPayloads)
    }

    @Test func receiveWindowArithmetic() {
        var window = ReceiveWindow(initialSize: 1000, maximumSize: 4000)
        #expect(window.accept(600, deliver: true) == true)
        #expect(window.accept(401, deliver: true) == false)
        #expect(window.remaining == 400)
        // Held 600 of 1000 (more than a quarter) before consuming: no growth.
        let first: UInt32? = window.consume(10_000, mayAdjust: true)
        #expect(first == UInt32(600))
        #expect(window.size == 1000 && window.remaining == 1000 && window.unconsumed == 0)
        // Consuming what was never delivered does nothing.
        #expect(window.consume(5, mayAdjust: true) == nil)
        // A consumer that keeps up (never holds more than 250) doubles the window.
        #expect(window.accept(250, deliver: true) == true)
        #expect(window.consume(250, mayAdjust: true) == nil)
        #expect(window.accept(250, deliver: true) == true)
        let grant: UInt32? = window.consume(250, mayAdjust: true)
        #expect(grant == UInt32(1500))
        #expect(window.size == 2000 && window.remaining == 2000)
        // Without permission to adjust, consumption is only counted.
        #expect(window.accept(1500, deliver: true) == true)
        #expect(window.consume(1500, mayAdjust: false) == nil)
        #expect(window.remaining == 500)
        // Growth stops at 2^32-1 without overflow.
        var huge = ReceiveWindow(initialSize: 4_000_000_000, maximumSize: UInt32.max)
        for _ in 0..<2 {
            #expect(huge.accept(1_000_000_000, deliver: true) == true)
            _ = huge.consume(1_000_000_000, mayAdjust: true)
        }
        #expect(huge.size == Int(UInt32.max))
        #expect(huge.remaining == Int(UInt32.max))
    }
}
