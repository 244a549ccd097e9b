import Dispatch
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ChildRegistry remembers everything the harness started that must not
/// outlive it: live children (sshd, tools) and cleanup actions (stop the delay
/// proxy, remove temporary folders). `cleanUp()` runs on a normal exit, on an
/// error, and from the SIGINT/SIGTERM handler, so a Ctrl-C never leaves an
/// sshd listening or a GiB of test data on /dev/shm.
public final class ChildRegistry: Sendable {
    /// The one registry of this process.
    public static let shared = ChildRegistry()

    private struct State {
        var children: [pid_t: ChildProcess] = [:]
        var actions: [(id: Int, action: @Sendable () -> Void)] = []
        var nextID = 0
        var stopping = false
    }
    private let state = NIOLockedValueBox(State())
    /// Held for the whole of a cleanup, so a second caller (the main thread
    /// finishing while the signal handler cleans up) waits for the first
    /// instead of exiting with the work half done.
    private let cleanupLock = NIOLock()

    /// True once cleanup has begun (a signal arrived): no new work should start.
    public var isStopping: Bool { state.withLockedValue { $0.stopping } }

    func register(_ child: ChildProcess) {
        let stopping = state.withLockedValue { state -> Bool in
            state.children[child.pid] = child
            return state.stopping
        }
        // Started while a cleanup ran: stop it at once.
        if stopping { child.signal(SIGKILL) }
    }

    func unregister(_ child: ChildProcess) {
        state.withLockedValue { _ = $0.children.removeValue(forKey: child.pid) }
    }

    /// Adds an action for `cleanUp()`; actions run last-added first. Returns an
    /// id for `remove(_:)`.
    @discardableResult
    public func onCleanUp(_ action: @escaping @Sendable () -> Void) -> Int {
        state.withLockedValue { state in
            state.nextID += 1
            state.actions.append((state.nextID, action))
            return state.nextID
        }
    }

    /// Runs and forgets the action with this id (a resource stopped early).
    public func runAndRemove(_ id: Int) {
        let action = state.withLockedValue { state -> (@Sendable () -> Void)? in
            guard let index = state.actions.firstIndex(where: { $0.id == id }) else { return nil }
            return state.actions.remove(at: index).action
        }
        action?()
    }

    /// Stops every live child group (SIGTERM, then SIGKILL after a grace
    /// period) and runs the cleanup actions. Safe to call more than once.
    public func cleanUp() {
        cleanupLock.lock()
        defer { cleanupLock.unlock() }
        let (children, actions) = state.withLockedValue { state in
            state.stopping = true
            let result = (Array(state.children.values), state.actions.reversed().map(\.action))
            state.children = [:]
            state.actions = []
            return result
        }
        for child in children { child.signal(SIGTERM) }
        if !children.isEmpty {
            usleep(300_000)
            for child in children { child.signal(SIGKILL) }
        }
        for action in actions { action() }
    }

    /// After a signal: waits for the handler's cleanup and exit, so the main
    /// thread neither reports a half run nor exits first. Returns at once
    /// when no signal arrived.
    public func yieldToSignalHandler() {
        guard isStopping else { return }
        cleanUp()
        while true { pause() }
    }

    /// Installs SIGINT/SIGTERM handlers that clean up and exit with 128 +
    /// the signal. The sources must be kept alive by the caller.
    public func installSignalHandlers() -> [any DispatchSourceSignal] {
        let queue = DispatchQueue(label: "Compare.signals")
        return [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                let message = "\nCompare: signal \(number): stopping sshd, proxies and tools, removing temporary files\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                cleanUp()
                _exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}
