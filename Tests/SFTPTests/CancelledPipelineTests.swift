import NIOCore
import Testing
@testable import SFTP

/// A pipeline whose task is cancelled (Ctrl-C at the ferry sftp prompt)
/// fails with CancellationError: it never returns as if the file had
/// ended, which would let a short copy be renamed into place.
@Suite struct CancelledPipelineTests {
    static let contents: [UInt8] = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    @Test func cancelledReadThrows() async throws {
        let (client, _) = try await ScriptedServer.connect(.init(contents: Self.contents, stallAfterReads: 10),
                                                           requestTimeout: nil)
        defer { client.close() }
        let handle = try await client.open("file", flags: .read)
        let task = Task {
            try await ReadPipeline(client: client, handle: handle, blockLength: 1000, maxOutstanding: 16).run { _, _ in }
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    @Test func cancelledWriteThrows() async throws {
        let (client, _) = try await ScriptedServer.connect(.init(contents: [], stallAfterWrites: 10), requestTimeout: nil)
        defer { client.close() }
        let handle = try await client.open("file", flags: [.write, .create])
        let task = Task {
            try await WritePipeline(client: client, handle: handle, blockLength: 1000, maxOutstanding: 16)
                .run(WritePipelineTests.source(Self.contents))
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }
}
