import Foundation
import Glibc

/// FixtureDirectory is a fresh temporary directory that one fixture (or one
/// command run) owns, fills and removes (and `OrphanWatchdog` removes if the
/// test process dies first). Directories of servers that run as
/// root but read files as the test account are made traversable (0755); the
/// secrets inside are written 0600.
struct FixtureDirectory: Sendable {
    /// Absolute path of the directory.
    let path: String

    /// Creates a unique directory named `ferry-<prefix>-XXXXXX`. As root it is
    /// placed in /tmp (a TMPDIR under /root would not be traversable by the
    /// test account), otherwise in the user's temporary directory.
    static func create(prefix: String, traversable: Bool = false) throws -> FixtureDirectory {
        let base = geteuid() == 0 ? "/tmp" : FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/ferry-\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else {
            throw FixtureError("cannot create a temporary directory under \(base): \(String(cString: strerror(errno)))")
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if traversable { chmod(path, 0o755) }
        OrphanWatchdog.shared.register(directory: path)
        return FixtureDirectory(path: path)
    }

    /// The absolute path of `name` inside the directory.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `contents` to `name` with permission bits `mode` (set before any
    /// byte is written, so a secret is never readable by others) and returns
    /// the file's path.
    @discardableResult
    func write(_ name: String, _ contents: [UInt8], mode: mode_t = 0o644) throws -> String {
        let target = file(name)
        let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw FixtureError("cannot create \(target): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        fchmod(fd, mode)  // the umask may have removed bits
        var offset = 0
        while offset < contents.count {
            let written = contents[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw FixtureError("cannot write \(target): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        return target
    }

    /// Writes text; see `write(_:_:mode:)`.
    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        try write(name, Array(text.utf8), mode: mode)
    }

    /// Creates a subdirectory owned by `uid`/`gid` with `mode`, for files the
    /// test account must write (for example transfer targets).
    func makeSubdirectory(_ name: String, uid: uid_t, gid: gid_t, mode: mode_t = 0o755) throws -> String {
        let target = file(name)
        guard mkdir(target, mode) == 0 || errno == EEXIST else {
            throw FixtureError("cannot create \(target): \(String(cString: strerror(errno)))")
        }
        chmod(target, mode)
        if geteuid() == 0, chown(target, uid, gid) != 0 {
            throw FixtureError("cannot chown \(target): \(String(cString: strerror(errno)))")
        }
        return target
    }

    /// Reads `name` as text, or nil if it cannot be read.
    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: file(name)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Removes the directory and everything in it; errors are ignored (the
    /// directory may already be gone).
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
        OrphanWatchdog.shared.unregister(directory: path)
    }
}
