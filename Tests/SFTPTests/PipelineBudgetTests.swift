import Foundation
import NIOCore
import SFTPTestSupport
import Testing
@testable import SFTP

/// The shared byte budget, the first window of a file of known size, and
/// FSETSTAT+CLOSE sent together.
@Suite struct PipelineBudgetTests {
    @Test func waitersAreServedInOrderAndBlockTryAcquire() async throws {
        let budget = PipelineBudget(bytes: 10)
        #expect(budget.tryAcquire(10))
        #expect(!budget.tryAcquire(1))
        let waiter = Task { await budget.acquire(5) }
        while budget.waiting == 0 { await Task.yield() }
        budget.release(3)
        // 3 free, but someone waits for 5: a newcomer may not cut in.
        #expect(!budget.tryAcquire(1))
        budget.release(2)
        #expect(await waiter.value == 5)
        #expect(budget.available == 0)
        budget.release(5)
        #expect(budget.available == 5)
    }

    @Test func requestsLargerThanTheBudgetAreClamped() async {
        let budget = PipelineBudget(bytes: 10)
        #expect(await budget.acquire(100) == 10)
        budget.release(100)
        #expect(budget.available == 10)
    }

    @Test func raisingTheCapacityFreesTheDifferenceAndWakesWhoNowFits() async {
        let budget = PipelineBudget(bytes: 10)
        #expect(budget.tryAcquire(8))
        let waiter = Task { await budget.acquire(10) }
        while budget.waiting == 0 { await Task.yield() }
        budget.raise(to: 20)
        // 2 free + 10 more: the waiter's 10 fit.
        #expect(await waiter.value == 10)
        #expect(budget.capacity == 20)
        #expect(budget.available == 2)
        budget.release(18)
        #expect(budget.available == 20)
        // Asking for more than the old capacity is no longer clamped to it.
        #expect(await budget.acquire(15) == 15)
        budget.release(15)
    }

    @Test func raisingNeverLowers() {
        let budget = PipelineBudget(bytes: 10)
        #expect(budget.tryAcquire(4))
        budget.raise(to: 5)
        #expect(budget.capacity == 10)
        #expect(budget.available == 6)
        budget.release(4)
        #expect(budget.available == 10)
    }

    @Test func initialWindowCoversAKnownSizePlusTheEOFProbe() {
        #expect(PipelineWindow.initial(covering: nil, block: 1000) == 1)
        #expect(PipelineWindow.initial(covering: 0, block: 1000) == 1)
        #expect(PipelineWindow.initial(covering: 1, block: 1000) == 2)
        #expect(PipelineWindow.initial(covering: 1000, block: 1000) == 2)
        #expect(PipelineWindow.initial(covering: 1001, block: 1000) == 3)
        #expect(PipelineWindow.initial(covering: 1 << 40, block: 1000) == PipelineWindow.initialCap)
        // A caller that knows the link holds more raises the cap only.
        #expect(PipelineWindow.initial(covering: 1 << 40, block: 1000, cap: 64) == 64)
        #expect(PipelineWindow.initial(covering: 3000, block: 1000, cap: 64) == 4)
        #expect(PipelineWindow.initial(covering: 1 << 40, block: 1000, cap: 0) == 1)
    }

    /// The server answers nothing until 20 READs arrived: a pipeline told
    /// to start with 20 (a long link) sends them at once; with the default
    /// first window of 8 it would wait here for ever.
    @Test(.timeLimit(.minutes(1))) func aPipelineStartsWithTheInitialRequestsItIsGiven() async throws {
        let contents = Array((0..<30_000).map { UInt8(truncatingIfNeeded: $0 &* 11) })
        let (client, server) = try await ScriptedServer.connect(.init(contents: contents, holdUntilReads: 20))
        defer { client.close() }
        let handle = try await client.open("file", flags: .read)
        var received: [UInt8] = []
        let end = try await ReadPipeline(client: client, handle: handle, blockLength: 1000, expectedSize: 30_000,
                                         initialRequests: 20)
            .run { _, data in received += data.readableBytesView }
        #expect(end == 30_000)
        #expect(received == contents)
        #expect(await server.reads >= 20)
    }

    /// The server answers nothing until two READs arrived: a pipeline that
    /// knows the size asks for the data and the EOF probe together, so a
    /// small file costs one round trip (without the size it would wait
    /// for the first reply and hang here).
    @Test(.timeLimit(.minutes(1))) func knownSmallFileIsReadInOneRoundTrip() async throws {
        let contents = Array((0..<700).map { UInt8(truncatingIfNeeded: $0) })
        let (client, server) = try await ScriptedServer.connect(.init(contents: contents, holdUntilReads: 2))
        defer { client.close() }
        let handle = try await client.open("file", flags: .read)
        var received: [UInt8] = []
        let end = try await ReadPipeline(client: client, handle: handle, blockLength: 1000, expectedSize: 700)
            .run { _, data in received += data.readableBytesView }
        #expect(end == 700)
        #expect(received == contents)
        #expect(await server.reads == 2)
    }

