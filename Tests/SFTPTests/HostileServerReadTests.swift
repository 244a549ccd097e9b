import NIOCore
import Testing
@testable import SFTP

/// The read pipeline against a scripted server that does what a good server
/// rarely or never does: each read is byte-identical or a clean error.
@Suite struct HostileServerReadTests {
    static let contents: [UInt8] = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }

    func read(_ script: ScriptedServer.Script, block: Int? = nil, outstanding: Int = 16) async throws -> ([UInt8], ScriptedServer) {
        let (client, server) = try await ScriptedServer.connect(script)
        defer { client.close() }
        let handle = try await client.open("file", flags: .read)
        var received: [UInt8] = []
        var expectedOffset: UInt64 = 0
        try await ReadPipeline(client: client, handle: handle, blockLength: block, maxOutstanding: outstanding).run { offset, data in
            #expect(offset == expectedOffset)
            expectedOffset += UInt64(data.readableBytes)
            received += data.readableBytesView
        }
        return (received, server)
    }

    @Test func reorderedReplies() async throws {
        let (received, server) = try await read(.init(contents: Self.contents, reorder: true), block: 1000)
        #expect(received == Self.contents)
        #expect(await server.maxOutstandingSeen > 1)
    }

    @Test func shortReadsAreReRequested() async throws {
        let (received, _) = try await read(.init(contents: Self.contents, maxReply: 333, reorder: true), block: 4096)
        #expect(received == Self.contents)
    }

    @Test func tinyBlockLimitFromServer() async throws {
        let (received, server) = try await read(.init(contents: Self.contents, readLimit: 777))
        #expect(received == Self.contents)
        // One READ per 777 bytes, plus the EOF replies of the window's tail.
        let reads = await server.reads
        #expect(reads > Self.contents.count / 777 && reads <= Self.contents.count / 777 + 17)
    }

    @Test func unadvertisedLimitsMean32KiB() async throws {
        let (client, _) = try await ScriptedServer.connect(.init(contents: []))
        defer { client.close() }
        #expect(client.limits == nil)
        #expect(ReadPipeline(client: client, handle: SFTPHandle(bytes: [1])).blockLength == 32768)
    }

    @Test func earlyEOFEndsTheFileThere() async throws {
        let (received, _) = try await read(.init(contents: Self.contents, reorder: true, eofAt: 50_000), block: 3000)
        #expect(received == Array(Self.contents.prefix(50_000)))
    }

    @Test(arguments: [1, 2, 5, 30]) func errorOnNthRead(_ n: Int) async throws {
        await #expect(throws: SFTPError(.failure, "", status: .failure)) {
            _ = try await read(.init(contents: Self.contents, reorder: true, failRead: n), block: 1000)
        }
    }

    @Test func moreDataThanAskedIsRefused() async throws {
        await #expect(throws: SFTPError(.tooMuchData, "")) {
            _ = try await read(.init(contents: Self.contents, oversizeRead: 3), block: 1000)
        }
    }

    @Test func replyToUnknownIDIsRefused() async throws {
        await #expect(throws: SFTPError(.unexpectedReply, "")) {
            _ = try await read(.init(contents: Self.contents, wrongIDRead: 2), block: 1000)
        }
    }
}
