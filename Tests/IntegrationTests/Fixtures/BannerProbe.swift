import Glibc

/// BannerProbe connects to a server on 127.0.0.1 and reads its SSH
/// identification string ("SSH-2.0-OpenSSH_9.2p1 …", RFC 4253 §4.2) — the
/// proof that a fixture's server really speaks SSH on its port.
enum BannerProbe {
    /// The identification line the server on 127.0.0.1:`port` sends first,
    /// without CR LF; nil if the connection is refused or nothing SSH-like
    /// arrives within `timeout`. Lines a server may send before it (RFC 4253
    /// allows them) are skipped.
    ///
    /// Blocking, but short: connect on loopback is answered at once and SSH
    /// servers send the line immediately.
    static func identification(port: Int, timeout: Duration = .seconds(1)) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while received.count < 2048 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            received += buffer[0..<count]
            while let newline = received.firstIndex(of: UInt8(ascii: "\n")) {
                var line = received[..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                received.removeSubrange(...newline)
                let text = String(decoding: line, as: UTF8.self)
                if text.hasPrefix("SSH-") { return text }
            }
        }
        return nil
    }
}
