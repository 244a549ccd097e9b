import NIOCore
import SFTP

/// PipelineScenario runs the SFTP client's pipelines against an
/// `InMemorySFTPServer`: the same code get and put run over an SSH
/// channel, with no network and no crypto. The allocation benchmarks and
/// `PipelineProfile` (for heaptrack) share it.
public enum PipelineScenario {
    /// A session on `server` and a handle of its file.
    public static func open(_ server: InMemorySFTPServer, write: Bool = false) async throws -> (SFTPClient, SFTPHandle) {
        let client = try await SFTPClient.connect(over: server)
        let handle = try await client.open(SFTPPath("/file"), flags: write ? [.write, .create] : [.read])
        return (client, handle)
    }

    /// Reads the file to its end with `ReadPipeline`; returns the bytes read.
    @discardableResult
    public static func read(_ client: SFTPClient, _ handle: SFTPHandle, blockLength: Int,
                            maxOutstanding: Int = 64) async throws -> Int {
        var received = 0
        try await ReadPipeline(client: client, handle: handle, blockLength: blockLength, maxOutstanding: maxOutstanding)
            .run { _, data in received += data.readableBytes }
        return received
    }

    /// Room left before each block's data, as put's reads leave it: 512
    /// bytes, `WritePipeline.headroom` (where the WRITE header can go).
    public static let headroom = 512

    /// Writes `blocks` blocks of `blockLength` bytes with `WritePipeline`.
    /// Like put, which reads each block from the file into a buffer of its
    /// own (`headroom` bytes free before the data), the source copies each
    /// block from `source` into a new buffer: one allocation per block,
    /// counted with the pipeline's.
    public static func write(_ client: SFTPClient, _ handle: SFTPHandle, source: ByteBuffer, blocks: Int,
                             maxOutstanding: Int = 64) async throws {
        let blockLength = source.readableBytes
        let size = UInt64(blocks * blockLength)
        let allocator = ByteBufferAllocator()
        try await WritePipeline(client: client, handle: handle, blockLength: blockLength, maxOutstanding: maxOutstanding,
                                memoryBudget: 64 << 20)
            .run { offset, length in
                guard offset < size else { return nil }
                let count = min(length, Int(size - offset))
                var block = allocator.buffer(capacity: headroom + count)
                block.moveWriterIndex(forwardBy: headroom)
                block.moveReaderIndex(forwardBy: headroom)
                block.writeImmutableBuffer(source.getSlice(at: source.readerIndex, length: count) ?? ByteBuffer())
                return block
            }
    }
}
