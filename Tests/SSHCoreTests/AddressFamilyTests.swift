import Foundation
import Glibc
import NIOCore
import NIOPosix
import Testing
@_spi(Internals) @testable import SSHCore

/// `AddressFamily` (`-4`, `-6`) and name lookups worded as ssh words them.
@Suite struct AddressFamilyTests {
    @Test func lookupsStayInTheirFamily() throws {
        let v4 = try AddressFamilyResolver.resolve("127.0.0.1", 22, AF_INET)
        #expect(v4.count == 1 && v4.first?.protocol == .inet && v4.first?.port == 22)
        let v6 = try AddressFamilyResolver.resolve("::1", 2222, AF_INET6)
        #expect(v6.count == 1 && v6.first?.protocol == .inet6 && v6.first?.port == 2222)
        // An IPv4 literal has no IPv6 address, and the reverse: ssh's message.
        #expect(throws: SSHError.self) { try AddressFamilyResolver.resolve("127.0.0.1", 22, AF_INET6) }
        do {
            _ = try AddressFamilyResolver.resolve("::1", 22, AF_INET)
            Issue.record("::1 resolved as IPv4")
        } catch let error as SSHError {
            #expect(error.message.hasPrefix("Could not resolve hostname ::1: "), "\(error.message)")
        }
    }

    @Test func theResolverAnswersOnlyForItsFamily() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let inet = AddressFamilyResolver(family: .inet, eventLoop: group.next())
        #expect(try await inet.initiateAAAAQuery(host: "localhost", port: 22).get().isEmpty)
        #expect(try await inet.initiateAQuery(host: "127.0.0.1", port: 22).get().count == 1)
        let inet6 = AddressFamilyResolver(family: .inet6, eventLoop: group.next())
        #expect(try await inet6.initiateAQuery(host: "127.0.0.1", port: 22).get().isEmpty)
        await #expect(throws: SSHError.self) { try await inet6.initiateAAAAQuery(host: "127.0.0.1", port: 22).get() }
    }

    /// A name that does not resolve: ssh's "Could not resolve hostname",
    /// never `SocketAddressError.UnknownHost` (NIO's type name).
    @Test func unresolvableNamesAreWordedAsSSH() async throws {
        for family in [AddressFamily.any, .inet, .inet6] {
            var configuration = SSHClient.Configuration(
                host: "no-such-host.invalid", port: 22, user: "u", credentials: [],
                transport: TransportConfiguration(role: .client),
                connectTimeout: .seconds(20), verifyHostKey: { _ in })
            configuration.addressFamily = family
            do {
                _ = try await SSHClient.connect(configuration)
                Issue.record("connected to no-such-host.invalid")
            } catch let error as SSHError {
                #expect(error.message.hasPrefix("Could not resolve hostname no-such-host.invalid: "), "\(family): \(error.message)")
                #expect(!error.message.contains("SocketAddressError"), "\(error.message)")
            }
        }
    }

    @Test func batchModeImpliesServerAliveInterval() throws {
        var options = ClientOptions()
        #expect(options.effectiveServerAliveInterval == nil)
        try options.apply(keyword: "BatchMode", value: "yes")
        #expect(options.effectiveServerAliveInterval == .seconds(300))
        var set = ClientOptions()
        try set.apply(keyword: "ServerAliveInterval", value: "0")
        try set.apply(keyword: "BatchMode", value: "yes")
        #expect(set.effectiveServerAliveInterval == nil, "an explicit 0 stays off")
        var fifteen = ClientOptions()
        try fifteen.apply(keyword: "BatchMode", value: "yes")
        try fifteen.apply(keyword: "ServerAliveInterval", value: "15")
        #expect(fifteen.effectiveServerAliveInterval == .seconds(15))
    }
}
