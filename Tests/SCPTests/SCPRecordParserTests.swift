import Testing
@testable import SCP

@Suite struct SCPRecordParserTests {
    func parse(_ text: String) throws -> SCPRecord { try SCPRecordParser.parse(Array(text.utf8)) }

    @Test func parsesEachRecordType() throws {
        #expect(try parse("C0644 12 a b.txt") == .file(mode: 0o644, size: 12, name: Array("a b.txt".utf8)))
        #expect(try parse("D0755 0 dir") == .directory(mode: 0o755, name: Array("dir".utf8)))
        #expect(try parse("E") == .endDirectory)
        #expect(try parse("T1700000000 0 1600000000 0") == .times(SCPTimes(modification: 1_700_000_000, access: 1_600_000_000)))
        #expect(try parse("C0644 9223372036854775807 big") == .file(mode: 0o644, size: UInt64(Int64.max), name: Array("big".utf8)))
    }

    @Test func encodedRecordsParseBack() throws {
        let records: [SCPRecord] = [.file(mode: 0o600, size: 0, name: [0xFF, 0x41]), .directory(mode: 0o7, name: Array("d".utf8)),
                                    .endDirectory, .times(SCPTimes(modification: 1, access: UInt32.max))]
        for record in records {
            #expect(try SCPRecordParser.parse(record.encoded.dropLast()) == record)
        }
        #expect(SCPRecord.file(mode: 0o7, size: 3, name: Array("x".utf8)).encoded == Array("C0007 3 x\n".utf8))
    }

    @Test(arguments: [
        "", "X0644 1 a", "C", "C644", "C06a4 1 a", "C0644", "C0644 1", "C0644  1 a", "C0644 -1 a", "C0644 +1 a",
        "C0644 1a b", "C010644 1 a", "C17777 1 a", "C0644 9223372036854775808 a", "C0644 99999999999999999999999 a",
        "D0755 a", "D0755 x a", "E ", "Ex", "T1 0 1", "T1 0 1 0 ", "T-1 0 1 0", "T1 1000000 1 0", "T1 0 1 1000000",
        "T4294967296 0 1 0", "T1 0 4294967296 0", "T1  0 1 0", "T 1 0 1 0", "\u{1}C0644 1 a",
    ])
    func refusesMalformedRecords(_ line: String) {
        #expect(throws: SCPError(.badRecord, "")) { try parse(line) }
    }

    @Test func modeAboveOctal7777IsRefusedWithTheReason() {
        #expect { try parse("C10000 1 a") } throws: { ($0 as? SCPError)?.message.contains("outside 07777") == true }
    }
}
