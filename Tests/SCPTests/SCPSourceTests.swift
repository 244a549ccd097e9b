import NIOCore
import Testing
@testable import SCP

@Suite struct SCPSourceTests {
    @Test func writesRecordsAndCountsData() throws {
        var source = SCPSource()
        #expect(source.times(SCPTimes(modification: 5, access: 6)) == Array("T5 0 6 0\n".utf8))
        #expect(try source.beginDirectory(mode: 0o40755, name: Array("d".utf8)) == Array("D0755 0 d\n".utf8))
        #expect(try source.beginFile(mode: 0o100644, size: 3, name: Array("a b".utf8)) == Array("C0644 3 a b\n".utf8))
        try source.sent(2)
        #expect(throws: SCPError(.badLength, "")) { try source.endFile() }
        #expect(try source.beginFile(mode: 0o644, size: 3, name: Array("x".utf8)).count > 0)
        try source.sent(3)
        #expect(throws: SCPError(.badLength, "")) { try source.sent(1) }
        #expect(try source.endFile() == [0])
        #expect(try source.endDirectory() == Array("E\n".utf8))
        #expect(throws: SCPError(.badSequence, "")) { try source.endDirectory() }
        #expect(throws: SCPError(.badName, "")) { try source.beginFile(mode: 0o644, size: 0, name: Array("a\nC0644 1 b".utf8)) }
    }

    @Test func parsesReplies() throws {
        var source = SCPSource()
        for byte in bytes(UInt8(0), UInt8(1), "scp: t: Permission denied\n", UInt8(0)) {
            source.receive(ByteBuffer(bytes: [byte]))
        }
        #expect(try source.nextReply() == .ok)
        #expect(try source.nextReply() == .warning("scp: t: Permission denied"))
        #expect(try source.nextReply() == .ok)
        #expect(try source.nextReply() == nil)
        source.receive(ByteBuffer(bytes: bytes(UInt8(2), "scp: t: No space\n")))
        #expect(throws: SCPError(.peerFailed, "")) { try source.nextReply() }
        var other = SCPSource()
        other.receive(ByteBuffer(bytes: Array("C".utf8)))
        #expect(throws: SCPError(.badRecord, "")) { try other.nextReply() }
        var long = SCPSource()
        long.receive(ByteBuffer(bytes: [1] + [UInt8](repeating: 0x61, count: 3000)))
        #expect(throws: SCPError(.badRecord, "")) { try long.nextReply() }
    }

    /// A source and a sink back to back: what one sends, the other takes.
    @Test func sourceAndSinkAgree() throws {
        var source = SCPSource()
        var stream = source.times(SCPTimes(modification: 10, access: 20))
        stream += try source.beginDirectory(mode: 0o755, name: Array("tree".utf8))
        stream += try source.beginFile(mode: 0o640, size: 4, name: [0xC3, 0xA9])
        stream += Array("data".utf8)
        try source.sent(4)
        stream += try source.endFile()
        stream += try source.endDirectory()
        let (seen, _) = try runSink(stream, recursive: true, expect: "tree")
        #expect(seen == [.directory("tree", 0o755, SCPTimes(modification: 10, access: 20)),
                         .file(["tree"], "é", 0o640, 4, nil), .data(Array("data".utf8)), .end(nil), .endDirectory])
    }
}
