import FerryKit
import Foundation
import Testing

// Cancelling a connect: against a port that completes the TCP handshake
// and never says a word (listening, never accepting), the attempt would
// wait for its connect timeout; cancelling the task that awaits it closes
// the socket and throws CancellationError at once, from SSHClient.connect,
// SSHConnectionPlan.connect() and RetryPolicy.run(connectingWith:) alike.

@Suite("Cancelling a connect to a server that never speaks")
struct ConnectCancellationTests {
    /// A plan to the silent port, with a connect timeout far beyond the test's patience.
    static func plan(_ silent: PortHolder, in directory: FixtureDirectory) async throws -> SSHConnectionPlan {
        let config = try directory.write("config", "Host *\n  BatchMode yes\n  UserKnownHostsFile /dev/null\n", mode: 0o600)
        var options = SSHOptions()
        options.configFile = config
        options.environment = [:]
        options.connectTimeout = .seconds(120)
        return try await SSHConnectionPlan.make(SSHDestination(parsing: "nobody@127.0.0.1:\(silent.port)"), options: options)
    }

    /// Runs `connect` in a task, cancels it after `after`, and returns
    /// what it threw and how long it took to end after the cancellation.
    static func cancelled(after: Duration = .milliseconds(300),
                          _ connect: @escaping @Sendable () async throws -> Void) async -> (Error?, Duration) {
        let task = Task { try await connect() }
        try? await Task.sleep(for: after)
        let clock = ContinuousClock()
        let began = clock.now
        task.cancel()
        let result = await task.result
        let took = began.duration(to: clock.now)
        if case .failure(let error) = result { return (error, took) }
        return (nil, took)
    }

    @Test func cancellingAPlansConnectEndsItAtOnce() async throws {
        let silent = try PortHolder()
        defer { withExtendedLifetime(silent) {} }
        let directory = try FixtureDirectory.create(prefix: "ferrykit-cancel-connect")
        defer { directory.remove() }
        let plan = try await Self.plan(silent, in: directory)
        let (error, took) = await Self.cancelled { _ = try await plan.connect() }
        #expect(error is CancellationError, "\(error.map { "\($0)" } ?? "connected")")
        #expect(took < .seconds(2), "the connect went on \(took) after the cancellation")
    }

    @Test func cancellingAConnectBeforeItStartsEndsItAtOnce() async throws {
        let silent = try PortHolder()
        defer { withExtendedLifetime(silent) {} }
        let directory = try FixtureDirectory.create(prefix: "ferrykit-cancel-early")
        defer { directory.remove() }
        let plan = try await Self.plan(silent, in: directory)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            _ = try await plan.connect()
        }
        let clock = ContinuousClock()
        let began = clock.now
        let result = await task.result
        #expect(began.duration(to: clock.now) < .seconds(2))
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func cancellingARetryLoopWhileItConnectsEndsItAtOnce() async throws {
        let silent = try PortHolder()
        defer { withExtendedLifetime(silent) {} }
        let directory = try FixtureDirectory.create(prefix: "ferrykit-cancel-retry")
        defer { directory.remove() }
        let plan = try await Self.plan(silent, in: directory)
        let (error, took) = await Self.cancelled {
            try await RetryPolicy(retries: 5, delay: .zero).run(connectingWith: plan) { connection, _ in
                await connection.close()
            }
        }
        #expect(error is CancellationError, "\(error.map { "\($0)" } ?? "connected")")
        #expect(took < .seconds(2), "the loop went on \(took) after the cancellation")
    }
}
