import SFTPTestSupport
import Foundation
import NIOCore
import Testing
@testable import SFTP

/// The read pipeline against sftp-server: OpenSSH's regress matrix of block
/// sizes and outstanding requests, each read byte-identical.
@Suite struct ReadPipelineTests {
    static let contents: [UInt8] = {
        var state: UInt32 = 0x1234_5678
        return (0..<300_001).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }()

    static let matrix: [(Int, Int)] = [5, 1000, 32000, 64000].flatMap { block in [1, 2, 10].map { (block, $0) } }

    @Test(arguments: matrix) func regressMatrix(_ block: Int, _ outstanding: Int) async throws {
        try await withSFTPServer { client, dir in
            let contents = block == 5 ? Array(Self.contents.prefix(40_003)) : Self.contents
            try dir.create("data", Data(contents))
            let handle = try await client.open(dir.sftp("data"), flags: .read)
            var received: [UInt8] = []
            var offsets: [UInt64] = []
            let end = try await ReadPipeline(client: client, handle: handle, blockLength: block, maxOutstanding: outstanding)
                .run { offset, data in
                    offsets.append(offset)
                    received += data.readableBytesView
                }
            try await client.close(handle)
            #expect(end == UInt64(contents.count))
            #expect(received == contents)
            #expect(offsets.first == 0)
        }
    }

    @Test func rangeAndEmptyFile() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("data", Data(Self.contents))
            try dir.create("empty", Data())
            let handle = try await client.open(dir.sftp("data"), flags: .read)
            var received: [UInt8] = []
            let end = try await ReadPipeline(client: client, handle: handle, startOffset: 1000, endOffset: 200_000)
                .run { _, data in received += data.readableBytesView }
            #expect(end == 200_000)
            #expect(received == Array(Self.contents[1000..<200_000]))
            try await client.close(handle)

            let empty = try await client.open(dir.sftp("empty"), flags: .read)
            var pieces = 0
            #expect(try await ReadPipeline(client: client, handle: empty).run { _, _ in pieces += 1 } == 0)
            #expect(pieces == 0)
            try await client.close(empty)
        }
    }

    @Test func defaultBlockIsTheServerLimit() async throws {
        try await withSFTPServer { client, _ in
            #expect(ReadPipeline(client: client, handle: SFTPHandle(bytes: [0])).blockLength == 255 * 1024)
            #expect(ReadPipeline(client: client, handle: SFTPHandle(bytes: [0]), blockLength: 1000).blockLength == 1000)
        }
    }
}
