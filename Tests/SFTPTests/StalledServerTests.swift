import NIOCore
import Locking
import Testing
@testable import SFTP

/// The request timeout against a scripted server that goes silent: a
/// download or upload in full flight fails with `.timedOut` instead of
/// waiting forever, and so does every later request; a server that is slow
/// but keeps answering, or a session that is merely idle, is left alone.
/// Wall-clock bounds are generous caps, never measurements.
@Suite struct StalledServerTests {
    static let contents: [UInt8] = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 9) }
    /// Long enough that a loaded machine (load 16 on 2 cores was seen)
    /// does not miss the INIT reply of an in-process server within it.
    static let timeout: Duration = .milliseconds(1200)

    /// Runs `body`; fails the test (and cancels `body`) if it has not ended
    /// after `cap`, so that a hang is a failure rather than a stuck run.
    @discardableResult
    func ending<T: Sendable>(within cap: Duration = .seconds(30),
                             _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: cap)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                Issue.record("still running after \(cap)")
                throw Hung()
            }
            return result
        }
    }

    @Test func stalledReadsFailTheDownload() async throws {
        let (client, server) = try await ScriptedServer.connect(.init(contents: Self.contents, stallAfterReads: 40),
                                                                requestTimeout: Self.timeout)
        defer { client.close() }
        let handle = try await client.open("file", flags: .read)
        let clock = ContinuousClock()
        let began = clock.now
        let received = try await ending {
            let received = Counter()
            await #expect(throws: SFTPError(.timedOut, "")) {
                try await ReadPipeline(client: client, handle: handle, blockLength: 1000, maxOutstanding: 16)
                    .run { _, data in received.add(data.readableBytes) }
            }
            return received.value
        }
        #expect(clock.now - began >= Self.timeout)
        #expect(await server.reads > 40, "requests were outstanding when the server stopped")
        #expect(received > 0 && received <= 40 * 1000)
        // The session is over: later requests fail at once, with the same error.
        let later = await #expect(throws: SFTPError.self) { try await client.stat("file") }
        #expect(later?.code == .timedOut)
        #expect(later?.message == "the SFTP server sent no reply for 1.2 s")
        #expect(client.connection.outstanding == 0)
    }

    @Test func stalledWritesFailTheUpload() async throws {
        let (client, server) = try await ScriptedServer.connect(.init(contents: [], stallAfterWrites: 25),
                                                                requestTimeout: Self.timeout)
        defer { client.close() }
        let handle = try await client.open("file", flags: [.write, .create])
        let clock = ContinuousClock()
        let began = clock.now
        try await ending {
            await #expect(throws: SFTPError(.timedOut, "")) {
                try await WritePipeline(client: client, handle: handle, blockLength: 1000, maxOutstanding: 16)
                    .run(WritePipelineTests.source(Self.contents))
            }
        }
        #expect(clock.now - began >= Self.timeout)
        #expect(await server.writes > 25)
        #expect(await server.written.count == 25 * 1000)
        #expect(client.connection.outstanding == 0)
    }

    @Test func silentServerFailsTheHandshake() async throws {
        let error = try await ending {
            await #expect(throws: SFTPError.self) {
                _ = try await ScriptedServer.connect(.init(contents: [], silentInit: true), requestTimeout: Self.timeout)
            }
        }
        #expect(error?.code == .timedOut)
        #expect(error?.message.contains("SSH_FXP_INIT") == true)
    }

    /// One reply per 200 ms, requests queued behind each other: the last one
    /// waits longer than the timeout, but the server keeps answering, so
    /// nothing times out (silence is measured per session, not per request).
    @Test func slowButAnsweringServerIsNotTimedOut() async throws {
        let delay: Duration = .milliseconds(200)
        let (client, _) = try await ScriptedServer.connect(.init(contents: Self.contents, replyDelay: delay),
                                                           requestTimeout: Self.timeout)
        defer { client.close() }
        let handle = try await client.open("file", flags: .read)
        let reads = 16
        let clock = ContinuousClock()
        let began = clock.now
        let lengths = try await ending {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<reads {
                    group.addTask {
                        try await client.read(handle, offset: UInt64(index * 1000), length: 1000)?.readableBytes ?? 0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(lengths == Array(repeating: 1000, count: reads))
        #expect(clock.now - began > Self.timeout, "the last read waited longer than the timeout")
    }

    @Test func idleSessionIsNotTimedOut() async throws {
        let (client, _) = try await ScriptedServer.connect(.init(contents: Self.contents), requestTimeout: Self.timeout)
        defer { client.close() }
        try await Task.sleep(for: Self.timeout * 3)
        let handle = try await client.open("file", flags: .read)
        #expect(try await client.read(handle, offset: 0, length: 10)?.readableBytes == 10)
    }

    @Test func noTimeoutUnlessAsked() async throws {
        let (client, _) = try await ScriptedServer.connect(.init(contents: []))
        defer { client.close() }
        #expect(client.requestTimeout == nil)
    }

    @Test func secondsText() {
        #expect(Duration.seconds(120).secondsText == "120 s")
        #expect(Duration.milliseconds(300).secondsText == "0.3 s")
        #expect(Duration.milliseconds(2050).secondsText == "2.05 s")
        #expect(Duration.milliseconds(1).secondsText == "0.001 s")
    }
}

/// What `StalledServerTests.ending` throws for a body still running at its cap.
struct Hung: Error {}

/// Counter adds up from the pipeline's sink.
final class Counter: Sendable {
    private let total = Locked(0)
    func add(_ count: Int) { total.withLock { $0 += count } }
    var value: Int { total.withLock { $0 } }
}
