#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix

/// AddressFamilyResolver looks a host name up for one IP version only, so
/// that `AddressFamily inet` (`-4`) and `inet6` (`-6`) connect over that
/// version and nothing else, as ssh does: the other family's query answers
/// with no addresses. Lookups run getaddrinfo on a thread of their own,
/// never on the event loop or the cooperative pool. A failed lookup is an
/// `SSHError` worded as ssh words it ("Could not resolve hostname h: …").
final class AddressFamilyResolver: Resolver, Sendable {
    let family: AddressFamily
    let eventLoop: EventLoop

    init(family: AddressFamily, eventLoop: EventLoop) {
        self.family = family
        self.eventLoop = eventLoop
    }

    func initiateAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        family == .inet6 ? eventLoop.makeSucceededFuture([]) : lookup(host, port, AF_INET)
    }

    func initiateAAAAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        family == .inet ? eventLoop.makeSucceededFuture([]) : lookup(host, port, AF_INET6)
    }

    func cancelQueries() {}

    private func lookup(_ host: String, _ port: Int, _ family: Int32) -> EventLoopFuture<[SocketAddress]> {
        let promise = eventLoop.makePromise(of: [SocketAddress].self)
        Thread.detachNewThread {
            promise.completeWith(Result { try Self.resolve(host, port, family) })
        }
        return promise.futureResult
    }

    /// The addresses of `host` in `family`, in getaddrinfo's order.
    static func resolve(_ host: String, _ port: Int, _ family: Int32) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else { throw unresolved(host, reason: String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let info = entry?.pointee {
            if let address = info.ai_addr {
                switch info.ai_family {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                default:
                    break
                }
            }
            entry = info.ai_next
        }
        return addresses
    }

    /// ssh's message for a name that does not resolve (ssh.c `resolve_host`).
    static func unresolved(_ host: String, reason: String) -> SSHError {
        SSHError(.io, "Could not resolve hostname \(host): \(reason)")
    }
}
