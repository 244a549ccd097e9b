import NIOCore
import SFTP

/// MemoryStream is one end of an in-memory byte stream pair: what one end
/// writes, the other reads, for SFTP tests against scripted servers.
public final class MemoryStream: ByteStream, @unchecked Sendable {
    // @unchecked: `inbound` is touched only by the one reader ByteStream allows.
    private var inbound: AsyncStream<ByteBuffer>.Iterator
    private let outbound: AsyncStream<ByteBuffer>.Continuation

    private init(inbound: AsyncStream<ByteBuffer>, outbound: AsyncStream<ByteBuffer>.Continuation) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Two connected ends.
    public static func pair() -> (MemoryStream, MemoryStream) {
        let (a, aIn) = AsyncStream.makeStream(of: ByteBuffer.self)
        let (b, bIn) = AsyncStream.makeStream(of: ByteBuffer.self)
        return (MemoryStream(inbound: a, outbound: bIn), MemoryStream(inbound: b, outbound: aIn))
    }

    public func read() async throws -> ByteBuffer? {
        var iterator = inbound
        let chunk = await iterator.next()
        inbound = iterator
        return chunk
    }

    public func write(_ data: ByteBuffer) async throws { outbound.yield(data) }
    public func closeWrite() async throws { outbound.finish() }
}
