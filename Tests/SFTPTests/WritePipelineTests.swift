import SFTPTestSupport
import Foundation
import NIOCore
import Testing
@testable import SFTP

/// The write pipeline against sftp-server (OpenSSH's regress matrix of
/// block sizes and outstanding requests, each file byte-identical) and
/// against the scripted server (reordered replies, failure on the Nth write).
@Suite struct WritePipelineTests {
    static let contents = ReadPipelineTests.contents

    /// A source that hands out `contents` from `offset`, `maxLength` at a time.
    static func source(_ contents: [UInt8]) -> (UInt64, Int) async throws -> ByteBuffer? {
        { offset, maxLength in
            let start = Int(offset)
            guard start < contents.count else { return nil }
            return ByteBuffer(bytes: contents[start..<min(contents.count, start + maxLength)])
        }
    }

    @Test(arguments: ReadPipelineTests.matrix) func regressMatrix(_ block: Int, _ outstanding: Int) async throws {
        try await withSFTPServer { client, dir in
            let contents = block == 5 ? Array(Self.contents.prefix(40_003)) : Self.contents
            let handle = try await client.open(dir.sftp("data"), flags: [.write, .create, .truncate])
            let end = try await WritePipeline(client: client, handle: handle, blockLength: block, maxOutstanding: outstanding)
                .run(Self.source(contents))
            try await client.close(handle)
            #expect(end == UInt64(contents.count))
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("data"))) == Data(contents))
        }
    }

    /// Blocks with `WritePipeline.headroom` free before their data get the
    /// WRITE header written there instead of being copied; what reaches
    /// the file is the same. Also a block with too little headroom (copied)
    /// and the headroom of a block that is shared (its bytes must not
    /// change under the caller).
    @Test(arguments: [17 * 1024, 64 * 1024]) func headroomBlocksArriveIntact(_ block: Int) async throws {
        try await withSFTPServer { client, dir in
            let contents = Self.contents
            let handle = try await client.open(dir.sftp("data"), flags: [.write, .create, .truncate])
            var kept: [ByteBuffer] = []
            let end = try await WritePipeline(client: client, handle: handle, blockLength: block, maxOutstanding: 8)
                .run { offset, maxLength in
                    let start = Int(offset)
                    guard start < contents.count else { return nil }
                    let piece = contents[start..<min(contents.count, start + maxLength)]
                    // Every third block has only 10 bytes of headroom.
                    let room = kept.count % 3 == 2 ? 10 : WritePipeline.headroom
                    var buffer = ByteBufferAllocator().buffer(capacity: room + piece.count)
                    buffer.moveWriterIndex(forwardBy: room)
                    buffer.moveReaderIndex(forwardBy: room)
                    buffer.writeBytes(piece)
                    // Every fourth block stays referenced here too.
                    if kept.count % 4 == 3 { kept.append(buffer) } else { kept.append(ByteBuffer()) }
                    return buffer
                }
            try await client.close(handle)
            #expect(end == UInt64(contents.count))
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("data"))) == Data(contents))
            for (index, buffer) in kept.enumerated() where buffer.readableBytes > 0 {
                let start = index * block
                #expect(Array(buffer.readableBytesView) == Array(contents[start..<min(contents.count, start + block)]))
            }
        }
    }

    @Test func emptySourceWritesNothing() async throws {
        try await withSFTPServer { client, dir in
            let handle = try await client.open(dir.sftp("empty"), flags: [.write, .create, .truncate])
            #expect(try await WritePipeline(client: client, handle: handle).run { _, _ in nil } == 0)
            try await client.close(handle)
            #expect(try FileManager.default.attributesOfItem(atPath: dir.file("empty"))[.size] as? Int == 0)
        }
    }

    @Test func memoryBudgetCapsBytesOutstanding() async throws {
        try await withSFTPServer { client, dir in
            let handle = try await client.open(dir.sftp("data"), flags: [.write, .create, .truncate])
            var most = 0
            let inner = Self.source(Self.contents)
            try await WritePipeline(client: client, handle: handle, blockLength: 1000, maxOutstanding: 64, memoryBudget: 4000)
                .run { offset, length in
                    most = max(most, client.connection.outstanding)
                    return try await inner(offset, length)
                }
            try await client.close(handle)
            #expect(most <= 3)  // a fourth block would exceed 4000 bytes outstanding
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("data"))) == Data(Self.contents))
        }
    }

    @Test func resumedWriteStartsAtOffset() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("data", Data(Self.contents.prefix(1000)))
            let handle = try await client.open(dir.sftp("data"), flags: [.write])
            try await WritePipeline(client: client, handle: handle, blockLength: 777, startOffset: 1000).run(Self.source(Self.contents))
            try await client.close(handle)
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("data"))) == Data(Self.contents))
        }
    }

    @Test func reorderedRepliesFromScriptedServer() async throws {
        let (client, server) = try await ScriptedServer.connect(.init(contents: [], reorder: true))
        defer { client.close() }
        let handle = try await client.open("file", flags: [.write, .create])
        let contents = Array(Self.contents.prefix(100_003))
        try await WritePipeline(client: client, handle: handle, blockLength: 1000).run(Self.source(contents))
        #expect(await server.written == contents)
        #expect(await server.maxOutstandingSeen > 1)
    }

    @Test(arguments: [1, 2, 5, 30]) func errorOnNthWrite(_ n: Int) async throws {
        let (client, server) = try await ScriptedServer.connect(.init(contents: [], reorder: true, failWrite: n))
        defer { client.close() }
        let handle = try await client.open("file", flags: [.write, .create])
        await #expect(throws: SFTPError(.failure, "", status: .failure)) {
            try await WritePipeline(client: client, handle: handle, blockLength: 1000).run(Self.source(Self.contents))
        }
        // Slow start: a failure stops the pipeline before it sends the whole file.
        #expect(await server.writes < Self.contents.count / 1000)
        #expect(client.connection.outstanding == 0)
    }

    @Test func sourceErrorSurfaces() async throws {
        try await withSFTPServer { client, dir in
            let handle = try await client.open(dir.sftp("data"), flags: [.write, .create, .truncate])
            struct Broken: Error {}
            await #expect(throws: Broken.self) {
                try await WritePipeline(client: client, handle: handle, blockLength: 1000).run { offset, length in
                    if offset >= 5000 { throw Broken() }
                    return ByteBuffer(repeating: 1, count: length)
                }
            }
            try await client.close(handle)
        }
    }
}
