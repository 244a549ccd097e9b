#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The bulk reads and writes of a transfer, done on the calling thread (the
/// event loop) when they cannot wait for a disk, else on the disk pool.
///
/// Why: a pipeline's pread or pwrite sent to `DiskIO` costs two thread
/// hand-offs (the pool wakes, the event loop wakes), and for a file in
/// memory those cost more than the copy itself. A 1 GiB put from tmpfs made
/// 4,100 pool calls and 12,500 futex calls; done in place, its wall time fell
/// by about a fifth and its CPU by about a sixth. A slow disk must still never
/// stall the connection, so only two kinds of access are done in place:
/// - any access to a file on tmpfs or ramfs, which is memory;
/// - a read that `preadv2(RWF_NOWAIT)` can serve from the page cache (Linux
///   4.14 and later; a file system that does not support it answers
///   EOPNOTSUPP once, and its file then always uses the pool). A read
///   that would wait answers EAGAIN having started the kernel's read-ahead,
///   and goes to the pool, as does one it served only in part.
///
/// Buffered writes with RWF_NOWAIT are refused by ext4 and tmpfs alike, so
/// writes to a disk file system always use the pool.
extension LocalFile {
    /// Up to `length` bytes at `offset`, as `read(at:length:headroom:)`.
    func fetch(at offset: UInt64, length: Int, headroom: Int = 0) async throws -> ByteBuffer {
        if let piece = try readWithoutWaiting(at: offset, length: length, headroom: headroom) { return piece }
        return try await DiskIO.run { try self.read(at: offset, length: length, headroom: headroom) }
    }

    /// `fetch` started now and awaited later (a read ahead): done at once
    /// when it cannot wait, else started on the pool. A failure in place
    /// is left for the pool's read to report.
    func fetchAhead(at offset: UInt64, length: Int) -> DiskIO.Job<ByteBuffer> {
        if let piece = try? readWithoutWaiting(at: offset, length: length) { return DiskIO.finished(piece) }
        return DiskIO.start { try self.read(at: offset, length: length) }
    }

    /// All of `data` at `offset`, as `write(_:at:)`.
    func store(_ data: ByteBuffer, at offset: UInt64) async throws {
        if medium == .memory {
            try write(data, at: offset)
        } else {
            try await DiskIO.run { try self.write(data, at: offset) }
        }
    }

    /// The read done here and now, or nil when it could wait for a disk.
    func readWithoutWaiting(at offset: UInt64, length: Int, headroom: Int = 0) throws -> ByteBuffer? {
        switch medium {
        case .memory:
            return try read(at: offset, length: length, headroom: headroom)
        case .other:
            guard let preadv2 = PageCacheRead.preadv2, !cacheReadsUnsupported.load(ordering: .relaxed) else { return nil }
            let (buffer, failure) = readIntoNewBuffer(length: length, headroom: headroom) { pointer in
                var vector = iovec(iov_base: pointer, iov_len: length)
                return preadv2(descriptor, &vector, 1, off_t(offset), PageCacheRead.noWait)
            }
            switch failure {
            case 0:
                // Only a full read: RWF_NOWAIT stops short where a page is
                // not cached, or locked for writeback, which a plain pread
                // of a regular file never does before its end. The pool
                // reads it whole (or finds the end).
                return buffer.readableBytes == length ? buffer : nil
            case EAGAIN: return nil
            case EOPNOTSUPP, EINVAL, ENOSYS:
                cacheReadsUnsupported.store(true, ordering: .relaxed)
                return nil
            default: throw Self.error("read", path, failure)
            }
        }
    }
}

/// preadv2, looked up when first needed: Swift's Glibc module does not
/// declare it. Absent (another C library), every read uses the pool.
enum PageCacheRead {
    typealias Function = @convention(c) (Int32, UnsafePointer<iovec>?, Int32, off_t, Int32) -> Int
    /// RWF_NOWAIT from <linux/fs.h>: fail with EAGAIN rather than wait for I/O.
    static let noWait: Int32 = 0x0000_0008
    static let preadv2: Function? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "preadv2") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()
}

/// Where a local file's bytes live, as far as waiting is concerned.
enum LocalFileMedium: Sendable {
    /// tmpfs or ramfs: reads and writes are memory copies.
    case memory
    /// Anything else: it may wait for a disk.
    case other

    /// The medium of the open `descriptor`.
    static func of(_ descriptor: Int32) -> LocalFileMedium {
        guard let fstatfs = FileSystemType.fstatfs else { return .other }
        // struct statfs, whose first field is f_type (a long on 64-bit
        // Linux); 256 bytes is more than its 120.
        var info = [Int](repeating: 0, count: 32)
        guard info.withUnsafeMutableBytes({ fstatfs(descriptor, $0.baseAddress) }) == 0 else { return .other }
        switch UInt(bitPattern: info[0]) {
        case 0x0102_1994, 0x8584_58f6: return .memory  // TMPFS_MAGIC, RAMFS_MAGIC
        default: return .other
        }
    }
}

/// fstatfs, looked up when first needed: Swift's Glibc module does not
/// declare it either.
private enum FileSystemType {
    typealias Function = @convention(c) (Int32, UnsafeMutableRawPointer?) -> Int32
    static let fstatfs: Function? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "fstatfs") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()
}
