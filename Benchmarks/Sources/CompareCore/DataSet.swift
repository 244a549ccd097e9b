import Foundation

/// DataSet builds the test data deterministically from a seed: the same seed
/// gives the same bytes, names and sizes on every machine, so results of two
/// runs of the harness are about the same data, and a verification failure can
/// be reproduced.
public enum DataSet {
    /// Writes `bytes` pseudo-random bytes to `path` (created or truncated).
    public static func writeFile(at path: String, bytes: Int64, seed: UInt64) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw HarnessError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var generator = SeededGenerator(seed: seed)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 8)
        defer { buffer.deallocate() }
        var remaining = bytes
        while remaining > 0 {
            let count = Int(min(Int64(chunk), remaining))
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            generator.fill(slice)
            try writeAll(fd, UnsafeRawBufferPointer(slice), path: path)
            remaining -= Int64(count)
        }
    }

    /// The shape of a tree of small files.
    public struct TreeShape: Sendable, Codable, Equatable {
        /// How many files.
        public var files: Int
        /// How many directories the files are spread over (round robin).
        public var directories: Int
        /// The smallest file size in bytes.
        public var minBytes: Int
        /// The largest file size in bytes.
        public var maxBytes: Int

        public init(files: Int, directories: Int, minBytes: Int, maxBytes: Int) {
            self.files = files
            self.directories = max(1, directories)
            self.minBytes = minBytes
            self.maxBytes = max(minBytes, maxBytes)
        }
    }

    /// Writes a tree under `root` (created): `d000/f00000.bin`, `d001/f00001.bin`, …
    /// Sizes are drawn uniformly from the shape's range. Returns the total bytes.
    @discardableResult
    public static func writeTree(at root: String, shape: TreeShape, seed: UInt64) throws -> Int64 {
        try makeDirectories(root)
        var generator = SeededGenerator(seed: seed)
        for d in 0..<shape.directories {
            try makeDirectories(root + "/" + directoryName(d))
        }
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: shape.maxBytes)
        for f in 0..<shape.files {
            let size = generator.next(in: shape.minBytes...shape.maxBytes)
            let path = root + "/" + directoryName(f % shape.directories) + "/" + String(format: "f%05d.bin", f)
            buffer.withUnsafeMutableBytes { generator.fill(UnsafeMutableRawBufferPointer(rebasing: $0[0..<size])) }
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw HarnessError("cannot create \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            try buffer.withUnsafeBytes { try writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<size]), path: path) }
            total += Int64(size)
        }
        return total
    }

    static func directoryName(_ index: Int) -> String { String(format: "d%03d", index) }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw HarnessError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
