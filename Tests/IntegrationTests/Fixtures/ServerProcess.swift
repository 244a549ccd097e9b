import Foundation
import Glibc
import Locking

/// ServerProcess is one long-running server (sshd, dropbear, socat) started
/// by a fixture, with stdout and stderr going to a log file.
///
/// It runs in a process group of its own. `stop()` ends the server and every
/// process it started — per-connection children, user shells (which sshd
/// moves to sessions of their own), commands they run — so that a test run
/// never leaves a process behind, whatever state a client under test left
/// its connections in.
final class ServerProcess: Sendable {
    /// The server's process id (also its process group id).
    var pid: Int32 { child.pid }
    /// Where the server's stdout and stderr go.
    let logPath: String

    private let child: ChildProcess
    private let stopped = Locked(false)

    private init(child: ChildProcess, logPath: String) {
        self.child = child
        self.logPath = logPath
    }

    /// Starts `executable` with `arguments`, stdin from /dev/null and
    /// stdout+stderr to `logPath`.
    static func launch(_ executable: String, _ arguments: [String], logPath: String) throws -> ServerProcess {
        let child = try ChildProcess.spawn(executable, arguments, stdout: logPath, newProcessGroup: true)
        return ServerProcess(child: child, logPath: logPath)
    }

    /// How the server ended, or nil while it runs.
    var exitStatus: ExitStatus? { child.exitStatus }

    /// Everything the server has logged so far.
    func readLog() -> String {
        FileManager.default.contents(atPath: logPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The live processes started by the server, directly or not (from
    /// /proc; zombies excluded).
    func descendants() -> [Int32] {
        ProcessTable.descendants(of: pid)
    }

    /// Ends the server and all its descendants, and returns when they are
    /// gone. Idempotent; safe to call from `deinit`.
    ///
    /// The process tree is taken down from the leaves: SIGTERM to the
    /// processes without children (a session's command, a connection's
    /// unprivileged child…), wait until their parents have reaped them, and
    /// again, until only the server is left; then the server. Every process
    /// is so reaped by its own parent: one orphaned to init first could
    /// linger as a zombie, which `pgrep` still lists. A parent that keeps
    /// starting new children (a shell loop) is signalled itself after three
    /// rounds. Whatever is still there after `grace` gets SIGKILL, as does
    /// the server's process group.
    func stop(grace: Duration = .seconds(3)) {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        var seen = Set<Int32>()
        var roundsAsParent: [Int32: Int] = [:]
        while clock.now < deadline {
            let tree = ProcessTable.tree(below: pid)
            let descendants = tree.keys
            if descendants.isEmpty { break }
            seen.formUnion(descendants)
            var targets = Set(descendants.filter { tree[$0]?.isEmpty ?? true })
            let parents = Set(targets.compactMap { ProcessTable.status(of: $0)?.parent }).subtracting([pid])
            for parent in parents {
                roundsAsParent[parent, default: 0] += 1
                if roundsAsParent[parent, default: 0] >= 3 { targets.insert(parent) }
            }
            for target in targets { kill(target, SIGTERM) }
            let roundEnd = min(deadline, clock.now.advanced(by: .milliseconds(500)))
            while clock.now < roundEnd && targets.contains(where: ProcessTable.exists) { usleep(2_000) }
        }
        child.send(SIGTERM)
        if ProcessTable.allGone(seen, within: max(deadline - clock.now, .seconds(1)), besides: child) { return }

        seen.formUnion(descendants())
        signalAll(seen, SIGKILL)
        _ = ProcessTable.allGone(seen, within: .seconds(2), besides: child)
    }

    /// Sends `signal` to the server's process group, the server, and `pids`.
    private func signalAll(_ pids: Set<Int32>, _ signal: Int32) {
        // The group outlives the server while members remain, and its id
        // cannot be reused meanwhile; once the server is reaped and the
        // known processes are gone, it is left alone.
        if child.exitStatus == nil || pids.contains(where: ProcessTable.isAlive) { kill(-pid, signal) }
        child.send(signal)
        for descendant in pids where ProcessTable.isAlive(descendant) { kill(descendant, signal) }
    }

    deinit {
        stop()
    }
}

/// ProcessTable reads the kernel's process table (/proc) for the fixtures.
enum ProcessTable {
    /// Parent pid and state letter of `pid`, from /proc/<pid>/stat; nil if
    /// there is no such process.
    static func status(of pid: Int32) -> (parent: Int32, state: Character)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // "pid (comm) S ppid …" — comm may contain spaces and parentheses.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 2, let state = fields[0].first, let parent = Int32(fields[1]) else { return nil }
        return (parent, state)
    }

    /// True if `pid` exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let status = status(of: pid) else { return false }
        return status.state != "Z" && status.state != "X"
    }

    /// True if `pid` is in the process table at all (alive, or a zombie not
    /// yet reaped).
    static func exists(_ pid: Int32) -> Bool {
        status(of: pid) != nil
    }

    /// The live descendants of `root` (children, their children, …), each
    /// with its live children.
    static func tree(below root: Int32) -> [Int32: [Int32]] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [:] }
        var children: [Int32: [Int32]] = [:]
        for entry in entries {
            guard let pid = Int32(entry), let status = status(of: pid),
                  status.state != "Z", status.state != "X" else { continue }
            children[status.parent, default: []].append(pid)
        }
        var found: [Int32: [Int32]] = [:]
        var queue = children[root] ?? []
        while let next = queue.popLast() {
            found[next] = children[next] ?? []
            queue += children[next] ?? []
        }
        return found
    }

    /// All live descendants of `root`.
    static func descendants(of root: Int32) -> [Int32] {
        Array(tree(below: root).keys)
    }

    /// Waits up to `timeout` until `child` has ended (and is reaped) and none
    /// of `pids` is alive; true if that happened.
    static func allGone(_ pids: Set<Int32>, within timeout: Duration, besides child: ChildProcess) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if child.exitStatus != nil && !pids.contains(where: isAlive) { return true }
            if clock.now >= deadline { return false }
            usleep(5_000)
        }
    }
}
