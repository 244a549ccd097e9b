import Foundation
import Glibc
import Locking

/// ExitStatus is how a child process ended.
struct ExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// The exit code, or the signal number when `signaled` is true.
    var code: Int32
    /// True when the process was ended by a signal rather than by exiting.
    var signaled: Bool

    var description: String { signaled ? "killed by signal \(code)" : "exit status \(code)" }
}

/// ChildProcess is a program the fixtures started with `posix_spawn`, and
/// reap themselves with `waitpid` on that pid alone.
///
/// Not Foundation's `Process`, for three reasons found the hard way: on Linux
/// it learns that a child ended through a socket pair the child inherits, so
/// when another thread spawns a long-lived server at the same moment, that
/// server inherits the socket too and the end of a 0.5 s `ssh-keygen` goes
/// unnoticed until the server stops; it lets children inherit every
/// descriptor not marked close-on-exec; and it does not reset the signal
/// mask, so a server can start with SIGCHLD blocked and never notice its
/// sessions ending. Here every child gets descriptors 0–2 only, an empty
/// signal mask and default signal actions.
final class ChildProcess: Sendable {
    /// The child's process id.
    let pid: pid_t
    /// True if the child leads a process group of its own.
    let leadsGroup: Bool
    /// True if `OrphanWatchdog` ends the child should the test process die.
    let watched: Bool
    private let reaped = Locked<ExitStatus?>(nil)

    private init(pid: pid_t, leadsGroup: Bool, watched: Bool) {
        self.pid = pid
        self.leadsGroup = leadsGroup
        self.watched = watched
    }

    /// Starts `executable` (an absolute path) with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: the child's environment; the test process's by default.
    ///   - stdin: a file to read standard input from.
    ///   - stdinDescriptor: a descriptor of this process to give the child as
    ///     standard input instead (a socket cannot be opened by path).
    ///   - stdout: a file for standard output (created or truncated, mode 0600;
    ///     appended to when `append`).
    ///   - stderr: a file for standard error; nil sends it to `stdout`.
    ///   - newProcessGroup: start the child in a process group of its own, so
    ///     that it and the children it keeps in that group can be signalled at once.
    ///   - watched: register the child (its group, with `newProcessGroup`)
    ///     with `OrphanWatchdog` until it is reaped.
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                      stdin: String = "/dev/null", stdinDescriptor: Int32? = nil,
                      stdout: String, stderr: String? = nil,
                      append: Bool = false, newProcessGroup: Bool = false,
                      watched: Bool = true) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let outputFlags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        if let stdinDescriptor {
            posix_spawn_file_actions_adddup2(&actions, stdinDescriptor, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, stdout, outputFlags, 0o600)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, outputFlags, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        var environment = environment ?? ProcessInfo.processInfo.environment
        // scripts/sanitize: the children (a sanitized ferry among them) get
        // their own sanitizer options (scripts/sanitize says why).
        if let child = ProcessInfo.processInfo.environment["FERRY_CHILD_ASAN_OPTIONS"] { environment["ASAN_OPTIONS"] = child }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let error = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard error == 0 else {
            throw FixtureError("cannot start \(executable): \(String(cString: strerror(error)))")
        }
        if watched { OrphanWatchdog.shared.register(pid, group: newProcessGroup) }
        return ChildProcess(pid: pid, leadsGroup: newProcessGroup, watched: watched)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the
    /// Glibc module does not import.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Makes the child close every descriptor above 2 that it would inherit
    /// (descriptors other code in the test process opened without
    /// close-on-exec, such as the socket pairs Foundation's `Process` hands
    /// its children).
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
        // Older glibc: close what is open now (a descriptor closed meanwhile
        // is ignored by posix_spawn).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    /// How the child ended, or nil while it runs (reaps it if it has ended).
    var exitStatus: ExitStatus? {
        reaped.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, WNOHANG) } while result < 0 && errno == EINTR
            if result == pid {
                let signal = status & 0x7f
                reaped = signal == 0 ? ExitStatus(code: (status >> 8) & 0xff, signaled: false)
                                     : ExitStatus(code: signal, signaled: true)
            } else if result < 0 {
                reaped = ExitStatus(code: -1, signaled: false)  // ECHILD: reaped by someone else
            }
            // A group lives on while members remain; the server's stop()
            // sees to those.
            if reaped != nil && watched { OrphanWatchdog.shared.unregister(pid, group: leadsGroup) }
            return reaped
        }
    }

    /// Sends `signal` to the child, unless it has been reaped (its pid could
    /// belong to another process by then).
    func send(_ signal: Int32) {
        reaped.withLock { reaped in
            if reaped == nil { kill(pid, signal) }
        }
    }

    /// Waits (suspending, polling every few milliseconds) until the child has
    /// ended or `timeout` passed; nil on timeout.
    func wait(timeout: Duration) async -> ExitStatus? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let status = exitStatus { return status }
            if clock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Blocks the calling thread until the child has ended or `timeout`
    /// passed; nil on timeout. For synchronous clean-up paths only (`stop()`,
    /// `deinit`), which must not suspend.
    func waitBlocking(timeout: Duration) -> ExitStatus? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let status = exitStatus { return status }
            if clock.now >= deadline { return nil }
            usleep(5_000)
        }
    }
}
