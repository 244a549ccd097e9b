import SFTPTestSupport
import NIOCore
import Testing
@testable import SFTP

/// STATs sent behind INIT, before VERSION (`connect(statsAhead:)`): they
/// leave with INIT, each answers the first `stat` of its path, and the
/// session's own ids start after them.
@Suite struct StatsAheadTests {
    /// A scripted server: reads what the client sent before VERSION, then
    /// answers as `reply` says.
    private actor Server {
        let stream: MemoryStream
        var decoder = SFTPFrameDecoder()

        init(_ stream: MemoryStream) { self.stream = stream }

        /// The next `count` messages from the client.
        func read(_ count: Int) async throws -> [SFTPMessage] {
            var messages: [SFTPMessage] = []
            while messages.count < count {
                if let body = try decoder.next() {
                    messages.append(try SFTPMessage.decode(body))
                    continue
                }
                guard let chunk = try await stream.read() else { throw SFTPTestError("client closed") }
                decoder.append(chunk)
            }
            return messages
        }

        /// Sends one message to the client.
        func send(_ message: SFTPMessage) async throws { try await stream.write(message.encoded()) }
    }

    @Test("the STATs go before VERSION; each answers its path's first stat; later requests get new ids")
    func statsAhead() async throws {
        let (clientEnd, serverEnd) = MemoryStream.pair()
        let server = Server(serverEnd)
        let present = SFTPPath("present"), missing = SFTPPath("missing")
        async let connected = SFTPClient.connect(over: clientEnd, statsAhead: [present, missing])
        // All three arrive before the server says anything.
        let opening = try await server.read(3)
        guard case .initialize = opening[0] else { throw SFTPTestError("first is not INIT: \(opening[0])") }
        #expect(opening[1] == .request(id: 0, .stat(path: present)))
        #expect(opening[2] == .request(id: 1, .stat(path: missing)))
        try await server.send(.version(version: 3, extensions: []))
        try await server.send(.reply(id: 0, .attributes(SFTPAttributes(size: 42, permissions: 0o100644))))
        try await server.send(.reply(id: 1, .status(SFTPStatus(code: .noSuchFile, message: "No such file"))))
        let client = try await connected

        #expect(try await client.stat(present).size == 42)
        await #expect(throws: SFTPError.self) { _ = try await client.stat(missing) }

        // A second stat of the same path asks the server again, with the next id.
        async let again = client.stat(present)
        #expect(try await server.read(1) == [.request(id: 2, .stat(path: present))])
        try await server.send(.reply(id: 2, .attributes(SFTPAttributes(size: 43))))
        #expect(try await again.size == 43)
        client.close()
    }

    @Test("the opening packets a caller sends itself are INIT then the STATs, ids from 0")
    func openingPackets() throws {
        var packets = SFTPClient.openingPackets(statsAhead: [SFTPPath("a"), SFTPPath("b")])
        var decoder = SFTPFrameDecoder()
        decoder.append(packets)
        packets.clear()
        var messages: [SFTPMessage] = []
        while let body = try decoder.next() { messages.append(try SFTPMessage.decode(body)) }
        #expect(messages == [.initialize(version: 3, extensions: []),
                             .request(id: 0, .stat(path: SFTPPath("a"))), .request(id: 1, .stat(path: SFTPPath("b")))])
    }

    @Test("against OpenSSH's sftp-server: a stated-ahead file and directory")
    func realServer() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try "hello".write(toFile: dir.file("f"), atomically: false, encoding: .utf8)
        let server = try SFTPServerProcess(arguments: ["-d", dir.path])
        defer { server.stop() }
        let client = try await SFTPClient.connect(over: server, statsAhead: [SFTPPath("f"), SFTPPath(".")])
        #expect(try await client.stat(SFTPPath("f")).size == 5)
        #expect(try await client.stat(SFTPPath(".")).isDirectory)
        #expect(try await client.realpath(SFTPPath(".")) == SFTPPath(dir.path))
        client.close()
    }
}
