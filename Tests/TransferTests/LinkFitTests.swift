import Locking
import NIOCore
import SFTP
import SFTPTestSupport
import Testing
@testable import Transfer

/// A stream whose every chunk from the server arrives `delay` late: a
/// long link, for the measured round trip.
private final class DelayedStream: ByteStream, Sendable {
    let base: any ByteStream
    let delay: Duration

    init(_ base: any ByteStream, delay: Duration) {
        self.base = base
        self.delay = delay
    }

    func read() async throws -> ByteBuffer? {
        let chunk = try await base.read()
        try await Task.sleep(for: delay)
        return chunk
    }

    func write(_ data: ByteBuffer) async throws { try await base.write(data) }
    func closeWrite() async throws { try await base.closeWrite() }
}

/// What a transfer keeps in flight follows the round trip the first
/// session measured: few files at once on a nearby link, a larger memory
/// budget on a long one (`TransferOptions.nearbyConcurrentFiles`,
/// `longLinkMemoryBudget`).
@Suite struct LinkFitTests {
    @Test func aNearbyLinkKeepsFewerFilesInFlight() async throws {
        try await withSFTPServer { client, _ in
            await client.limitsResolved()
            let rtt = try #require(client.limitsRoundTrip)
            // Pipes to a local sftp-server answer within microseconds, but
            // a loaded machine can stretch that: the test's own bound is
            // generous, and the rule is the same.
            var options = TransferOptions()
            options.nearbyRoundTrip = .seconds(5)
            options.longRoundTrip = .seconds(10)
            #expect(rtt < options.nearbyRoundTrip)
            let transfer = FileTransfer(client: client, options: options)
            #expect(options.concurrentFiles > options.nearbyConcurrentFiles)
            #expect(transfer.concurrentFiles == options.nearbyConcurrentFiles)
            #expect(options.maxOutstanding > options.nearbyMaxOutstanding)
            #expect(transfer.maxOutstanding == options.nearbyMaxOutstanding)
            #expect(transfer.initialRequests == nil, "the pipeline's own first window nearby")
            transfer.fitToLink()
            #expect(transfer.budget.capacity == options.memoryBudget, "no larger budget nearby")

            // `-R` as given holds on a nearby link too, above the cap or below.
            for asked in [options.nearbyMaxOutstanding * 4, 5] {
                var explicit = options
                explicit.requests(asked)
                #expect(FileTransfer(client: client, options: explicit).maxOutstanding == asked)
            }
            var unset = options
            unset.requests(nil)
            #expect(unset.maxOutstanding == options.maxOutstanding && unset.nearbyMaxOutstanding == options.nearbyMaxOutstanding)
        }
    }

    @Test func aLongLinkGetsTheLargerBudgetAndEveryFileAtOnce() async throws {
        try await Self.withLongLink { client in
            let rtt = try #require(client.limitsRoundTrip)
            let options = TransferOptions()
            #expect(rtt >= options.longRoundTrip)
            let transfer = FileTransfer(client: client, options: options)
            #expect(transfer.concurrentFiles == options.concurrentFiles)
            #expect(transfer.maxOutstanding == options.maxOutstanding)
            #expect(transfer.initialRequests == options.longLinkInitialRequests)
            var few = options
            few.requests(16)
            #expect(FileTransfer(client: client, options: few).initialRequests == 16, "never more than -R")
            #expect(transfer.budget.capacity == options.memoryBudget, "raised only once the link is fitted")
            transfer.fitToLink()
            #expect(transfer.budget.capacity == options.longLinkMemoryBudget)
            #expect(transfer.budget.available == options.longLinkMemoryBudget)
        }
    }

    @Test func aBudgetSetBelowTheDefaultIsRaisedOnlyAsFarAsLongLinkMemoryBudgetSays() async throws {
        try await Self.withLongLink { client in
            var options = TransferOptions()
            options.memoryBudget = 4 << 20
            options.longLinkMemoryBudget = 2 << 20
            let transfer = FileTransfer(client: client, options: options)
            transfer.fitToLink()
            #expect(transfer.budget.capacity == 4 << 20)
        }
    }

    /// A client of a local sftp-server whose answers all come 25 ms late,
    /// its limits (and so its round trip) already in.
    static func withLongLink(_ body: (SFTPClient) async throws -> Void) async throws {
        let server = try SFTPServerProcess(arguments: [])
        defer { server.stop() }
        let client = try await SFTPClient.connect(over: DelayedStream(server, delay: .milliseconds(25)))
        defer { client.close() }
        await client.limitsResolved()
        try await body(client)
    }
}

/// `SFTPSessionPool.close()` ends the sessions still being opened (a
/// sync opens them as it starts, and may find nothing to copy): their
/// tasks are cancelled and waited for, so nothing of the pool's runs on
/// after it (into the process's exit); one that opens all the same is
/// closed at once, and a failure caused by the closing is not reported.
@Suite struct PoolCloseTests {
    @Test func closeCancelsAPendingOpenAndClosesTheLateSession() async throws {
        try await withSFTPServer { primary, _ in
            let late = try SFTPServerProcess(arguments: [])
            defer { late.stop() }
            let lateClient = try await SFTPClient.connect(over: late)
            let gate = AsyncStream.makeStream(of: Void.self)
            let cancelled = Locked(false)
            let closed = Locked(false)
            let pool = SFTPSessionPool(primary: primary)
            pool.open(1) { _ in
                // Never opened but by cancellation: the gate is never passed.
                for await _ in gate.stream { break }
                cancelled.withLock { $0 = Task.isCancelled }
                return SFTPSessionPool.Session(client: lateClient) { closed.withLock { $0 = true } }
            }
            #expect(pool.isOpeningSessions)
            // Would hang here if close neither cancelled nor stopped waiting.
            await pool.close()
            #expect(cancelled.withLock { $0 }, "the open was cancelled")
            #expect(closed.withLock { $0 }, "the late session was closed before close returned")
            #expect(!lateClient.isOpen)
            #expect(!pool.isOpeningSessions)
            #expect(pool.openSessions.count == 1, "only the primary")
            #expect(primary.isOpen, "the primary is its opener's to close")
        }
    }

    @Test func anOpenThatFailsAfterCloseIsNotReported() async throws {
        try await withSFTPServer { primary, _ in
            let gate = AsyncStream.makeStream(of: Void.self)
            let failed = AsyncStream.makeStream(of: Void.self)
            let pool = SFTPSessionPool(primary: primary)
            pool.open(1) { _ in
                for await _ in gate.stream { break }
                defer { failed.continuation.yield() }
                throw SFTPTestError("the connection closed under the open")
            }
            await pool.close()
            gate.continuation.yield()
            var iterator = failed.stream.makeAsyncIterator()
            _ = await iterator.next()
            // The pool takes the failure in (and stops counting the open
            // as pending) under one lock, right after the opener throws.
            while pool.isOpeningSessions { await Task.yield() }
            #expect(pool.openFailures.isEmpty)
        }
    }
}
