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

    /// Writes `blocks` blocks of `blockLength` bytes with `WritePipeline`,
    /// each a slice of `source` (so the source allocates nothing).
    public static func write(_ client: SFTPClient, _ handle: SFTPHandle, source: ByteBuffer, blocks: Int,
                             maxOutstanding: Int = 64) async throws {
        let blockLength = source.readableBytes
        let size = UInt64(blocks * blockLength)
        try await WritePipeline(client: client, handle: handle, blockLength: blockLength, maxOutstanding: maxOutstanding,
                                memoryBudget: 64 << 20)
            .run { offset, length in
                guard offset < size else { return nil }
                return source.getSlice(at: source.readerIndex, length: min(length, Int(size - offset)))
            }
    }
}
