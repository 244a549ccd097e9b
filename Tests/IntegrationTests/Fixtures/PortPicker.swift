import Glibc
import Locking

/// PortPicker finds free TCP ports on 127.0.0.1 for fixture servers: it binds
/// a socket to port 0, reads the port the kernel chose, and closes it.
///
/// A port found free can be taken by someone else before the server binds it
/// (another test, another test run on the machine, an outgoing connection);
/// `ServerLauncher` therefore retries the start on a new port when a server
/// reports "Address already in use". Within this process a port is never
/// handed out twice, so two fixtures starting at once never race each other
/// for the same port.
enum PortPicker {
    private static let handedOut = Locked(Set<Int>())

    /// A port on 127.0.0.1 that was free a moment ago and that this process
    /// has not handed out before.
    static func freePort() throws -> Int {
        for _ in 0..<64 {
            let port = try kernelChosenPort()
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh { return port }
        }
        throw FixtureError("no fresh free port on 127.0.0.1 after 64 tries")
    }

    /// Binds 127.0.0.1:0 and returns the port the kernel assigned.
    private static func kernelChosenPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw FixtureError("bind(127.0.0.1:0): \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw FixtureError("getsockname(): \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The IPv4 socket address 127.0.0.1:`port`.
func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}
