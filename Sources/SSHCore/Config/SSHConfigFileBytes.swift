import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension SSHConfigFile {
    /// Reads at most `maxFileSize` bytes of the config file at `path`; nil
    /// when it cannot be opened. Reading stops at the limit, so a config
    /// that names (or includes) an endless file such as `/dev/zero` is a
    /// clear error instead of unbounded memory. A pipe (`-F <(…)`) is read
    /// to its end as ssh reads it; `/dev/null` is an empty file.
    static func readBytes(path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            guard bytes.count + count <= maxFileSize else {
                throw SSHError(.invalidConfiguration, "\(path): configuration file larger than \(maxFileSize) bytes")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
