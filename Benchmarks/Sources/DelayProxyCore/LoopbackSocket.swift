#if canImport(Glibc)
import Glibc
private let systemConnect = Glibc.connect
private let systemSend = Glibc.send
private let systemClose = Glibc.close
private let streamSocket = Int32(SOCK_STREAM.rawValue)
private let noSignal = Int32(MSG_NOSIGNAL)
#elseif canImport(Darwin)
import Darwin
private let systemConnect = Darwin.connect
private let systemSend = Darwin.send
private let systemClose = Darwin.close
private let streamSocket = SOCK_STREAM
private let noSignal: Int32 = 0
#endif

/// LoopbackSocket is a plain blocking TCP socket to 127.0.0.1, for measuring
/// the proxy from outside NIO (self-test and tests). Not for the proxy itself.
public final class LoopbackSocket: @unchecked Sendable {
    /// The file descriptor; -1 once closed.
    public private(set) var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close() }

    /// Connects to 127.0.0.1:`port` with TCP_NODELAY.
    public static func connect(port: Int) throws -> LoopbackSocket {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { throw DelayProxyError(message: "socket: errno \(errno)") }
        let sock = LoopbackSocket(fd: fd)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw DelayProxyError(message: "connect to 127.0.0.1:\(port): errno \(errno)") }
        return sock
    }

    /// Opens a listening socket on 127.0.0.1 with an ephemeral port that is
    /// never accepted from: connections complete in the backlog and nobody
    /// reads them. Returns the socket and its port.
    public static func listenWithoutAccepting() throws -> (LoopbackSocket, Int) {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { throw DelayProxyError(message: "socket: errno \(errno)") }
        let sock = LoopbackSocket(fd: fd)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw DelayProxyError(message: "listen: errno \(errno)") }
        return (sock, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// Writes all of `bytes`.
    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = systemSend(fd, base + offset, bytes.count - offset, noSignal)
            if n < 0 {
                if errno == EINTR { continue }
                throw DelayProxyError(message: "send: errno \(errno)")
            }
            offset += n
        }
    }

    /// Writes what fits without blocking; returns the count (0 when full).
    public func sendNonBlocking(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let n = systemSend(fd, base, bytes.count, noSignal | Int32(MSG_DONTWAIT))
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
            throw DelayProxyError(message: "send: errno \(errno)")
        }
        return n
    }

    /// Reads up to `into.count` bytes; 0 means EOF.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
            let n = recv(fd, base, buffer.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                throw DelayProxyError(message: "recv: errno \(errno)")
            }
            return n
        }
    }

    /// Reads exactly `buffer.count` bytes, or throws at EOF.
    public func receiveExactly(into buffer: UnsafeMutableRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let n = try receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
            if n == 0 { throw DelayProxyError(message: "unexpected EOF after \(offset) of \(buffer.count) bytes") }
            offset += n
        }
    }

    /// Sends EOF (shutdown of the write side).
    public func shutdownWrite() {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the socket (idempotent).
    public func close() {
        if fd >= 0 {
            _ = systemClose(fd)
            fd = -1
        }
    }
}
