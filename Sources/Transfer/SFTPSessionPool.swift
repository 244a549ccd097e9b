import SFTP
import Locking

/// SFTPSessionPool holds the SFTP sessions one transfer spreads its work
/// over: several channels on one SSH connection (each with its own
/// window, which is what lifts an upload past sshd's 2 MiB per channel),
/// or sessions on several connections (each its own sshd process, so its
/// own server core). To the transfer they are all alike; who opened them,
/// and how, is the caller's business (`Opener`).
///
/// Files go to the least busy session that is still open; a big file's
/// ranges go to all of them (`RangePlan`). A session that ends in the
/// middle (its channel or connection failed) is left out from then on,
/// and its work goes to the others.
///
/// Sessions may be added while the transfer runs: `open(_:with:)` starts
/// them in the background, so opening them overlaps the first session's
/// planning; a big file waits for them (`settled()`) before it is split.
/// With `growth` set, the pool measures the throughput of its sessions as
/// files start and opens more while `SessionCountPolicy.next` says the
/// windows are the limit.
public final class SFTPSessionPool: Sendable {
    /// One more session and how to close it (its channel, its connection).
    public struct Session: Sendable {
        public let client: SFTPClient
        public let close: @Sendable () async -> Void

        public init(client: SFTPClient, close: @escaping @Sendable () async -> Void) {
            self.client = client
            self.close = close
        }
    }

    /// Opens one more session; `index` counts the sessions opened by it.
    public typealias Opener = @Sendable (_ index: Int) async throws -> Session

    /// What the pool needs to grow by itself.
    public struct Growth: Sendable {
        public var policy: SessionCountPolicy
        /// The round-trip time measured on the first session.
        public var rtt: Duration
        /// The window each session's data is limited by.
        public var window: Int
        public var open: Opener

        public init(policy: SessionCountPolicy, rtt: Duration, window: Int, open: @escaping Opener) {
            self.policy = policy
            self.rtt = rtt
            self.window = window
            self.open = open
        }
    }

    private struct Entry {
        let client: SFTPClient
        let close: (@Sendable () async -> Void)?
        var busy = 0
    }

    private struct State {
        var entries: [Entry]
        var opening: [Task<Void, Never>] = []
        var pendingOpens = 0
        /// `prepare` bodies still running (they decide what to open).
        var preparing = 0
        var opened = 0
        var openFailures: [String] = []
        var growth: Growth?
        var bytes: UInt64 = 0
        var measuredSince: ContinuousClock.Instant?
        var closed = false
        /// A `prepare` body held until the first file needs a session.
        var deferred: (@Sendable (SFTPSessionPool) async -> Void)?
    }

    private let state: Locked<State>
    /// The session the transfer plans on (stat, list, mkdir, rename).
    public let primary: SFTPClient

    public init(primary: SFTPClient) {
        self.primary = primary
        state = Locked(State(entries: [Entry(client: primary, close: nil)]))
    }

    /// Sessions open now (the primary included).
    public var openSessions: [SFTPClient] {
        state.withLock { $0.entries.map(\.client).filter(\.isOpen) }
    }

    /// Sessions held, open or not, and those still being opened.
    public var count: Int { state.withLock { $0.entries.count + $0.pendingOpens } }

    /// Why sessions that were asked for could not be opened (for -v).
    public var openFailures: [String] { state.withLock { $0.openFailures } }

    /// Lets the pool grow by itself as the transfer measures its throughput.
    public func setGrowth(_ growth: Growth?) {
        state.withLock { state in
            state.growth = growth
            state.measuredSince = nil
            state.bytes = 0
        }
    }

    /// Starts opening `count` more sessions with `opener`, in the background.
    public func open(_ count: Int, with opener: @escaping Opener) {
        guard count > 0 else { return }
        state.withLock { state in
            guard !state.closed else { return }
            for _ in 0..<count {
                let index = state.opened
                state.opened += 1
                state.pendingOpens += 1
                state.opening.append(Task { await self.add(index, opener) })
            }
        }
    }

    /// Runs `body` (which measures, decides and calls `open`) in the
    /// background; `settled()` waits for it and for what it opens, so a
    /// big file is split only once the sessions are decided.
    public func prepare(_ body: @escaping @Sendable (SFTPSessionPool) async -> Void) {
        state.withLock { state in
            guard !state.closed else { return }
            state.preparing += 1
            state.opening.append(Task {
                await body(self)
                self.state.withLock { $0.preparing -= 1 }
            })
        }
    }

    /// True while the pool is still deciding or opening the sessions it
    /// was asked for (or holds a `prepareWhenNeeded` body not yet run).
    public var isOpeningSessions: Bool {
        state.withLock { $0.preparing > 0 || $0.pendingOpens > 0 || $0.deferred != nil }
    }

