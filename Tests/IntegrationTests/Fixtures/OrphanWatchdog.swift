import Glibc
import Locking

/// OrphanWatchdog cleans up after a test process that died without stopping
/// its servers (a crash, a trap in the code under test, a killed run): it
/// ends the processes the fixtures started (servers with their process
/// groups, clients) and removes the fixtures' temporary directories, so that
/// not even a crash leaves an sshd behind.
///
/// It is a small shell process with its stdin on one end of a socket pair;
/// the test process holds the other end (close-on-exec, so no child inherits
/// it) and writes "+g <pgid>" when a server starts in a process group of its
/// own, "+p <pid>" when another child starts, "+d <path>" when a temporary
/// directory is made, and the same with "-" once they are reaped or removed.
/// When the test process ends, however it ends, the kernel closes its end;
/// the watchdog reads end-of-file, sends SIGTERM, then SIGKILL, to every
/// group and process still registered, and removes every directory still
/// registered. A connection process a server moved out of its group dies
/// with its connection, whose client is gone.
final class OrphanWatchdog: Sendable {
    /// The watchdog of this test process, started on first use.
    static let shared = OrphanWatchdog()

    private static let script = """
        trap '' INT HUP
        groups=""
        directories=""
        while IFS= read -r line; do
            item="${line#?? }"
            case "$line" in
                "+g "*) groups="$groups -$item" ;;
                "+p "*) groups="$groups $item" ;;
                "+d "*) directories="$directories $item" ;;
                "-g "*) kept=""
                        for g in $groups; do [ "$g" = "-$item" ] || kept="$kept $g"; done
                        groups="$kept" ;;
                "-p "*) kept=""
                        for g in $groups; do [ "$g" = "$item" ] || kept="$kept $g"; done
                        groups="$kept" ;;
                "-d "*) kept=""
                        for d in $directories; do [ "$d" = "$item" ] || kept="$kept $d"; done
                        directories="$kept" ;;
            esac
        done
        if [ -n "$groups" ]; then
            for g in $groups; do kill -s TERM -- "$g" 2>/dev/null; done
            sleep 2
            for g in $groups; do kill -s KILL -- "$g" 2>/dev/null; done
        fi
        for d in $directories; do rm -rf -- "$d"; done
        exit 0
        """

    private struct State {
        var socket: Int32 = -1
        var watchdog: ChildProcess?
        var failure: String?
    }

    private let state = Locked(State())

    /// Registers a child just started: its process group if it leads one,
    /// else the process alone.
    func register(_ pid: Int32, group: Bool) { send(group ? "+g \(pid)\n" : "+p \(pid)\n") }

    /// Unregisters a child once it is reaped (its id may be reused from then on).
    func unregister(_ pid: Int32, group: Bool) { send(group ? "-g \(pid)\n" : "-p \(pid)\n") }

    /// Registers a temporary directory to remove if the test process dies.
    /// Paths with white space are not registered (the watchdog splits on it).
    func register(directory: String) {
        if !directory.contains(where: \.isWhitespace) { send("+d \(directory)\n") }
    }

    /// Unregisters a directory removed by its owner.
    func unregister(directory: String) {
        if !directory.contains(where: \.isWhitespace) { send("-d \(directory)\n") }
    }

    /// Closes this process's end, as the process's exit would: the watchdog
    /// ends every group still registered. For the watchdog's own test.
    func close() {
        state.withLock { state in
            if state.socket >= 0 { Glibc.close(state.socket) }
            state.socket = -1
        }
    }

    /// The watchdog process, once started (nil before the first registration).
    var process: ChildProcess? { state.withLock { $0.watchdog } }

    private func send(_ line: String) {
        state.withLock { state in
            if state.socket < 0 && state.failure == nil && state.watchdog == nil {
                do { try Self.start(&state) } catch { state.failure = "\(error)" }
            }
            guard state.socket >= 0 else { return }
            let bytes = Array(line.utf8)
            // MSG_NOSIGNAL: a dead watchdog must not kill the test process with SIGPIPE.
            _ = bytes.withUnsafeBytes { Glibc.send(state.socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    private static func start(_ state: inout State) throws {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw FixtureError("socketpair: \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(ends[1]) }
        // A process group of its own: an interrupt sent to the test run's
        // group must not end the watchdog before the test process.
        state.watchdog = try ChildProcess.spawn("/bin/sh", ["-c", script, "ferry-fixture-watchdog"],
                                                stdinDescriptor: ends[1], stdout: "/dev/null",
                                                newProcessGroup: true, watched: false)
        state.socket = ends[0]
    }
}
