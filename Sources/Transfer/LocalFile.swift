#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// LocalFile is an open local file descriptor with the positional calls a
/// pipeline needs: pread/pwrite at explicit offsets, so pieces can land in
/// any order and no shared file position exists to race on.
///
/// Calls are plain blocking system calls. The bulk reads and writes go
/// through `DiskIO`, off the event loop that moves SSH packets, so a slow
/// disk delays one file, not the connection.
final class LocalFile: @unchecked Sendable {
    let descriptor: Int32
    let path: String
    private var closed = false

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { if !closed { _ = Glibc.close(descriptor) } }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o666) throws -> LocalFile {
        var fd: Int32
        repeat { fd = Glibc.open(path, flags | O_CLOEXEC, mode) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw LocalFile.error("open", path) }
        return LocalFile(descriptor: fd, path: path)
    }

    /// The error for the failed call `operation` on `path`, from errno.
    static func error(_ operation: String, _ path: String, _ code: Int32 = errno) -> TransferError {
        TransferError(.local, "\(path): \(operation): \(String(cString: strerror(code)))")
    }

    func status() throws -> stat {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw Self.error("fstat", path) }
        return st
    }

    /// Up to `length` bytes at `offset`; an empty buffer at end of file.
    func read(at offset: UInt64, length: Int) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw -> Int in
            var n: Int
            repeat { n = pread(descriptor, raw.baseAddress, length, off_t(offset)) } while n < 0 && errno == EINTR
            if n < 0 { failure = errno; return 0 }
            return n
        }
        if failure != 0 { throw Self.error("read", path, failure) }
        return buffer
    }

    /// Exactly `length` bytes at `offset`, fewer only at end of file.
    func readFully(at offset: UInt64, length: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < length {
            let piece = try read(at: offset + UInt64(bytes.count), length: length - bytes.count)
            if piece.readableBytes == 0 { break }
            bytes += piece.readableBytesView
        }
        return bytes
    }

    /// All of `data` at `offset`.
    func write(_ data: ByteBuffer, at offset: UInt64) throws {
        let failure: Int32 = data.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(descriptor, raw.baseAddress.map { $0 + done }, raw.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return 0
        }
        if failure != 0 { throw Self.error("write", path, failure) }
    }

    func truncate(to length: UInt64) throws {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw Self.error("truncate", path) }
    }

    func setMode(_ mode: UInt32) throws {
        guard fchmod(descriptor, mode_t(mode & 0o7777)) == 0 else { throw Self.error("chmod", path) }
    }

    func setTimes(access: UInt32, modification: UInt32) throws {
        var times = [timespec(tv_sec: Int(access), tv_nsec: 0), timespec(tv_sec: Int(modification), tv_nsec: 0)]
        guard futimens(descriptor, &times) == 0 else { throw Self.error("utimes", path) }
    }

    /// Closes the descriptor, reporting a failed close (the last chance to
    /// hear of a failed write on some file systems).
    func close() throws {
        guard !closed else { return }
        closed = true
        guard Glibc.close(descriptor) == 0 else { throw Self.error("close", path) }
    }
}

/// LocalFileSystem: the path-level calls (stat, rename, mkdir, listing).
enum LocalFileSystem {
    static func lstatus(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    static func status(_ path: String) -> stat? {
        var st = stat()
        return stat(path, &st) == 0 ? st : nil
    }

    static func isDirectory(_ path: String) -> Bool {
        status(path).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
    }

    static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw LocalFile.error("rename to \(to)", from) }
    }

    static func remove(_ path: String) { _ = unlink(path) }

    /// Creates a directory; an existing directory is fine.
    static func makeDirectory(_ path: String, mode: mode_t = 0o777) throws {
        if mkdir(path, mode) == 0 { return }
        let code = errno
        if code == EEXIST, isDirectory(path) { return }
        throw LocalFile.error("mkdir", path, code)
    }

    static func setModeAndTimes(_ path: String, mode: UInt32?, times: (UInt32, UInt32)?) throws {
        if let times {
            var spec = [timespec(tv_sec: Int(times.0), tv_nsec: 0), timespec(tv_sec: Int(times.1), tv_nsec: 0)]
            guard utimensat(AT_FDCWD, path, &spec, 0) == 0 else { throw LocalFile.error("utimes", path) }
        }
        if let mode {
            guard chmod(path, mode_t(mode & 0o7777)) == 0 else { throw LocalFile.error("chmod", path) }
        }
    }

    /// The names in a directory, `.` and `..` excluded, sorted.
    static func list(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw LocalFile.error("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