    /// As `prepare`, but held until a file is first leased (or
    /// `startPreparing` is called): a transfer that may copy nothing (a
    /// sync's dry run, which never starts it) opens no sessions.
    public func prepareWhenNeeded(_ body: @escaping @Sendable (SFTPSessionPool) async -> Void) {
        state.withLock { state in
            guard !state.closed else { return }
            state.deferred = body
        }
    }

    /// Runs the body `prepareWhenNeeded` held, if it has not run: called
    /// as soon as the caller knows files will be copied, so the sessions
    /// open while it still plans.
    public func startPreparing() {
        let body = state.withLock { state -> (@Sendable (SFTPSessionPool) async -> Void)? in
            defer { state.deferred = nil }
            return state.deferred
        }
        if let body { prepare(body) }
    }

    private func add(_ index: Int, _ opener: Opener) async {
        let result: Result<Session, Error>
        do { result = .success(try await opener(index)) } catch { result = .failure(error) }
        let late: Session? = state.withLock { state in
            state.pendingOpens -= 1
            switch result {
            case .success(let session):
                if state.closed { return session }
                state.entries.append(Entry(client: session.client, close: session.close))
            case .failure(let error):
                // After `close` a failure is the closing's doing (the
                // connection went first), not worth reporting.
                if !state.closed { state.openFailures.append("\(error)") }
            }
            return nil
        }
        // Opened after the transfer ended: closed at once.
        if let late {
            late.client.close()
            await late.close()
        }
    }

    /// Waits until every session asked for so far is open (or failed).
    public func settled() async {
        while true {
            let tasks = state.withLock { state -> [Task<Void, Never>] in
                defer { state.opening.removeAll() }
                return state.opening
            }
            if tasks.isEmpty { return }
            for task in tasks { await task.value }
        }
    }

    /// Closes every session the pool opened (not the primary, which its
    /// opener closes), and ends what is still being opened: those tasks
    /// are cancelled, so a connection still connecting or authenticating
    /// gives up at once, and a channel still opening is closed as soon as
    /// it opens (`add`). They are waited for, at most a round trip: work
    /// left running would meet the process's exit (OpenSSL's clean-up at
    /// exit under a key exchange in progress crashed a no-change `sync
    /// --connections 2`) or an event loop already shut down. A sync that
    /// found nothing to copy still does not wait for connections to finish
    /// connecting.
    public func close() async {
        let (entries, opening) = state.withLock { state -> ([Entry], [Task<Void, Never>]) in
            state.closed = true
            state.deferred = nil
            defer {
                state.entries = [state.entries[0]]
                state.opening.removeAll()
            }
            return (Array(state.entries.dropFirst()), state.opening)
        }
        for task in opening { task.cancel() }
        for entry in entries {
            entry.client.close()
            await entry.close?()
        }
        for task in opening { await task.value }
    }

    /// A lease on the open session with the fewest files in flight (the
    /// primary while nothing else is open). Give it back with `release`.
    func lease() -> SFTPClient {
        startPreparing()
        considerGrowing()
        return state.withLock { state in
            let open = state.entries.indices.filter { state.entries[$0].client.isOpen }
            let index = open.min { state.entries[$0].busy < state.entries[$1].busy } ?? 0
            state.entries[index].busy += 1
            return state.entries[index].client
        }
    }

    func release(_ client: SFTPClient) {
        state.withLock { state in
            if let index = state.entries.firstIndex(where: { $0.client === client }) {
                state.entries[index].busy = max(0, state.entries[index].busy - 1)
            }
        }
    }

    /// Counts bytes moved, for the growth measurement.
    func moved(_ bytes: Int) {
        state.withLock { state in
            guard state.growth != nil else { return }
            if state.measuredSince == nil { state.measuredSince = .now }
            state.bytes &+= UInt64(max(0, bytes))
        }
    }

    /// Opens more sessions when the policy finds the windows the limit:
    /// measured over at least a few round trips (and 200 ms), then again
    /// from scratch after each growth.
    func considerGrowing() {
        let plan: (Int, Opener)? = state.withLock { state in
            guard !state.closed, let growth = state.growth, let since = state.measuredSince else { return nil }
            let elapsed = SessionCountPolicy.seconds(since.duration(to: .now))
            let needed = max(0.2, 4 * SessionCountPolicy.seconds(growth.rtt))
            guard elapsed >= needed else { return nil }
            let current = state.entries.filter { $0.client.isOpen }.count + state.pendingOpens
            let wanted = growth.policy.next(current: current, rtt: growth.rtt, window: growth.window,
                                            throughput: Double(state.bytes) / elapsed)
            state.measuredSince = nil
            state.bytes = 0
            guard wanted > current else { return nil }
            return (wanted - current, growth.open)
        }
        if let (more, opener) = plan { open(more, with: opener) }
    }
}
