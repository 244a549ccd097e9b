import NIOCore
import Testing
@testable import SCP

/// A simplified event, data joined per file, for comparisons.
enum Seen: Equatable {
    case file([String], String, UInt32, UInt64, SCPTimes?)
    case data([UInt8])
    case end(String?)
    case directory(String, UInt32, SCPTimes?)
    case endDirectory
    case warning(String)
}

/// Runs a sink over `stream`, given in pieces of `chunk` bytes, accepting
/// every file; returns what it reported and sent.
func runSink(_ stream: [UInt8], recursive: Bool = false, expect source: String = "f", chunk: Int = 7,
             answersAhead: Int = 0, localFailure: String? = nil) throws -> (seen: [Seen], output: [UInt8]) {
    var sink = SCPSink(request: .init(recursive: recursive, expectation: .forSource(Array(source.utf8)),
                                      answersAhead: answersAhead))
    var seen: [Seen] = []
    var output = sink.takeOutput()
    var offset = 0
    func drain() throws {
        while let event = try sink.next() {
            switch event {
            case .file(let e):
                seen.append(.file(e.directory.map { String(decoding: $0, as: UTF8.self) }, String(decoding: e.name, as: UTF8.self),
                                  e.mode, e.size, e.times))
            case .data(let buffer):
                if case .data(let previous)? = seen.last {
                    seen[seen.count - 1] = .data(previous + Array(buffer.readableBytesView))
                } else {
                    seen.append(.data(Array(buffer.readableBytesView)))
                }
            case .fileEnd(let failure):
                seen.append(.end(failure))
                sink.finishFile(localFailure: localFailure)
            case .directory(let e): seen.append(.directory(String(decoding: e.name, as: UTF8.self), e.mode, e.times))
            case .endDirectory: seen.append(.endDirectory)
            case .warning(let message): seen.append(.warning(message))
            }
        }
        output += sink.takeOutput()
    }
    while offset < stream.count {
        let end = min(stream.count, offset + chunk)
        sink.receive(ByteBuffer(bytes: stream[offset..<end]))
        offset = end
        try drain()
    }
    try drain()
    try sink.finish()
    return (seen, output)
}

func bytes(_ parts: Any...) -> [UInt8] {
    var out: [UInt8] = []
    for part in parts {
        if let text = part as? String { out += Array(text.utf8) } else if let byte = part as? UInt8 { out.append(byte) }
        else if let array = part as? [UInt8] { out += array }
    }
    return out
}

@Suite struct SCPSinkTests {
    @Test(arguments: [1, 3, 7, 4096])
    func receivesAFileInAnyChunking(_ chunk: Int) throws {
        let (seen, output) = try runSink(bytes("T1700000000 0 1600000000 0\n", "C4755 5 f\n", "hello", UInt8(0)), chunk: chunk)
        let times = SCPTimes(modification: 1_700_000_000, access: 1_600_000_000)
        #expect(seen == [.file([], "f", 0o755, 5, times), .data(Array("hello".utf8)), .end(nil)], "set-id bits dropped")
        #expect(output == [0, 0, 0, 0], "start, T, C, file")
    }

