import Foundation
import Glibc

/// SmallFileSystem is a tmpfs of a few megabytes mounted by a test on a
/// directory of its own, so that "the disk is full" happens on cue: the
/// local disk under a download, the server's under an upload. Root only
/// (mount(2)); the tests that use it are skipped, with a message, where
/// mounting is impossible (not root, or a container without CAP_SYS_ADMIN).
final class SmallFileSystem: Sendable {
    let path: String

    /// Whether a tmpfs can be mounted here, found by mounting one once.
    static let canMount: Bool = {
        guard geteuid() == 0, let probe = try? FixtureDirectory.create(prefix: "tmpfs-probe") else { return false }
        defer { probe.remove() }
        guard mount("tmpfs", probe.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount2(probe.path, Int32(MNT_DETACH))
        return true
    }()

    static let cannotMount = "mounting a tmpfs needs root and CAP_SYS_ADMIN, which this run does not have"

    /// Mounts a tmpfs of `bytes` on `path` (an existing, empty directory),
    /// its root owned by `uid`:`gid` with mode 0755.
    init(at path: String, bytes: Int, uid: uid_t = 0, gid: gid_t = 0) throws {
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(bytes),uid=\(uid),gid=\(gid),mode=0755") == 0 else {
            throw FixtureError("cannot mount a tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
    }

    /// Gives the file system `bytes` (more room for the resume that follows).
    func resize(bytes: Int) throws {
        guard mount("tmpfs", path, "tmpfs", UInt(MS_REMOUNT), "size=\(bytes)") == 0 else {
            throw FixtureError("cannot resize the tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Unmounts it (its files go with it). Idempotent.
    func unmount() { umount2(path, Int32(MNT_DETACH)) }

    deinit { unmount() }
}
