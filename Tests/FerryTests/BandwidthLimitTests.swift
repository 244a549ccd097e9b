import Testing
@testable import ferry

/// `-l` as scp and sftp take it (Kbit/s) and `--bwlimit` as rsync takes it.
@Suite struct BandwidthLimitTests {
    @Test func scpKilobitsPerSecond() {
        #expect(BandwidthLimit.kilobits(8) == 1024)
        #expect(BandwidthLimit.kilobits(160_000) == 20_480_000)
        #expect(BandwidthLimit.kilobits(0) == nil)
        #expect(BandwidthLimit.kilobits(.max) == nil)
    }

    @Test func rsyncRates() {
        #expect(BandwidthLimit.rsync("10M") == .some(10 << 20))
        #expect(BandwidthLimit.rsync("500K") == .some(500 << 10))
        #expect(BandwidthLimit.rsync("500k") == .some(500 << 10))
        #expect(BandwidthLimit.rsync("2GiB") == .some(2 << 30))
        #expect(BandwidthLimit.rsync("1.5m") == .some(3 << 19))
        #expect(BandwidthLimit.rsync("5MB") == .some(5_000_000))
        #expect(BandwidthLimit.rsync("300B") == .some(300))
        // No suffix: KiB/s, as rsync ("as if K had been appended").
        #expect(BandwidthLimit.rsync("100") == .some(102_400))
        // 0: no limit.
        #expect(BandwidthLimit.rsync("0") == .some(nil))
        for bad in ["", "M", "-1", "1e9", "ten", "1.2.3K", "99999999999999999999T", "0.1B"] {
            #expect(BandwidthLimit.rsync(bad) == nil, "\(bad)")
        }
    }

    @Test func getParsesEitherLimitButNotBoth() throws {
        let get = try GetCommand.parse(["--bwlimit", "20M", "h:x", "."])
        #expect(get.transfer.options.bytesPerSecond == 20 << 20)
        let scpStyle = try GetCommand.parse(["-l", "800", "h:x", "."])
        #expect(scpStyle.transfer.options.bytesPerSecond == 102_400)
        #expect(throws: (any Error).self) { try GetCommand.parse(["-l", "8", "--bwlimit", "1M", "h:x", "."]) }
        #expect(throws: (any Error).self) { try PutCommand.parse(["--bwlimit", "fast", "x", "h:."]) }
        #expect(try PutCommand.parse(["x", "h:."]).transfer.options.bytesPerSecond == nil)
    }
}
