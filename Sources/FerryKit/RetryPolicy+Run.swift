extension RetryPolicy {
    /// Attempt is one try of ``RetryPolicy/run(isolation:_:onRetry:)``:
    /// which one it is, and how many may follow it.
    public struct Attempt: Sendable, Equatable {
        /// 0 for the first try, 1 for the first retry, and so on.
        public let number: Int
        /// The retries left should this try lose its connection; 0 on the last.
        public let retriesLeft: Int

        public init(number: Int, retriesLeft: Int) {
            self.number = number
            self.retriesLeft = retriesLeft
        }

        /// True on the last try: a connection lost now is not retried.
        public var isLast: Bool { retriesLeft == 0 }
    }

    /// Retry is what ``RetryPolicy/run(isolation:_:onRetry:)`` tells its
    /// observer before it waits and tries again: enough for a line such as
    /// "connection lost: …; reconnecting (1/3) in 2 s".
    public struct Retry: Sendable {
        /// 1 for the first retry, up to `limit`.
        public let number: Int
        /// The retries the policy allows (``RetryPolicy/retries``).
        public let limit: Int
        /// The wait before the retry (``RetryPolicy/delay``).
        public let delay: Duration
        /// Why the try before it ended: a connection loss
        /// (``RetryPolicy/isConnectionLoss(_:)`` is true of it).
        public let error: any Error

        public init(number: Int, limit: Int, delay: Duration, error: any Error) {
            self.number = number
            self.limit = limit
            self.delay = delay
            self.error = error
        }
    }

    /// Runs `attempt` until it returns, trying again after each connection
    /// loss while retries remain.
    ///
    /// When `attempt` throws an error that ``isConnectionLoss(_:)`` accepts
    /// and a retry remains, `onRetry` is called, then `run` waits
    /// ``delay`` and calls `attempt` again. Any other error, the loss that
    /// ends the last try, and an error `onRetry` throws end the run: `run`
    /// throws it. Nothing is retried once the task is cancelled, and the
    /// wait ends at once when it is: `run` then throws `CancellationError`.
    ///
    /// ```swift
    /// let policy = RetryPolicy(retries: 3, delay: .seconds(2))
    /// let names = try await policy.run { _ in
    ///     try await listRemoteDirectory()
    /// } onRetry: { retry in
    ///     print("\(retry.error); retrying (\(retry.number)/\(retry.limit))")
    /// }
    /// ```
    public func run<Value>(isolation: isolated (any Actor)? = #isolation,
                           _ attempt: (Attempt) async throws -> Value,
                           onRetry: (Retry) async throws -> Void = { _ in }) async throws -> Value {
        var number = 0
        while true {
            try Task.checkCancellation()
            let retriesLeft = max(0, retries - number)
            do {
                return try await attempt(Attempt(number: number, retriesLeft: retriesLeft))
            } catch {
                guard retriesLeft > 0, !Task.isCancelled, Self.isConnectionLoss(error) else { throw error }
                number += 1
                try await onRetry(Retry(number: number, limit: retries, delay: delay, error: error))
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Connects through `plan` and runs `attempt` on the connection, with a
    /// new connection for each retry (see ``run(isolation:_:onRetry:)``).
    /// A loss while connecting (a refused or cut TCP connection, a timeout)
    /// is retried as one under `attempt` is; a refusal (host key,
    /// authentication) is not. The plan asks nobody for a passphrase again.
    ///
    /// When `attempt` returns, the connection is the caller's: close it, or
    /// keep it in what `attempt` returns. When `attempt` throws, `run`
    /// closes it.
    ///
    /// An error of the attempt's own that is not a connection loss (a
    /// `TransferFailure` whose files failed with the connection, a
    /// `CommandFailure`) still counts as one when the connection was lost
    /// under it: while a retry remains, `onRetry` hears the connection's
    /// loss and the attempt runs again on a new connection; on the last
    /// try `run` throws the attempt's own error (with its report).
    ///
    /// ```swift
    /// let plan = try await SSHConnectionPlan.make(SSHDestination(parsing: "build-box"))
    /// let result = try await RetryPolicy(retries: 5, delay: .seconds(10)).run(connectingWith: plan) { connection, _ in
    ///     let result = try await connection.run("make -q all", timeout: .seconds(600))
    ///     await connection.close()
    ///     return result
    /// }
    /// ```
    public func run<Value>(connectingWith plan: SSHConnectionPlan,
                           isolation: isolated (any Actor)? = #isolation,
                           _ attempt: (SSHConnection, Attempt) async throws -> Value,
                           onRetry: (Retry) async throws -> Void = { _ in }) async throws -> Value {
        try await run(isolation: isolation, { current in
            let connection = try await SSHConnection.connect(plan)
            do {
                try Task.checkCancellation()
                return try await attempt(connection, current)
            } catch {
                // Asked before closing, which ends the connection on purpose.
                let lost = Self.isConnectionLoss(error) ? nil : await connection.client.connectionFailure
                await connection.close()
                if let lost, Self.isConnectionLoss(lost), !current.isLast { throw lost }
                throw error
            }
        }, onRetry: onRetry)
    }
}
