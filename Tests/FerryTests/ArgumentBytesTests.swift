import Testing
@testable import ferry

/// Sizes as typed on a command line, and paths kept as the bytes they were.
@Suite struct ArgumentBytesTests {
    @Test func sizesWithSuffixes() {
        #expect(ByteCount.parse("0") == 0)
        #expect(ByteCount.parse("1234") == 1234)
        #expect(ByteCount.parse("10k") == 10 << 10)
        #expect(ByteCount.parse("3M") == 3 << 20)
        #expect(ByteCount.parse("2GiB") == 2 << 30)
        #expect(ByteCount.parse("1TB") == 1 << 40)
        #expect(ByteCount.parse("") == nil)
        #expect(ByteCount.parse("K") == nil)
        #expect(ByteCount.parse("-1") == nil)
        #expect(ByteCount.parse("1.5G") == nil)
        #expect(ByteCount.parse("99999999999999999T") == nil)   // overflows
    }

    @Test func remotePathWithoutReplacementIsItsText() throws {
        let text = "user@host:dir/ünï name"
        let location = try #require(try RemoteLocation.parse(text))
        #expect(RawArguments.remotePath(location, in: text) == Array("dir/ünï name".utf8))
    }
}
