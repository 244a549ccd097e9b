#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Synchronization

/// LocalFile is an open local file descriptor with the positional calls a
/// pipeline needs: pread/pwrite at explicit offsets, so pieces can land in
/// any order and no shared file position exists to race on; and plain
/// sequential writes for a destination that is a stream (a pipe, a
/// terminal, a device), which has no offsets.
///
/// Calls are plain blocking system calls. The bulk reads and writes go
/// through `fetch` and `store`: on the event loop that moves SSH packets
/// only when they cannot wait for a disk, else through `DiskIO`, so a slow
/// disk delays one file, not the connection.
final class LocalFile: @unchecked Sendable {
    let descriptor: Int32
    let path: LocalPath
    /// Whether the file is in memory (tmpfs), for `fetch` and `store`.
    let medium: LocalFileMedium
    /// Set once preadv2(RWF_NOWAIT) was refused for this file.
    let cacheReadsUnsupported = Atomic<Bool>(false)
    private var closed = false

    private init(descriptor: Int32, path: LocalPath) {
        self.descriptor = descriptor
        self.path = path
        self.medium = LocalFileMedium.of(descriptor)
    }

    deinit { if !closed { _ = Glibc.close(descriptor) } }

    static func open(_ path: LocalPath, flags: Int32, mode: mode_t = 0o666) throws -> LocalFile {
        var fd: Int32
        repeat { fd = path.withCString { Glibc.open($0, flags | O_CLOEXEC, mode) } } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw LocalFile.error("open", path) }
        return LocalFile(descriptor: fd, path: path)
    }

    /// A new descriptor for the already open `descriptor` (standard
    /// output, say), closed independently of it.
    static func duplicate(_ descriptor: Int32, as path: LocalPath) throws -> LocalFile {
        let fd = fcntl(descriptor, F_DUPFD_CLOEXEC, 3)
        guard fd >= 0 else { throw LocalFile.error("dup", path) }
        return LocalFile(descriptor: fd, path: path)
    }

    /// The error for the failed call `operation` on `path`, from errno.
    static func error(_ operation: String, _ path: LocalPath, _ code: Int32 = errno) -> TransferError {
        TransferError(.local, "\(path): \(operation): \(String(cString: strerror(code)))", errno: code)
    }

    func status() throws -> stat {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw Self.error("fstat", path) }
        return st
    }

    /// Up to `length` bytes at `offset`; an empty buffer at end of file.
    /// `headroom`: bytes left free before the data, in the same allocation
    /// (`WritePipeline.headroom`, where a WRITE header goes without a copy).
    func read(at offset: UInt64, length: Int, headroom: Int = 0) throws -> ByteBuffer {
        let (buffer, failure) = readIntoNewBuffer(length: length, headroom: headroom) { pointer in
            pread(descriptor, pointer, length, off_t(offset))
        }
        if failure != 0 { throw Self.error("read", path, failure) }
        return buffer
    }

    /// A new buffer of `headroom` + `length` bytes, filled after the
    /// headroom by `call` (a read of at most `length` bytes into the
    /// pointer, retried on EINTR), and the errno of a failed call, else 0.
    func readIntoNewBuffer(length: Int, headroom: Int,
                           _ call: (UnsafeMutableRawPointer?) -> Int) -> (ByteBuffer, Int32) {
        var buffer = ByteBufferAllocator().buffer(capacity: max(0, headroom) + length)
        if headroom > 0 {
            buffer.moveWriterIndex(forwardBy: headroom)
            buffer.moveReaderIndex(forwardBy: headroom)
        }
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw -> Int in
            var n: Int
            repeat { n = call(raw.baseAddress) } while n < 0 && errno == EINTR
            if n < 0 { failure = errno; return 0 }
            return n
        }
        return (buffer, failure)
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
        try writeAll(data) { pointer, count, done in pwrite(descriptor, pointer, count, off_t(offset) + off_t(done)) }
    }

    /// All of `data` at the descriptor's position: for streams, which
    /// have no offsets (pwrite on a pipe fails with ESPIPE).
    func append(_ data: ByteBuffer) throws {
        try writeAll(data) { pointer, count, _ in Glibc.write(descriptor, pointer, count) }
    }

    private func writeAll(_ data: ByteBuffer, _ call: (UnsafeRawPointer?, Int, Int) -> Int) throws {
        let failure: Int32 = data.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = call(raw.baseAddress.map { $0 + done }, raw.count - done, done)
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

    /// Gives the file `owner` and `group` where this user may: the owner
    /// only as root, the group when this user belongs to it. Best effort:
    /// a replaced file keeps what it can of its old ownership.
    func setOwner(_ owner: uid_t, group: gid_t) {
        if fchown(descriptor, owner, group) == 0 { return }
        _ = fchown(descriptor, uid_t.max, group)
    }

    func setTimes(access: UInt32, modification: UInt32) throws {
        var times = [timespec(tv_sec: Int(access), tv_nsec: 0), timespec(tv_sec: Int(modification), tv_nsec: 0)]
        guard futimens(descriptor, &times) == 0 else { throw Self.error("utimes", path) }
    }

    /// Takes the file's exclusive advisory lock without waiting: false
    /// when another open file description holds it (another transfer is
    /// writing this partial file now). Released when the file is closed.
    func tryLock() -> Bool {
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result < 0 && errno == EINTR
        return result == 0
    }

    /// Closes the descriptor, reporting a failed close (the last chance to
    /// hear of a failed write on some file systems).
    func close() throws {
        guard !closed else { return }
        closed = true
        guard Glibc.close(descriptor) == 0 else { throw Self.error("close", path) }
    }
}
