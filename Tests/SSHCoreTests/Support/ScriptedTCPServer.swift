#if canImport(Glibc)
import Foundation
import Glibc

/// ScriptedTCPServer listens on 127.0.0.1 (a port the kernel picks), accepts
/// one connection and runs a script on it on a thread of its own: the
/// TCP-level hostile server. Sockets time out every 100 ms so that a script
/// never blocks past `stop()`, whatever the client does.
final class ScriptedTCPServer: @unchecked Sendable {
    // @unchecked: `listener` and `port` are immutable; the thread and the
    // test share only `state`, guarded by `lock`.
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var state = (stopped: false, finished: false)

    init(_ script: @escaping @Sendable (ScriptedTCPPeer) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw TestFailure("bind/listen on 127.0.0.1: errno \(errno)")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            if let peer = acceptOne() {
                script(peer)
                peer.close()
            }
            lock.withLock { state.finished = true }
        }
    }

    var isStopped: Bool { lock.withLock { state.stopped } }

    /// True once the script returned (or no client came before `stop()`).
    var isFinished: Bool { lock.withLock { state.finished } }

    /// Tells the script to end, waits up to two seconds for it, and closes
    /// the listening socket.
    func stop() {
        lock.withLock { state.stopped = true }
        let deadline = ContinuousClock.now + .seconds(2)
        while !isFinished && ContinuousClock.now < deadline { usleep(10_000) }
        close(listener)
    }

    private func acceptOne() -> ScriptedTCPPeer? {
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let fd = accept(listener, nil, nil)
            if fd >= 0 { return ScriptedTCPPeer(fd: fd, server: self) }
        }
        return nil
    }
}

/// FullListener listens on 127.0.0.1 with a backlog of zero and fills its
/// accept queue with connections it never accepts, so a further connect gets
/// no answer to its SYN: a server that cannot even complete the TCP handshake.
final class FullListener: @unchecked Sendable {
    // @unchecked: immutable after init.
    let port: Int
    private let descriptors: [Int32]

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw TestFailure("bind/listen on 127.0.0.1: errno \(errno)")
        }
        var fillers: [Int32] = []
        for _ in 0..<8 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
            }
            fillers.append(fd)
        }
        usleep(200_000)
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptors = [listener] + fillers
    }

    func stop() {
        for fd in descriptors { close(fd) }
    }
}

/// One accepted connection, as the script sees it.
final class ScriptedTCPPeer: @unchecked Sendable {
    // @unchecked: used only on the server's thread.
    private let fd: Int32
    private unowned let server: ScriptedTCPServer
    private var closed = false
    /// Bytes sent so far.
    private(set) var bytesSent = 0

    fileprivate init(fd: Int32, server: ScriptedTCPServer) {
        self.fd = fd
        self.server = server
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes`; false once the client is gone (or the test stopped).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            if server.isStopped { return false }
            let sent = bytes[offset...].withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                bytesSent += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                continue
            } else {
                return false
            }
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads and discards until `count` bytes came from the client (true), or
    /// it closed, or two seconds passed, or the test stopped the server.
    @discardableResult
    func receive(atLeast count: Int) -> Bool {
        var scratch = [UInt8](repeating: 0, count: 4096)
        var received = 0
        let deadline = ContinuousClock.now + .seconds(2)
        while received < count && !server.isStopped && ContinuousClock.now < deadline {
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return false }
            if n > 0 { received += n } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { return false }
        }
        return received >= count
    }

    /// Waits for the client's first bytes (its identification), then a
    /// little more: by then `SSHClient.connect` has normally finished setting
    /// up, and what the script does next exercises the protocol rather than
    /// the connect race.
    func awaitClient() {
        receive(atLeast: 1)
        usleep(100_000)
    }

    /// Reads and discards what the client sends until it closes the
    /// connection (true) or the test stops the server (false).
    @discardableResult
    func drainUntilClientCloses() -> Bool {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while !server.isStopped {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return true }
            if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { return true }
        }
        return false
    }

    /// Sends FIN: the client reads end-of-file; its own bytes are still read
    /// (so the close is orderly, not a reset).
    func shutdownOutput() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes with a TCP reset (SO_LINGER 0) instead of an orderly FIN.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}
#endif