    @Test func receivesEmptyFilesAndTrees() throws {
        let stream = bytes("D0750 0 f\n", "C0644 0 empty\n", UInt8(0), "D0700 0 sub\n", "C0600 2 x\n", "ab", UInt8(0), "E\n", "E\n")
        let (seen, output) = try runSink(stream, recursive: true)
        #expect(seen == [.directory("f", 0o750, nil), .file(["f"], "empty", 0o644, 0, nil), .end(nil),
                         .directory("sub", 0o700, nil), .file(["f", "sub"], "x", 0o600, 2, nil), .data(Array("ab".utf8)), .end(nil),
                         .endDirectory, .endDirectory])
        #expect(output == [UInt8](repeating: 0, count: 9))
    }

    /// Answers sent ahead: n extra 0s at the start, then exactly one 0 for
    /// every reply the source reads (T, C, D, E and each file's end), so
    /// the count the source finds waiting never drops below n, and a local
    /// failure sends no warning that the source would take for a later
    /// record's answer.
    @Test(arguments: [1, 7, 4096])
    func answersGoAheadOnePerReply(_ chunk: Int) throws {
        let stream = bytes("D0750 0 f\n", "T1700000000 0 1600000000 0\n", "C0644 0 empty\n", UInt8(0),
                           "C0600 2 x\n", "ab", UInt8(1), "scp: x: read error\n",
                           UInt8(1), "scp: y: No such file or directory\n", "E\n")
        let stopAndWait = try runSink(stream, recursive: true, chunk: chunk, localFailure: "disk full")
        // Start, D, T, C, end, C, end (the source's failure), E; the local
        // failure is told as a warning at each file's end.
        let warning = [UInt8(1)] + Array("ferry: disk full\n".utf8)
        #expect(stopAndWait.output == [0, 0, 0, 0] + warning + [0] + warning + [0])
        let ahead = try runSink(stream, recursive: true, chunk: chunk, answersAhead: 16, localFailure: "disk full")
        #expect(ahead.seen == stopAndWait.seen)
        #expect(ahead.output == [UInt8](repeating: 0, count: 1 + 16 + 7))
    }

    @Test func answersAheadAreBounded() {
        var sink = SCPSink(request: .init(recursive: false, expectation: .exactly(Array("f".utf8)), answersAhead: 1 << 40))
        #expect(sink.takeOutput().count == 1 + SCPProtocol.maxAnswersAhead)
    }

    @Test func warningsAndFailedFilesGoOn() throws {
        let stream = bytes(UInt8(1), "scp: a.log: No such file or directory\n", "C0644 3 b.log\n", "abc",
                           UInt8(1), "scp: b.log: read error\n", "C0644 1 c.log\n", "z", UInt8(0))
        let (seen, _) = try runSink(stream, expect: "*.log")
        #expect(seen == [.warning("scp: a.log: No such file or directory"), .file([], "b.log", 0o644, 3, nil),
                         .data(Array("abc".utf8)), .end("scp: b.log: read error"), .file([], "c.log", 0o644, 1, nil),
                         .data(Array("z".utf8)), .end(nil)])
    }

    @Test func dotIsTheDirectoryAskedFor() throws {
        let (seen, _) = try runSink(bytes("D0755 0 .\n", "E\n"), recursive: true, expect: ".")
        #expect(seen == [.directory(".", 0o755, nil), .endDirectory])
    }

    /// OpenSSH regress scp.sh's "bad server" cases and the issue's list:
    /// each is refused with the expected code.
    @Test(arguments: [
        // Names (CVE-2018-20685, CVE-2019-6111).
        (bytes("C0644 1 ..\n"), SCPError.Code.badName, "f"),
        (bytes("C0644 1 .\n"), .badName, "f"),
        (bytes("C0644 1 \n"), .badName, "f"),
        (bytes("C0644 1 ../f\n"), .badName, "f"),
        (bytes("C0644 1 /etc/f\n"), .badName, "f"),
        (bytes("C0644 1 a\0b\n"), .badName, "f"),
        (bytes("C0644 1 ", [UInt8](repeating: 0x61, count: 256), "\n"), .badName, "*"),
        (bytes("C0644 1 .bashrc\n"), .unexpectedName, "f"),
        (bytes("C0644 1 evil\n"), .unexpectedName, "*.txt"),
        (bytes("C0644 1 f\n", "x", UInt8(0), "C0644 1 f\n"), .unexpectedName, "f"),
        (bytes("D0755 0 f\n", "D0755 0 ..\n"), .badName, "f"),
        (bytes("D0755 0 f\n", "C0644 1 a/b\n"), .badName, "f"),
        (bytes("D0755 0 f\n", "D0755 0 .\n"), .badName, "f"),
        // Sequence.
        (bytes("D0755 0 f\n"), .badSequence, "f-no-r"),
        (bytes("E\n"), .badSequence, "f"),
        (bytes("T1 0 1 0\n", "T1 0 1 0\n"), .badSequence, "f"),
        (bytes("T1 0 1 0\n", "E\n"), .badSequence, "f"),
        (bytes("T1 0 1 0\n"), .badSequence, "f"),
        (bytes("D0755 0 f\n"), .unexpectedEOF, "f"),
        (bytes(Array(repeating: bytes("D0755 0 f\n"), count: 70).flatMap { $0 }), .badSequence, "f"),
        // Sizes and lengths.
        (bytes("C0644 -1 f\n"), .badRecord, "f"),
        (bytes("C0644 18446744073709551616 f\n"), .badRecord, "f"),
        (bytes("C0644 9223372036854775808 f\n"), .badRecord, "f"),
        (bytes("C0644 3 f\n", "ab"), .unexpectedEOF, "f"),
        (bytes("C0644 3 f\n", "abc"), .unexpectedEOF, "f"),
        (bytes("C0644 3 f\n", "abcd"), .badLength, "f"),
        (bytes("C0644 3 f\n", "abc", UInt8(2), "scp: gone\n"), .peerFailed, "f"),
        (bytes(UInt8(2), "scp: fatal\n"), .peerFailed, "f"),
        (bytes("C0644 1 f"), .badRecord, "f"),
        (bytes("C0644 1 ", [UInt8](repeating: 0x61, count: 2100)), .badRecord, "f"),
        (bytes(UInt8(1), [UInt8](repeating: 0x61, count: 2100)), .badRecord, "f"),
        // Times and modes.
        (bytes("T99999999999 0 1 0\n"), .badRecord, "f"),
        (bytes("T1 0 1 1000000\n"), .badRecord, "f"),
        (bytes("C20644 1 f\n"), .badRecord, "f"),
        (bytes("Q\n"), .badRecord, "f"),
    ] as [([UInt8], SCPError.Code, String)])
    func refusesAHostileSource(_ stream: [UInt8], _ code: SCPError.Code, _ source: String) throws {
        let recursive = !source.hasSuffix("-no-r")
        let asked = recursive ? source : String(source.dropLast(5))
        for chunk in [1, 4096] {
            #expect(throws: SCPError(code, "")) { try runSink(stream, recursive: recursive, expect: asked, chunk: chunk) }
        }
    }

    @Test func staysFailedAfterARefusal() {
        var sink = SCPSink(request: .init(recursive: false, expectation: .exactly(Array("f".utf8))))
        sink.receive(ByteBuffer(bytes: bytes("C0644 1 ..\n")))
        #expect(throws: SCPError(.badName, "")) { try sink.next() }
        sink.receive(ByteBuffer(bytes: bytes("C0644 1 f\n")))
        #expect(throws: SCPError(.badName, "")) { try sink.next() }
        #expect(throws: SCPError(.badName, "")) { try sink.finish() }
    }

    @Test func waitsForTheVerdictBeforeReadingOn() throws {
        var sink = SCPSink(request: .init(recursive: false, expectation: .matching(Array("*".utf8))))
        _ = sink.takeOutput()
        sink.receive(ByteBuffer(bytes: bytes("C0644 1 a\n", "x", UInt8(0), "C0644 1 b\n", "y", UInt8(0))))
        guard case .file = try sink.next() else { Issue.record("file expected"); return }
        guard case .data = try sink.next() else { Issue.record("data expected"); return }
        #expect(try sink.next() == .fileEnd(failure: nil))
        #expect(try sink.next() == nil)
        #expect(sink.takeOutput() == [0])
        sink.finishFile(localFailure: "disk full\nreally")
        #expect(sink.takeOutput() == bytes(UInt8(1), "ferry: disk full really\n"))
        guard case .file(let entry) = try sink.next() else { Issue.record("file expected"); return }
        #expect(entry.name == Array("b".utf8))
    }
}
