import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ProxyCommandProcess runs an ssh_config `ProxyCommand` as `/bin/sh -c
/// "exec COMMAND"` (as ssh does) with pipes on its stdin and stdout: the SSH
/// connection then runs over those pipes instead of a TCP socket. Its stderr
/// is ours, so the command's messages reach the user.
final class ProxyCommandProcess: @unchecked Sendable {
    // @unchecked: pid and descriptors are set once in init and only read after.
    let pid: pid_t
    /// We read the command's stdout from here.
    let readDescriptor: Int32
    /// We write to the command's stdin here.
    let writeDescriptor: Int32

    init(command: String) throws {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0 else { throw SSHError(.io, "ProxyCommand: pipe failed: \(String(cString: strerror(errno)))") }
        guard pipe(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            throw SSHError(.io, "ProxyCommand: pipe failed: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        for fd in [toChild[0], toChild[1], fromChild[0], fromChild[1]] { posix_spawn_file_actions_addclose(&actions, fd) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ["/bin/sh", "-c", "exec " + command]
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, "/bin/sh", &actions, &attributes, &cArgs, environ)
        close(toChild[0])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[1]); close(fromChild[0])
            throw SSHError(.io, "ProxyCommand: cannot run /bin/sh: \(String(cString: strerror(status)))")
        }
        pid = child
        readDescriptor = fromChild[0]
        writeDescriptor = toChild[1]
    }

    /// Ends the command (SIGHUP, as ssh's kill_proxy_command does) and reaps it
    /// off the caller's thread.
    func terminate() {
        kill(pid, SIGHUP)
        let pid = self.pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}
