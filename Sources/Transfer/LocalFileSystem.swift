#if canImport(Glibc)
import Glibc
#endif

/// LocalFileSystem: the path-level calls (stat, rename, mkdir, listing),
/// all on byte paths (see `LocalPath`).
enum LocalFileSystem {
    static func lstatus(_ path: LocalPath) -> stat? {
        var st = stat()
        return path.withCString { lstat($0, &st) } == 0 ? st : nil
    }

    static func status(_ path: LocalPath) -> stat? {
        var st = stat()
        return path.withCString { stat($0, &st) } == 0 ? st : nil
    }

    static func isDirectory(_ path: LocalPath) -> Bool {
        status(path).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
    }

    static func rename(_ from: LocalPath, to: LocalPath) throws {
        let result = from.withCString { source in to.withCString { Glibc.rename(source, $0) } }
        guard result == 0 else { throw LocalFile.error("rename to \(to)", from) }
    }

    static func remove(_ path: LocalPath) { _ = path.withCString { unlink($0) } }

    /// The target of the symbolic link at `path`, or nil.
    static func readLink(_ path: LocalPath) -> [UInt8]? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = path.withCString { readlink($0, &buffer, buffer.count - 1) }
        guard count > 0 else { return nil }
        return buffer[..<count].map { UInt8(bitPattern: $0) }
    }

    /// Creates a directory; an existing directory is fine.
    static func makeDirectory(_ path: LocalPath, mode: mode_t = 0o777) throws {
        if path.withCString({ mkdir($0, mode) }) == 0 { return }
        let code = errno
        if code == EEXIST, isDirectory(path) { return }
        throw LocalFile.error("mkdir", path, code)
    }

    static func setModeAndTimes(_ path: LocalPath, mode: UInt32?, times: (UInt32, UInt32)?) throws {
        if let times {
            var spec = [timespec(tv_sec: Int(times.0), tv_nsec: 0), timespec(tv_sec: Int(times.1), tv_nsec: 0)]
            guard path.withCString({ utimensat(AT_FDCWD, $0, &spec, 0) }) == 0 else { throw LocalFile.error("utimes", path) }
        }
        if let mode {
            guard path.withCString({ chmod($0, mode_t(mode & 0o7777)) }) == 0 else { throw LocalFile.error("chmod", path) }
        }
    }

    /// The names in a directory as bytes, `.` and `..` excluded, sorted.
    static func list(_ path: LocalPath) throws -> [[UInt8]] {
        guard let directory = path.withCString({ opendir($0) }) else { throw LocalFile.error("opendir", path) }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { pointer in
                    Array(UnsafeBufferPointer(start: pointer, count: strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))))
                }
            }
            if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }
}
