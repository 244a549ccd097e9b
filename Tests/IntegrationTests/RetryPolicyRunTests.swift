import FerryKit
import Foundation
import Locking
import Testing

// RetryPolicy.run, the retry loop of get, put, cp, sync and `sftp -b`:
// what it retries, how it counts, what its observer hears, and that
// cancellation ends its wait at once. No server needed, except for the
// connecting form's refused port and its transfers through a fault proxy.

@Suite("RetryPolicy.run: retries, observer, cancellation")
struct RetryPolicyRunTests {
    static let lost = SSHError(.connectionClosed, "connection closed by peer")
    static let refused = SSHError(.authenticationFailed, "permission denied")

    @Test func lossesAreRetriedAndCounted() async throws {
        let policy = RetryPolicy(retries: 3, delay: .zero)
        var attempts: [RetryPolicy.Attempt] = []
        var retries: [(Int, Int)] = []
        let value = try await policy.run { attempt in
            attempts.append(attempt)
            if attempt.number < 2 { throw Self.lost }
            return 42
        } onRetry: { retry in
            #expect(RetryPolicy.isConnectionLoss(retry.error))
            #expect(retry.delay == .zero)
            retries.append((retry.number, retry.limit))
        }
        #expect(value == 42)
        #expect(attempts == [RetryPolicy.Attempt(number: 0, retriesLeft: 3), RetryPolicy.Attempt(number: 1, retriesLeft: 2),
                             RetryPolicy.Attempt(number: 2, retriesLeft: 1)])
        #expect(retries.map(\.0) == [1, 2] && retries.map(\.1) == [3, 3])
    }

    @Test func theLastLossIsThrown() async throws {
        let policy = RetryPolicy(retries: 2, delay: .milliseconds(1))
        var attempts: [RetryPolicy.Attempt] = []
        var heard = 0
        do {
            _ = try await policy.run { attempt -> Int in
                attempts.append(attempt)
                throw SSHError(.timeout, "try \(attempt.number)")
            } onRetry: { _ in
                heard += 1
            }
            Issue.record("no error thrown")
        } catch let error as SSHError {
            #expect(error.message == "try 2")
        }
        #expect(attempts.count == 3 && heard == 2)
        #expect(attempts.last?.isLast == true && attempts.first?.isLast == false)
    }

    @Test func noRetriesMeansOneTry() async throws {
        var tries = 0
        do {
            _ = try await RetryPolicy.none.run { attempt -> Int in
                tries += 1
                #expect(attempt.isLast)
                throw Self.lost
            }
            Issue.record("no error thrown")
        } catch let error as SSHError {
            #expect(error.code == .connectionClosed)
        }
        #expect(tries == 1)
    }

    @Test func aRefusalIsNotRetried() async throws {
        let policy = RetryPolicy(retries: 5, delay: .zero)
        var tries = 0
        var heard = 0
        do {
            _ = try await policy.run { _ -> Int in
                tries += 1
                throw Self.refused
            } onRetry: { _ in
                heard += 1
            }
            Issue.record("no error thrown")
        } catch let error as SSHError {
            #expect(error.code == .authenticationFailed)
        }
        #expect(tries == 1 && heard == 0)
    }

    @Test func anObserverThatThrowsEndsTheRun() async throws {
        struct GiveUp: Error {}
        let policy = RetryPolicy(retries: 5, delay: .zero)
        var tries = 0
        do {
            _ = try await policy.run { _ -> Int in
                tries += 1
                throw Self.lost
            } onRetry: { _ in
                throw GiveUp()
            }
            Issue.record("no error thrown")
        } catch {
            #expect(error is GiveUp, "\(error)")
        }
        #expect(tries == 1)
    }

    @Test func cancellationEndsTheWaitAtOnce() async throws {
        let policy = RetryPolicy(retries: 3, delay: .seconds(60))
        let waiting = Locked(false)
        let tries = Locked(0)
        let task = Task {
            try await policy.run { _ in
                tries.withLock { $0 += 1 }
                throw Self.lost
            } onRetry: { _ in
                waiting.withLock { $0 = true }
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while !waiting.withLock({ $0 }), clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(waiting.withLock { $0 }, "the observer was not called")
        let cancelled = clock.now
        task.cancel()
        let result = await task.result
        #expect(cancelled.duration(to: clock.now) < .seconds(2), "the wait went on after the cancellation")
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(tries.withLock { $0 } == 1, "no try after the cancellation")
    }

    @Test func aLossAfterCancellationIsNotRetried() async throws {
        let policy = RetryPolicy(retries: 3, delay: .zero)
        let tries = Locked(0)
        let task = Task {
            try await policy.run { _ in
                tries.withLock { $0 += 1 }
                // Cancelled while it runs, the try ends as a cut would.
                withUnsafeCurrentTask { $0?.cancel() }
                throw Self.lost
            }
        }
        await #expect(throws: SSHError.self) { try await task.value }
        #expect(tries.withLock { $0 } == 1)
    }

    @Test func aRefusedPortIsRetriedThroughThePlan() async throws {
        // A port nothing listens on: each connect is refused at once.
        let port = try PortPicker.freePort()
        let directory = try FixtureDirectory.create(prefix: "ferrykit-retry")
        defer { directory.remove() }
        let config = try directory.write("config", "Host *\n  BatchMode yes\n", mode: 0o600)
        var options = SSHOptions()
        options.configFile = config
        options.environment = [:]
        let plan = try await SSHConnectionPlan.make(SSHDestination(parsing: "nobody@127.0.0.1:\(port)"), options: options)
        var heard: [Int] = []
        var tries = 0
        do {
            try await RetryPolicy(retries: 2, delay: .milliseconds(10)).run(connectingWith: plan) { connection, _ in
                tries += 1
                await connection.close()
            } onRetry: { retry in
                heard.append(retry.number)
            }
            Issue.record("connected to a closed port")
        } catch let error as SSHError {
            #expect(RetryPolicy.isConnectionLoss(error), "\(error)")
        }
        #expect(heard == [1, 2] && tries == 0)
    }

    /// A download through a proxy that cuts the first connection 1 MiB
    /// into a 4 MiB file, in `run(connectingWith:)`; the attempts it took.
    static func downloadOverACut(retries: Int) async throws -> (tries: Int, copy: String, cuts: Int, heard: [any Error]) {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let remote = "\(sshd.scratchDirectory)/big"
        try await Proof.makeRandomFile(remote, bytes: 4 << 20, seed: 0x21)
        Proof.giveToAccount(remote, sshd)
        let server = try FaultedServer(sshd, first: .cut(after: 1 << 20, .toClient))
        defer { server.stop() }
        let files = try FixtureDirectory.create(prefix: "ferrykit-retry-transfer", traversable: true)
        let options = try ConnectionLifetimeTests.proxiedOptions(server, in: files)
        let plan = try await SSHConnectionPlan.make(SSHDestination(parsing: "box"), options: options)
        var tries = 0
        var heard: [any Error] = []
        let copy = files.file("big")
        do {
            try await RetryPolicy(retries: retries, delay: .milliseconds(10)).run(connectingWith: plan) { connection, _ in
                tries += 1
                let sftp = try await connection.openSFTP()
                try await sftp.download(remote, to: copy)
                await sftp.close()
                await connection.close()
            } onRetry: { retry in
                heard.append(retry.error)
            }
        } catch {
            files.remove()
            throw error
        }
        let same = try await Proof.sha256(copy) == Proof.sha256(remote)
        files.remove()
        return (tries, same ? "identical" : "differs", server.proxy.faultsDone, heard)
    }

    @Test("a download that fails because its connection was cut is retried on a new connection")
    func aTransferFailureOnALostConnectionIsRetried() async throws {
        let run = try await Self.downloadOverACut(retries: 2)
        #expect(run.tries == 2 && run.copy == "identical" && run.cuts == 1, "\(run)")
        let errors = run.heard
        #expect(errors.count == 1 && errors.allSatisfy { RetryPolicy.isConnectionLoss($0) }, "onRetry hears the loss: \(errors)")
    }

    @Test("on the last try the attempt's own error is thrown, with its report")
    func theLastTryThrowsTheTransferFailure() async throws {
        do {
            let run = try await Self.downloadOverACut(retries: 0)
            Issue.record("the cut download succeeded: \(run)")
        } catch let failure as TransferFailure {
            #expect(failure.report.files == 0 && !failure.report.failures.isEmpty, "\(failure)")
        }
    }
}