    /// Replies in order: the data comes before the probe's EOF. Nothing may
    /// be asked past the listed size until the probe has answered, or the
    /// file costs another round trip for a read that can only find EOF.
    @Test func nothingIsAskedPastTheProbeBeforeItAnswers() async throws {
        let contents = Array((0..<700).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let (client, server) = try await ScriptedServer.connect(.init(contents: contents))
        defer { client.close() }
        let handle = try await client.open("file", flags: .read)
        var received: [UInt8] = []
        try await ReadPipeline(client: client, handle: handle, blockLength: 1000, expectedSize: 700)
            .run { _, data in received += data.readableBytesView }
        #expect(received == contents)
        #expect(await server.reads == 2, "the data request and the EOF probe, nothing more")
    }

    /// A file that grew after it was listed is read to its real end: the
    /// size is a hint, not a limit.
    @Test func aFileLongerThanExpectedIsReadWhole() async throws {
        let contents = Array((0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 3) })
        let (client, _) = try await ScriptedServer.connect(.init(contents: contents))
        defer { client.close() }
        let handle = try await client.open("file", flags: .read)
        var received: [UInt8] = []
        try await ReadPipeline(client: client, handle: handle, blockLength: 1000, expectedSize: 1_500)
            .run { _, data in received += data.readableBytesView }
        #expect(received == contents)
    }

    /// Two files read at once through one small budget: the READs
    /// outstanding over both never hold more bytes than the budget.
    @Test func concurrentPipelinesShareTheBudget() async throws {
        try await withSFTPServer { client, dir in
            let a = Array((0..<50_000).map { UInt8(truncatingIfNeeded: $0) })
            let b = Array((0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 5) })
            try dir.create("a", Data(a))
            try dir.create("b", Data(b))
            let budget = PipelineBudget(bytes: 3_000)
            let ha = try await client.open(dir.sftp("a"), flags: .read)
            let hb = try await client.open(dir.sftp("b"), flags: .read)
            let peak = Peak()
            async let readA = Self.read(client, ha, budget, peak)
            async let readB = Self.read(client, hb, budget, peak)
            let (gotA, gotB) = try await (readA, readB)
            #expect(gotA == a)
            #expect(gotB == b)
            #expect(peak.value <= 3, "READs of 1000 bytes outstanding at once: \(peak.value)")
            #expect(peak.value >= 2)
            #expect(budget.available == 3_000)
        }
    }

    private final class Peak: @unchecked Sendable {
        private let lock = NSLock()
        private var peak = 0
        var value: Int { lock.withLock { peak } }
        func record(_ n: Int) { lock.withLock { peak = max(peak, n) } }
    }

    private static func read(_ client: SFTPClient, _ handle: SFTPHandle, _ budget: PipelineBudget, _ peak: Peak) async throws -> [UInt8] {
        var received: [UInt8] = []
        try await ReadPipeline(client: client, handle: handle, blockLength: 1000, budget: budget).run { _, data in
            peak.record(client.connection.outstanding)
            received += data.readableBytesView
        }
        try await client.close(handle)
        return received
    }

    @Test func fsetstatAndCloseTogether() async throws {
        try await withSFTPServer { client, dir in
            let handle = try await client.open(dir.sftp("f"), flags: [.write, .create, .truncate])
            try await client.write(handle, offset: 0, data: ByteBuffer(bytes: [1, 2, 3]))
            let times = SFTPAttributes.Times(accessTime: 1_000_000, modificationTime: 1_234_567)
            try await client.close(handle, setting: SFTPAttributes(permissions: 0o640, times: times))
            let attributes = try await client.stat(dir.sftp("f"))
            #expect(attributes.permissions.map { $0 & 0o777 } == 0o640)
            #expect(attributes.times?.modificationTime == 1_234_567)
            #expect(attributes.size == 3)
            // The handle is gone: closing it again is the server's error.
            await #expect(throws: SFTPError.self) { try await client.close(handle) }
        }
    }
}

/// limits@openssh.com not awaited at connect (what `openSFTP` does to save a
/// round trip): the pipelines wait for the answer before sizing blocks.
@Suite struct DeferredLimitsTests {
    @Test func pipelinesWaitForDeferredLimits() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let contents = Array((0..<600_000).map { UInt8(truncatingIfNeeded: $0 &* 11) })
        try directory.create("data", Data(contents))
        let server = try SFTPServerProcess(arguments: [])
        defer { server.stop() }
        let client = try await SFTPClient.connect(over: server, awaitLimits: false)
        defer { client.close() }
        let pipelineBeforeLimits = ReadPipeline(client: client, handle: try await client.open(directory.sftp("data"), flags: .read))
        var sizes: [Int] = []
        try await pipelineBeforeLimits.run { _, data in sizes.append(data.readableBytes) }
        #expect(sizes.reduce(0, +) == contents.count)
        #expect(sizes.max() == 255 * 1024, "blocks sized by the server's limits once they arrived")
        let limits = try #require(await client.limitsResolved())
        #expect(limits.maxReadLength == 255 * 1024)
    }
}
