#if canImport(Glibc)
import Glibc
#endif
import InMemorySFTP
import NIOCore
import SFTP

// Runs one pipeline scenario against the in-memory SFTP server, for a heap
// profiler to attribute the allocations of the allocation benchmarks:
//
//   heaptrack .build/release/PipelineProfile read 32 1000
//   PipelineProfile read|write BLOCK_KIB BLOCKS [CHUNK_KIB] [RUNS]
//
// CHUNK_KIB cuts replies into channel-sized pieces (0: whole replies).
let arguments = CommandLine.arguments.dropFirst().map { $0 }
guard arguments.count >= 3, let blockKiB = Int(arguments[1]), let blocks = Int(arguments[2]), blockKiB > 0, blocks > 0 else {
    print("usage: PipelineProfile read|write BLOCK_KIB BLOCKS [CHUNK_KIB] [RUNS]")
    exit(2)
}
let chunk = arguments.count > 3 ? Int(arguments[3]).flatMap { $0 > 0 ? $0 << 10 : nil } : nil
let runs = arguments.count > 4 ? max(1, Int(arguments[4]) ?? 1) : 1
let block = ByteBuffer(repeating: 0x5a, count: blockKiB << 10)

for _ in 0..<runs {
    switch arguments[0] {
    case "read":
        let server = InMemorySFTPServer(file: block, size: blocks * block.readableBytes, chunkLength: chunk)
        let (client, handle) = try await PipelineScenario.open(server)
        let bytes = try await PipelineScenario.read(client, handle, blockLength: block.readableBytes)
        try await client.close(handle)
        client.close()
        print("read \(bytes) bytes in \(server.reads) READs")
    case "write":
        let server = InMemorySFTPServer(file: block, chunkLength: chunk)
        let (client, handle) = try await PipelineScenario.open(server, write: true)
        try await PipelineScenario.write(client, handle, source: block, blocks: blocks)
        try await client.close(handle)
        client.close()
        print("wrote \(server.bytesWritten) bytes in \(server.writes) WRITEs")
    default:
        print("usage: PipelineProfile read|write BLOCK_KIB BLOCKS [CHUNK_KIB] [RUNS]")
        exit(2)
    }
}
