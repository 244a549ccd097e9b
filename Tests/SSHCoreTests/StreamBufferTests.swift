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
