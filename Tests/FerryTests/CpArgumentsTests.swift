import ArgumentParser
import Testing
@testable import ferry

/// `ferry cp`'s scp-style arguments: scp:// locations, the protocol flags,
/// and what is refused before connecting.
@Suite struct CpArgumentsTests {
    @Test func scpURIsParseAsSFTPURIs() throws {
        let location = try #require(try RemoteLocation.parse("scp://alice@host.example:2222/dir/a%20b"))
        #expect(location == RemoteLocation(user: "alice", host: "host.example", port: 2222, path: "dir/a b"))
        #expect(try RemoteLocation.parse("SCP://[::1]/x") == RemoteLocation(user: nil, host: "::1", port: nil, path: "x"))
        #expect(throws: ValidationError.self) { try RemoteLocation.parse("scp://host:0/x") }
    }

    @Test func protocolFlags() throws {
        #expect(try CpCommand.parse(["-O", "h:x", "."]).selected == .scp)
        #expect(try CpCommand.parse(["-s", "h:x", "."]).selected == .sftp)
        #expect(try CpCommand.parse(["h:x", "."]).selected == .auto)
        #expect(throws: (any Error).self) { try CpCommand.parse(["-O", "-s", "h:x", "."]) }
        #expect(try GetCommand.parse(["--scp", "h:x", "."]).transfer.protocolFlags.selected == .scp)
        #expect(throws: (any Error).self) { try GetCommand.parse(["--scp", "--sftp", "h:x", "."]) }
    }

    @Test func scpShortOptionsParse() throws {
        let cp = try CpCommand.parse(["-r", "-p", "-q", "-C", "-c", "aes128-ctr", "-P", "2222", "-i", "key", "-o", "User=bob",
                                      "-F", "none", "-J", "jump", "a", "b", "h:dest"])
        #expect(cp.transfer.recursive && cp.transfer.preserve && cp.connection.quiet && cp.connection.compress)
        #expect(cp.connection.port == 2222 && cp.connection.identity == ["key"] && cp.connection.jump == "jump")
        #expect(cp.paths == ["a", "b", "h:dest"])
    }

    @Test func resumeIsRefusedWithSCP() throws {
        var flags = try TransferFlags.parse(["-a"])
        #expect(throws: ValidationError.self) { try TransferRun.check(.scp, flags) }
        flags = try TransferFlags.parse([])
        try TransferRun.check(.scp, flags)
    }
}
