import InMemorySFTP
import NIOCore
import SFTP
import Testing

/// The pipeline benchmarks' server and scenarios move what they say they
/// do, whole replies or cut into channel-sized chunks, so a benchmark
/// measures a working transfer.
struct InMemorySFTPTests {
    @Test(arguments: [nil, 1000, 32 * 1024] as [Int?])
    func readsTheWholeFile(chunk: Int?) async throws {
        var block = ByteBuffer()
        for i in 0..<(32 * 1024 + 7) { block.writeInteger(UInt8(truncatingIfNeeded: i &* 31)) }
        let size = 5 * block.readableBytes + 123
        let server = InMemorySFTPServer(file: block, size: size, chunkLength: chunk)
        let (client, handle) = try await PipelineScenario.open(server)
        var received = ByteBuffer()
        try await ReadPipeline(client: client, handle: handle, blockLength: 8 * 1024, maxOutstanding: 16)
            .run { offset, data in
                #expect(offset == UInt64(received.readableBytes))
                var data = data
                received.writeBuffer(&data)
            }
        try await client.close(handle)
        client.close()
        #expect(received.readableBytes == size)
        for at in [0, block.readableBytes - 1, block.readableBytes, size - 1] {
            #expect(received.getInteger(at: at, as: UInt8.self) == block.getInteger(at: at % block.readableBytes, as: UInt8.self))
        }
    }

    @Test(arguments: [8 * 1024, 255 * 1024])
    func writesEveryBlock(blockLength: Int) async throws {
        let block = ByteBuffer(repeating: 1, count: blockLength)
        let server = InMemorySFTPServer(file: block)
        let (client, handle) = try await PipelineScenario.open(server, write: true)
        try await PipelineScenario.write(client, handle, source: block, blocks: 40)
        try await client.close(handle)
        client.close()
        #expect(server.writes == 40)
        #expect(server.bytesWritten == 40 * blockLength)
    }
}
