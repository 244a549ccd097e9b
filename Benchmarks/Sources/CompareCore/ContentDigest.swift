import Foundation
import SSHCrypto

/// ContentDigest is how a run's output is verified: the sha256 of a file's
/// bytes, or of a tree — every regular file under the root, in sorted order of
/// its relative path, hashed as path, NUL, 8-byte little-endian size,
/// contents. A missing, extra, renamed or altered file changes the tree digest.
public enum ContentDigest {
    /// The hex sha256 of the file at `path`.
    public static func file(_ path: String) throws -> String {
        var digest = Digest(.sha256)
        try feed(path, into: &digest)
        return hex(digest.finalize())
    }

    /// The hex digest of the tree under `root` (see the type's comment), and
    /// how many files and bytes it holds.
    public static func tree(_ root: String) throws -> (digest: String, files: Int, bytes: Int64) {
        var files: [(relative: String, size: Int64)] = []
        try collect(root: root, relative: "", into: &files)
        files.sort { $0.relative.utf8.lexicographicallyPrecedes($1.relative.utf8) }
        var digest = Digest(.sha256)
        var total: Int64 = 0
        for file in files {
            digest.update(Array(file.relative.utf8) + [0])
            withUnsafeBytes(of: UInt64(file.size).littleEndian) { digest.update($0) }
            try feed(root + "/" + file.relative, into: &digest)
            total += file.size
        }
        return (hex(digest.finalize()), files.count, total)
    }

    private static func collect(root: String, relative: String, into files: inout [(relative: String, size: Int64)]) throws {
        let directory = relative.isEmpty ? root : root + "/" + relative
        guard let handle = opendir(directory) else {
            throw HarnessError("cannot list \(directory): \(String(cString: strerror(errno)))")
        }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(root + "/" + child, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try collect(root: root, relative: child, into: &files)
            case S_IFREG: files.append((child, Int64(info.st_size)))
            default: files.append((child + " (not a regular file)", 0))
            }
        }
    }

    private static func feed(_ path: String, into digest: inout Digest) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HarnessError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw HarnessError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
