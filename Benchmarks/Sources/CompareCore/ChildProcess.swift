import Dispatch
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ProcessOutcome is what one finished child cost and how it ended, read from
/// `wait4`: wall time measured around spawn → reap, CPU and peak RSS from the
/// kernel's rusage (which on Linux includes the child's own reaped children,
/// e.g. the `ssh` that `sftp` and `scp` start).
public struct ProcessOutcome: Sendable, Codable, Equatable {
    /// Exit status, or 128 + signal number when a signal ended the child.
    public var exitStatus: Int32
    /// Seconds from just before `posix_spawn` to just after `wait4` returned.
    public var wallSeconds: Double
    /// ru_utime in seconds.
    public var userSeconds: Double
    /// ru_stime in seconds.
    public var systemSeconds: Double
    /// ru_maxrss in KiB (the largest RSS of the child or any reaped
    /// descendant — but never below the spawner's own; see `PeakMemory`).
    public var maxRSSKiB: Int

    public init(exitStatus: Int32, wallSeconds: Double, userSeconds: Double, systemSeconds: Double, maxRSSKiB: Int) {
        self.exitStatus = exitStatus
        self.wallSeconds = wallSeconds
        self.userSeconds = userSeconds
        self.systemSeconds = systemSeconds
        self.maxRSSKiB = maxRSSKiB
    }

    /// User plus system CPU time.
    public var cpuSeconds: Double { userSeconds + systemSeconds }
    /// True when the child exited with status 0.
    public var succeeded: Bool { exitStatus == 0 }
}

/// SpawnError says which step of starting a child failed.
public struct SpawnError: Error, CustomStringConvertible {
    public var description: String
}

/// ChildProcess is a program started with `posix_spawn`, not Foundation's
/// `Process`: here a daemonizing child makes `Process.waitUntilExit` hang and
/// children inherit the parent's blocked signal mask. We reset the mask and
/// every handler to default, put the child in its own process group (so a
/// cleanup can stop it *and* its descendants with one `kill(-pgid)`), and reap
/// it with `wait4` to read its rusage.
public final class ChildProcess: @unchecked Sendable {
    /// The child's pid (also its process group id).
    public let pid: pid_t
    /// The command line, for messages.
    public let arguments: [String]
    private let started: Double
    // Set once the child is reaped, so no signal is sent to a pid group that
    // may have been reused. The watchdog of `wait(timeout:)` and the signal
    // handler's cleanup read it from other threads.
    private let reapedBox = NIOLockedValueBox(false)
    private var reaped: Bool {
        get { reapedBox.withLockedValue { $0 } }
        set { reapedBox.withLockedValue { $0 = newValue } }
    }
    /// True when the watchdog of `wait(timeout:)` killed the child.
    public private(set) var timedOut: Bool {
        get { timedOutBox.withLockedValue { $0 } }
        set { timedOutBox.withLockedValue { $0 = newValue } }
    }
    private let timedOutBox = NIOLockedValueBox(false)

    private init(pid: pid_t, arguments: [String], started: Double) {
        self.pid = pid
        self.arguments = arguments
        self.started = started
    }

    /// Pass as `stdout` or `stderr` to write to the harness's own stderr
    /// (build logs, apt-get) instead of a file.
    public static let parentStderr = "<stderr>"

    /// Starts `arguments[0]` (a path, or a name looked up in PATH) with the
    /// given standard streams: paths to open (stdin read-only; stdout and
    /// stderr created/truncated), or /dev/null when nil.
    public static func spawn(
        _ arguments: [String],
        stdin: String? = nil,
        stdout: String? = nil,
        stderr: String? = nil,
        environment: [String: String]? = nil
    ) throws -> ChildProcess {
        guard let program = arguments.first else { throw SpawnError(description: "empty command line") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        if stdout == ChildProcess.parentStderr {
            posix_spawn_file_actions_adddup2(&actions, 2, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        if stderr != ChildProcess.parentStderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        let flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let environmentLines: [String]
        if let environment {
            environmentLines = environment.map { "\($0.key)=\($0.value)" }.sorted()
        } else {
            var lines: [String] = []
            var pointer = environ
            while let entry = pointer.pointee {
                lines.append(String(cString: entry))
                pointer += 1
            }
            environmentLines = lines
        }

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environmentLines.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let started = monotonicSeconds()
        let result = posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SpawnError(description: "cannot start \(program): \(String(cString: strerror(result)))")
        }
        let child = ChildProcess(pid: pid, arguments: arguments, started: started)
        ChildRegistry.shared.register(child)
        return child
    }

    /// Blocks until the child ends and returns what it cost. With a timeout,
    /// a watchdog kills the child's process group when it runs longer (a hung
    /// tool must not hang the harness); `timedOut` then says so.
    public func wait(timeout: Double?) -> ProcessOutcome {
        guard let timeout else { return wait() }
        let watchdog = DispatchWorkItem { [self] in
            guard !reaped else { return }
            timedOut = true
            signal(SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let outcome = wait()
        watchdog.cancel()
        return outcome
    }

    /// Blocks until the child ends and returns what it cost.
    public func wait() -> ProcessOutcome {
        var status: Int32 = 0
        var usage = rusage()
        while true {
            let result = wait4(pid, &status, 0, &usage)
            if result == pid { break }
            if result == -1 && errno == EINTR { continue }
            // ECHILD: someone else reaped it; report it as killed.
            ChildRegistry.shared.unregister(self)
            return ProcessOutcome(exitStatus: 128 + SIGKILL, wallSeconds: monotonicSeconds() - started,
                                  userSeconds: 0, systemSeconds: 0, maxRSSKiB: 0)
        }
        let ended = monotonicSeconds()
        ChildRegistry.shared.unregister(self)
        reaped = true
        let exitStatus: Int32
        if status & 0x7f == 0 {
            exitStatus = (status >> 8) & 0xff
        } else {
            exitStatus = 128 + (status & 0x7f)
        }
        return ProcessOutcome(
            exitStatus: exitStatus,
            wallSeconds: ended - started,
            userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            maxRSSKiB: Int(usage.ru_maxrss)
        )
    }

    /// Sends `signal` to the child's whole process group.
    public func signal(_ signal: Int32) {
        guard !reaped else { return }
        _ = kill(-pid, signal)
    }

    /// Asks the group to stop (SIGTERM), then reaps; SIGKILL after `grace` seconds.
    public func terminate(grace: Double = 3) {
        signal(SIGTERM)
        let deadline = monotonicSeconds() + grace
        var status: Int32 = 0
        while monotonicSeconds() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                ChildRegistry.shared.unregister(self)
                return
            }
            usleep(20_000)
        }
        signal(SIGKILL)
        _ = waitpid(pid, &status, 0)
        reaped = true
        ChildRegistry.shared.unregister(self)
    }
}

/// Runs a command to completion; convenience for setup steps.
@discardableResult
public func runCommand(
    _ arguments: [String],
    stdin: String? = nil,
    stdout: String? = nil,
    stderr: String? = nil,
    environment: [String: String]? = nil
) throws -> ProcessOutcome {
    try ChildProcess.spawn(arguments, stdin: stdin, stdout: stdout, stderr: stderr, environment: environment).wait()
}

/// Seconds on the monotonic clock (immune to wall-clock steps).
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
