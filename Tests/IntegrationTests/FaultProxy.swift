import Foundation
import Glibc
import Locking

/// FaultProxy is a TCP relay on 127.0.0.1 between ferry and a server
/// fixture that breaks connections on purpose, over real sockets: it cuts
/// a connection after N bytes in one direction, stalls both directions
/// after N bytes (holding the sockets open, as a dead route does), flips
/// one bit of the byte at offset N, or delays every chunk.
///
/// Each accepted connection gets the fault its index names (the first
/// connection is 0), so a test can break the first connection and let
/// the reconnect through, or break several in turn. Blocking socket calls
/// run on threads of their own, never on Swift's cooperative pool.
final class FaultProxy: Sendable {
    /// Which way the counted bytes flow.
    enum Direction: Sendable, CustomStringConvertible {
        /// From ferry to the server (what a put mostly sends).
        case toServer
        /// From the server to ferry (what a get mostly receives).
        case toClient

        var description: String { self == .toServer ? "client→server" : "server→client" }
    }

    /// What the proxy does to one connection.
    enum Fault: Sendable, CustomStringConvertible {
        /// Relays faithfully.
        case none
        /// Relays `bytes` bytes in `direction`, then closes both sockets.
        case cut(after: UInt64, Direction)
        /// Relays `bytes` bytes in `direction`, then nothing more either
        /// way, with both sockets left open.
        case stall(after: UInt64, Direction)
        /// Flips the lowest bit of the byte at `offset` in `direction`.
        case flip(at: UInt64, Direction)
        /// Waits this long before relaying each chunk, both ways.
        case delay(Duration)

        var description: String {
            switch self {
            case .none: "none"
            case .cut(let n, let d): "cut after \(n) bytes \(d)"
            case .stall(let n, let d): "stall after \(n) bytes \(d)"
            case .flip(let n, let d): "flip byte \(n) \(d)"
            case .delay(let d): "delay \(d) per chunk"
            }
        }
    }

    let port: Int
    private let listener: Int32
    private let upstreamPort: Int
    private let faults: @Sendable (Int) -> Fault
    private let state = Locked(State())

    private struct State {
        var stopped = false
        var accepted = 0
        var sockets: [Int32] = []
        /// Connections whose fault has happened (cut, stalled, flipped).
        var faulted = 0
    }

    /// Connections accepted so far.
    var connections: Int { state.withLock { $0.accepted } }
    /// Connections whose fault has taken effect.
    var faultsDone: Int { state.withLock { $0.faulted } }

    /// Listens on an ephemeral port of 127.0.0.1 and relays each
    /// connection to 127.0.0.1:`upstreamPort`, with `faults(index)`.
    init(upstreamPort: Int, faults: @escaping @Sendable (Int) -> Fault) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw FixtureError("fault proxy: cannot listen: \(reason)")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        self.upstreamPort = upstreamPort
        self.faults = faults
        let thread = Thread { [self] in acceptLoop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The same fault on the first connection only; later ones relay faithfully.
    convenience init(upstreamPort: Int, first fault: Fault) throws {
        try self.init(upstreamPort: upstreamPort) { $0 == 0 ? fault : .none }
    }

    /// Stops accepting and closes every connection.
    func stop() {
        state.withLock { state in
            state.stopped = true
            for fd in state.sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit { close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = loopbackAddress(port: upstreamPort)
            let connected = upstream >= 0 && withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            let index: Int? = state.withLock { state in
                guard !state.stopped, connected else { return nil }
                state.accepted += 1
                state.sockets += [client, upstream]
                return state.accepted - 1
            }
            guard let index else {
                close(client)
                if upstream >= 0 { close(upstream) }
                continue
            }
            let link = Link(client: client, upstream: upstream, fault: faults(index), proxy: self)
            for direction in [Direction.toServer, .toClient] {
                let thread = Thread { link.pump(direction) }
                thread.stackSize = 1 << 20
                thread.start()
            }
        }
    }

    fileprivate func noteFault() { state.withLock { $0.faulted += 1 } }

    /// Closes a finished link's sockets under the lock `stop` shuts
    /// sockets down under, so it never touches a descriptor number reused since.
    fileprivate func closeLink(_ client: Int32, _ upstream: Int32) {
        state.withLock { state in
            state.sockets.removeAll { $0 == client || $0 == upstream }
            close(client)
            close(upstream)
        }
    }

    fileprivate var isStopped: Bool { state.withLock { $0.stopped } }

    /// One relayed connection: two sockets, two pumps, one fault.
    private final class Link: Sendable {
        let client: Int32
        let upstream: Int32
        let fault: Fault
        let proxy: FaultProxy
        private let shared = Locked((stalled: false, closedPumps: 0))

        init(client: Int32, upstream: Int32, fault: Fault, proxy: FaultProxy) {
            self.client = client
            self.upstream = upstream
            self.fault = fault
            self.proxy = proxy
        }

        func pump(_ direction: Direction) {
            let (from, to) = direction == .toServer ? (client, upstream) : (upstream, client)
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            var offset: UInt64 = 0
            defer { finish(direction, to) }
            while true {
                let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }
                if waitWhileStalled() { return }
                var count = n
                var after: Fault = .none
                switch fault {
                case .cut(let limit, let d) where d == direction, .stall(let limit, let d) where d == direction:
                    if offset + UInt64(n) >= limit {
                        count = Int(limit - min(limit, offset))
                        after = fault
                    }
                case .flip(let at, let d) where d == direction:
                    if at >= offset && at < offset + UInt64(n) {
                        buffer[Int(at - offset)] ^= 0x01
                        proxy.noteFault()
                    }
                case .delay(let duration):
                    Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
                default:
                    break
                }
                guard writeAll(to, buffer, count) else { return }
                offset += UInt64(count)
                switch after {
                case .cut:
                    proxy.noteFault()
                    shutdown(client, Int32(SHUT_RDWR))
                    shutdown(upstream, Int32(SHUT_RDWR))
                    return
                case .stall:
                    proxy.noteFault()
                    shared.withLock { $0.stalled = true }
                    _ = waitWhileStalled()
                    return
                default:
                    break
                }
            }
        }

        /// While the link is stalled, waits (holding the sockets open)
        /// until the proxy stops; true when it was stalled.
        private func waitWhileStalled() -> Bool {
            guard shared.withLock({ $0.stalled }) else { return false }
            while !proxy.isStopped { Thread.sleep(forTimeInterval: 0.05) }
            return true
        }

        private func writeAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
            var done = 0
            while done < count {
                // MSG_NOSIGNAL: a peer gone is an error here, not SIGPIPE for the test process.
                let n = buffer.withUnsafeBytes { send(fd, $0.baseAddress! + done, count - done, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }

        /// One direction ended: pass the end on; the last pump closes both.
        private func finish(_ direction: Direction, _ to: Int32) {
            shutdown(to, Int32(SHUT_WR))
            let last = shared.withLock { state -> Bool in
                state.closedPumps += 1
                return state.closedPumps == 2
            }
            if last { proxy.closeLink(client, upstream) }
        }
    }
}
