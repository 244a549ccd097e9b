import Testing
@testable import SSHWire

/// RFC 4251 §5 mpint examples: value → encoding (length + bytes).
private let rfc4251MPInts: [(magnitude: [UInt8], encoding: [UInt8])] = [
    ([], [0x00, 0x00, 0x00, 0x00]),
    ([0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7],
     [0x00, 0x00, 0x00, 0x08, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]),
    ([0x80], [0x00, 0x00, 0x00, 0x02, 0x00, 0x80]),
]

@Test("RFC 4251 mpint examples encode", arguments: 0..<3)
func mpintEncodesRFCExamples(_ index: Int) {
    var w = WireWriter()
    w.writeMPInt(rfc4251MPInts[index].magnitude)
    #expect(w.bytes == rfc4251MPInts[index].encoding)
}

@Test("RFC 4251 mpint examples decode", arguments: 0..<3)
func mpintDecodesRFCExamples(_ index: Int) throws {
    var r = WireReader(rfc4251MPInts[index].encoding)
    #expect(try r.readMPInt() == rfc4251MPInts[index].magnitude)
    #expect(r.isAtEnd)
}

@Test func negativeMPIntsAreRejected() {
    // RFC 4251 examples -1234 (00 00 00 02 ed cc) and -deadbeef.
    for bytes: [UInt8] in [[0, 0, 0, 2, 0xed, 0xcc], [0, 0, 0, 5, 0xff, 0x21, 0x52, 0x41, 0x11]] {
        var r = WireReader(bytes)
        #expect(throws: WireError(.negativeInteger, "")) { try r.readMPInt() }
    }
}

@Test func redundantLeadingZeroIsRejectedUnlessAllowed() throws {
    let padded: [UInt8] = [0, 0, 0, 3, 0x00, 0x12, 0x34]
    var strict = WireReader(padded)
    #expect(throws: WireError(.nonCanonicalInteger, "")) { try strict.readMPInt() }
    var lax = WireReader(padded)
    #expect(try lax.readMPInt(allowNonCanonical: true) == [0x12, 0x34])
}

@Test func mpintStripsLeadingZerosWhenWriting() {
    var w = WireWriter()
    w.writeMPInt([0x00, 0x00, 0x7f])
    #expect(w.bytes == [0, 0, 0, 1, 0x7f])
}

@Test func integersRoundTrip() throws {
    var w = WireWriter()
    w.writeByte(0xab)
    w.writeBool(true)
    w.writeBool(false)
    w.writeUInt32(0x2945_9d3e)
    w.writeUInt64(0x0123_4567_89ab_cdef)
    #expect(w.bytes == [0xab, 1, 0, 0x29, 0x45, 0x9d, 0x3e, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
    var r = WireReader(w.bytes)
    #expect(try r.readByte() == 0xab)
    #expect(try r.readBool() == true)
    #expect(try r.readBool() == false)
    #expect(try r.readUInt32() == 0x2945_9d3e)
    #expect(try r.readUInt64() == 0x0123_4567_89ab_cdef)
    try r.expectEnd()
}

@Test func anyNonZeroBooleanIsTrue() throws {
    var r = WireReader([0x02])
    #expect(try r.readBool())
}

@Test func stringsRoundTrip() throws {
    var w = WireWriter()
    w.writeString("testing")
    w.writeString([UInt8]())
    #expect(Array(w.bytes.prefix(11)) == [0, 0, 0, 7] + Array("testing".utf8))
    var r = WireReader(w.bytes)
    #expect(try r.readUTF8() == "testing")
    #expect(try r.readString().isEmpty)
    #expect(r.isAtEnd)
}

@Test func nameListsFollowRFCExamples() throws {
    // RFC 4251 §5: (), ("zlib"), ("zlib", "none").
    let cases: [([String], [UInt8])] = [
        ([], [0, 0, 0, 0]),
        (["zlib"], [0, 0, 0, 4] + Array("zlib".utf8)),
        (["zlib", "none"], [0, 0, 0, 9] + Array("zlib,none".utf8)),
    ]
    for (names, encoding) in cases {
        var w = WireWriter()
        w.writeNameList(names)
        #expect(w.bytes == encoding)
        var r = WireReader(encoding)
        #expect(try r.readNameList() == names)
    }
}

@Test func malformedNameListsAreRejected() {
    for text in ["a,,b", ",a", "a,", "a b", "caf\u{e9}"] {
        var w = WireWriter()
        w.writeString(text)
        var r = WireReader(w.bytes)
        #expect(throws: WireError(.invalidNameList, "")) { try r.readNameList() }
    }
}

@Test func truncatedInputThrowsAtEveryLength() {
    var w = WireWriter()
    w.writeUInt32(7)
    w.writeUInt64(9)
    w.writeString("abc")
    w.writeMPInt([0x80, 1])
    let full = w.bytes
    for cut in 0..<full.count {
        var r = WireReader(Array(full.prefix(cut)))
        #expect(throws: WireError.self) {
            _ = try r.readUInt32()
            _ = try r.readUInt64()
            _ = try r.readString()
            _ = try r.readMPInt()
        }
    }
}

@Test func hugeDeclaredLengthIsRefusedWithoutReading() {
    var r = WireReader([0xff, 0xff, 0xff, 0xff, 1, 2, 3])
    #expect(throws: WireError(.tooLong, "")) { try r.readString() }
    #expect(r.position == 0)
    var small = WireReader([0, 0, 0, 9, 1, 2, 3])
    #expect(throws: WireError(.truncated, "")) { try small.readString() }
}

@Test func invalidUTF8IsRejected() {
    var w = WireWriter()
    w.writeString([0xc3, 0x28])
    var r = WireReader(w.bytes)
    #expect(throws: WireError(.invalidText, "")) { try r.readUTF8() }
}

@Test func trailingBytesAreReported() throws {
    var r = WireReader([0, 0, 0, 1, 9])
    _ = try r.readUInt32()
    #expect(throws: WireError(.trailingBytes, "")) { try r.expectEnd() }
}

@Test func readerOverSubrangeStaysInside() throws {
    let bytes: [UInt8] = [9, 9, 0, 0, 0, 1, 9, 9]
    var r = WireReader(bytes, range: 2..<6)
    #expect(try r.readUInt32() == 1)
    #expect(throws: WireError.self) { try r.readByte() }
    let clamped = WireReader(bytes, range: 5..<100)
    #expect(clamped.remaining == 3)
}

@Test func patchUInt32OverwritesInPlace() {
    var w = WireWriter()
    w.writeUInt32(0)
    w.writeByte(1)
    w.patchUInt32(0x0102_0304, at: 0)
    w.patchUInt32(5, at: 3)  // out of range: ignored, never traps
    #expect(w.bytes == [1, 2, 3, 4, 1])
}
