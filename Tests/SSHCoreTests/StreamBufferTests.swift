import NIOCore
import NIOEmbedded
import Testing
@_spi(Internals) @testable import SSHCore

/// A channel stream's receive buffer: packets that arrive in one turn of
/// the event loop reach a waiting reader together, in order, and data that
/// arrived before the end is delivered before the end is.
@Suite struct StreamBufferTests {
    /// What a future delivered, seen from the test (the embedded loop runs
    /// callbacks on the test's own thread).
    final class Outcome: @unchecked Sendable {
        var value: ByteBuffer??
    }

    private func watch(_ future: EventLoopFuture<ByteBuffer?>) -> Outcome {
        let outcome = Outcome()
        future.whenSuccess { outcome.value = $0 }
        return outcome
    }

    @Test func packetsOfOneTurnAreDeliveredTogether() throws {
        let loop = EmbeddedEventLoop()
        let buffer = StreamBuffer(eventLoop: loop)
        let delivered = watch(buffer.next(eventLoop: loop))
        buffer.append(ByteBuffer(bytes: [1, 2]))
        buffer.append(ByteBuffer(bytes: [3]))
        #expect(delivered.value == nil, "the reader is woken after the turn, not per packet")
        loop.run()
        #expect(delivered.value == .some(ByteBuffer(bytes: [1, 2, 3])))
        // Nothing pending: the next read waits.
        let second = watch(buffer.next(eventLoop: loop))
        loop.run()
        #expect(second.value == nil)
        buffer.append(ByteBuffer(bytes: [4]))
        loop.run()
        #expect(second.value == .some(ByteBuffer(bytes: [4])))
    }

    /// A chunk the reader let go of is where the next bytes land (its
    /// pages stay mapped); one the reader still holds is never written.
    @Test func aChunkIsReusedOnlyOnceTheReaderLetsGo() throws {
        func address(_ buffer: ByteBuffer) -> UInt { buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) } }
        let loop = EmbeddedEventLoop()
        let buffer = StreamBuffer(eventLoop: loop)
        buffer.append(ByteBuffer(bytes: [1, 2, 3]))
        var held = try #require(try buffer.ready() ?? nil)
        let first = address(held)
        buffer.append(ByteBuffer(bytes: [4, 5]))
        let second = try #require(try buffer.ready() ?? nil)
        #expect(address(second) != first)
        #expect(held == ByteBuffer(bytes: [1, 2, 3]) && second == ByteBuffer(bytes: [4, 5]))
        #expect(buffer.keptBuffers == 2)
        held = ByteBuffer()
        buffer.append(ByteBuffer(bytes: [6]))
        let third = try #require(try buffer.ready() ?? nil)
        // The first buffer again, not a third one.
        #expect(buffer.keptBuffers == 2)
        #expect(address(third) == first)
        #expect(third == ByteBuffer(bytes: [6]) && second == ByteBuffer(bytes: [4, 5]))
    }

    @Test func dataBeforeTheEndComesFirst() throws {
        let loop = EmbeddedEventLoop()
        let buffer = StreamBuffer(eventLoop: loop)
        let first = watch(buffer.next(eventLoop: loop))
        buffer.append(ByteBuffer(bytes: [9, 8]))
        buffer.finish()
        loop.run()
        #expect(first.value == .some(ByteBuffer(bytes: [9, 8])))
        let after = watch(buffer.next(eventLoop: loop))
        #expect(after.value == .some(nil))
    }

    @Test func anErrorEndsTheStreamAfterTheData() throws {
        struct Broken: Error {}
        let loop = EmbeddedEventLoop()
        let buffer = StreamBuffer(eventLoop: loop)
        buffer.append(ByteBuffer(bytes: [5]))
        buffer.finish(Broken())
        #expect(try buffer.next(eventLoop: loop).wait() == ByteBuffer(bytes: [5]))
        #expect(throws: Broken.self) { try buffer.next(eventLoop: loop).wait() }
    }
}
