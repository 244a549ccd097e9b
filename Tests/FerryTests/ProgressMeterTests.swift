import Foundation
import Testing
import Transfer
@testable import ferry

// The progress meter's pure pieces: the redraw throttle (with an injected
// clock), the smoothed rate, the line's layout and name truncation, and the
// --json events' shape.

@Suite("progress meter: throttle, rate, layout, JSON events")
struct ProgressMeterTests {
    @Test("at most one redraw per tenth of a second, whatever the callers ask")
    func throttleKeepsToTenPerSecond() {
        var throttle = RedrawThrottle()
        let answers = [5.0, 5.05, 5.099, 5.1, 5.15, 5.2].map { throttle.shouldDraw(at: $0) }
        #expect(answers == [true, false, false, true, false, true])
        // A burst of 1000 asks in one second draws at most 10 times.
        var drawn = 0
        for step in 0..<1000 where throttle.shouldDraw(at: 6.0 + Double(step) / 1000) { drawn += 1 }
        #expect(drawn == 10)
        // A quiet spell: the next ask draws at once.
        let afterQuiet = throttle.shouldDraw(at: 60)
        #expect(afterQuiet)
    }

    @Test("the rate is smoothed over time, not the last burst")
    func rateIsSmoothed() {
        var rate = RateEstimator(smoothing: 2)
        #expect(rate.rate == nil)
        rate.sample(bytes: 0, at: 0)
        #expect(rate.rate == nil)
        rate.sample(bytes: 1_000_000, at: 1)
        #expect(rate.rate == 1_000_000)
        // Steady 1 MB/s, then one 0.1 s burst at 10 MB/s: the shown rate
        // moves a little toward it, far from 10 MB/s.
        for second in 2...10 { rate.sample(bytes: UInt64(second) * 1_000_000, at: Double(second)) }
        #expect(abs((rate.rate ?? 0) - 1_000_000) < 1)
        rate.sample(bytes: 11_000_000, at: 10.1)
        let after = rate.rate ?? 0
        #expect(after > 1_000_000 && after < 2_000_000, "\(after)")
        // Sampled ten times as often, a steady rate is the same rate.
        var often = RateEstimator(smoothing: 2)
        for tick in 0...100 { often.sample(bytes: UInt64(tick) * 50_000, at: Double(tick) / 10) }
        #expect(abs((often.rate ?? 0) - 500_000) < 1)
    }

    @Test("names are cut from the left to the width left, with an ellipsis")
    func nameTruncation() {
        #expect(ProgressLine.fit("a.txt", 8) == "a.txt   ")
        #expect(ProgressLine.fit("dir/sub/big.bin", 8) == "…big.bin")
        #expect(ProgressLine.fit("dir/sub/big.bin", 15) == "dir/sub/big.bin")
        #expect(ProgressLine.fit("données/été.bin", 8).count == 8)
        #expect(ProgressLine.fit("x", 0) == "")
        #expect(ProgressLine.fit("xyz", 1) == "…")
    }

    static let figures = ProgressLine.Figures(name: "some/long/directory/name/with/a/file.bin", bytesDone: 82_000_000,
                                              bytesTotal: 264_000_000, filesDone: 3, filesTotal: 12, rate: 23_100_000)

    @Test("the line fits the terminal at every width, and shows percent, sizes, files, rate and ETA")
    func lineLayout() {
        let line = ProgressLine.render(Self.figures, width: 100)
        #expect(line.contains(" 31%"), "\(line)")
        #expect(line.contains("82.0MB/264.0MB"), "\(line)")
        #expect(line.contains("3/12 files"), "\(line)")
        #expect(line.contains("23.1MB/s"), "\(line)")
        #expect(line.contains("00:08 ETA"), "\(line)")
        #expect(line.hasPrefix("some/long/directory/name/with/a/file.bin"), "\(line)")
        for width in 1...200 {
            let text = ProgressLine.render(Self.figures, width: width)
            #expect(text.count <= max(0, width - 1), "width \(width): \(text.count) \(text)")
        }
        let narrow = ProgressLine.render(Self.figures, width: 70)
        #expect(narrow.hasPrefix("…") && narrow.contains("file.bin"), "\(narrow)")
    }

    @Test("totals not known yet are shown as ?, not guessed")
    func unknownTotals() {
        let line = ProgressLine.render(.init(name: "a", bytesDone: 1500, bytesTotal: nil, filesDone: 0, filesTotal: nil, rate: nil),
                                       width: 80)
        #expect(line.contains("--%") && line.contains("1.5kB/?") && line.contains("0/? files") && line.contains("--/s")
                && line.contains("--:-- ETA"), "\(line)")
    }

    @Test("byte counts and clocks")
    func units() {
        #expect(ProgressLine.bytes(0) == "0B")
        #expect(ProgressLine.bytes(999) == "999B")
        #expect(ProgressLine.bytes(1000) == "1.0kB")
        #expect(ProgressLine.bytes(999_960) == "1.0MB")
        #expect(ProgressLine.bytes(UInt64.max).hasSuffix("EB"))
        #expect(ProgressLine.clock(7) == "00:07")
        #expect(ProgressLine.clock(3_725) == "01:02:05")
    }

    @Test("-v lines give name, size, time and rate")
    func fileLine() {
        #expect(TransferDisplay.fileLine("dir/a.bin", bytes: 2_000_000, seconds: 0.5) == "dir/a.bin  2.0MB  0.5s  4.0MB/s")
        #expect(TransferDisplay.fileLine("b", bytes: 12, seconds: nil) == "b  12B")
    }

    @Test("JSON events parse, with the fields docs/json-output.md lists")
    func jsonEvents() throws {
        func parse(_ line: String) throws -> [String: Any] {
            #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false)
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let start = try parse(JSONEvents.start(files: 2, bytes: 300))
        #expect(start["event"] as? String == "start" && start["files_total"] as? Int == 2 && start["bytes_total"] as? Int == 300)
        let done = try parse(JSONEvents.finished(path: "dir/\"q\"\n", bytes: 5, seconds: 0.12345))
        #expect(done["status"] as? String == "finished" && done["path"] as? String == "dir/\"q\"\n" && done["seconds"] as? Double == 0.123)
        var error = TransferError(.remote, "x: Permission denied")
        error.path = "x"
        let failed = try parse(JSONEvents.failed(error, seconds: nil))
        #expect(failed["status"] as? String == "failed" && failed["error"] as? String == "x: Permission denied"
                && failed["code"] as? String == "remote" && failed["path"] as? String == "x")
        let summary = try parse(JSONEvents.summary(files: 1, bytes: 5, failed: 1, skipped: 0, seconds: 2))
        #expect(summary["status"] as? String == "failed" && summary["rate"] as? Double == 2.5)
        let progress = try parse(JSONEvents.progress(Self.figures, seconds: 1))
        #expect(progress["bytes"] as? Int == 82_000_000 && progress["bytes_total"] as? Int == 264_000_000)
    }
}
