import Testing
@testable import Transfer

/// Splitting a big file into ranges, tracking them, the record a resume
/// trusts, and the policy that picks the session count.
@Suite struct RangePlanTests {
    static let mib: UInt64 = 1 << 20

    @Test func smallFilesAndSingleSessionsAreNotSplit() {
        #expect(RangePlan.split(from: 0, to: 63 * Self.mib, sessions: 8, minimum: 32 * Self.mib) == [0..<(63 * Self.mib)])
        #expect(RangePlan.split(from: 0, to: 1 << 30, sessions: 1, minimum: 32 * Self.mib) == [0..<(1 << 30)])
        #expect(RangePlan.split(from: 5, to: 5, sessions: 4, minimum: 1).isEmpty)
    }

    @Test func twoHundredFiftySixMiBOverEightSessionsIsEightRangesOf32MiB() {
        let ranges = RangePlan.split(from: 0, to: 256 * Self.mib, sessions: 8, minimum: 32 * Self.mib)
        #expect(ranges.count == 8)
        #expect(ranges.allSatisfy { $0.count == Int(32 * Self.mib) })
    }

    @Test func veryBigFilesGetRangesOfAtMostTwiceTheMinimum() {
        let ranges = RangePlan.split(from: 0, to: 1 << 30, sessions: 8, minimum: 32 * Self.mib)
        #expect(ranges.count == 16)
        #expect(ranges.allSatisfy { $0.count == Int(64 * Self.mib) })
        // Few sessions never make ranges smaller than the minimum either.
        #expect(RangePlan.split(from: 0, to: 100 * Self.mib, sessions: 64, minimum: 32 * Self.mib).count == 4)
    }

    @Test(arguments: [(UInt64(5_000_001), UInt64(200_000_000), 3), (UInt64(0), UInt64(73_400_321), 2), (UInt64(1), UInt64(1) << 33, 8)])
    func rangesCoverExactlyFromAResumeOffset(_ start: UInt64, _ end: UInt64, _ sessions: Int) {
        let minimum = 32 * Self.mib
        let ranges = RangePlan.split(from: start, to: end, sessions: sessions, minimum: minimum)
        #expect(ranges.first?.lowerBound == start)
        #expect(ranges.last?.upperBound == end)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        for range in ranges.dropLast() {
            #expect(UInt64(range.count) >= minimum && UInt64(range.count) <= 2 * minimum)
            #expect(range.count % Int(Self.mib) == 0)
        }
    }

    @Test func completePrefixFollowsTheLeadingFinishedRanges() {
        let progress = RangeProgress([0..<100, 100..<200, 200..<300])
        #expect(progress.completePrefix == 0)
        progress.finish(2, at: 300)
        progress.advance(1, to: 150)
        #expect(progress.completePrefix == 0)
        progress.advance(0, to: 40)
        #expect(progress.completePrefix == 40)
        progress.finish(0, at: 100)
        #expect(progress.completePrefix == 150)
        #expect(!progress.isComplete)
        progress.finish(1, at: 200)
        #expect(progress.completePrefix == 300)
        #expect(progress.isComplete)
        #expect(progress.end == 300)
    }

    @Test func rangesAreTakenInOrderAndAGivenBackRangeResumesWhereItGot() {
        let progress = RangeProgress([0..<10, 10..<20, 20..<30])
        #expect(progress.take()?.index == 0)
        let second = progress.take()
        #expect(second?.index == 1 && second?.from == 10)
        progress.advance(1, to: 14)
        progress.putBack(1)
        let again = progress.take()
        #expect(again?.index == 1 && again?.from == 14)
        #expect(progress.take()?.index == 2)
        #expect(progress.take() == nil)
    }

    @Test func recordRoundTripsAndRefusesAnythingElse() {
        for value: UInt64 in [0, 1, 123_456_789, .max] {
            #expect(RangeRecord.decode(RangeRecord.encode(value)) == value)
            #expect(RangeRecord.encode(value).count == RangeRecord.length)
        }
        #expect(RangeRecord.decode(Array("ferry-ranges 1 12\n".utf8)) == nil)
        #expect(RangeRecord.decode(Array("ferry-ranges 2 00000000000000000012\n".utf8)) == nil)
        #expect(RangeRecord.decode(Array("ferry-ranges 1 0000000000000000001x\n".utf8)) == nil)
        #expect(RangeRecord.decode(Array("ferry-ranges 1 99999999999999999999\n".utf8)) == nil)
        #expect(RangeRecord.decode([]) == nil)
    }
}

@Suite struct SessionCountPolicyTests {
    static let window = SessionCountPolicy.openSSHChannelWindow

    @Test func aShortLinkKeepsOneSession() {
        let policy = SessionCountPolicy()
        #expect(policy.initial(rtt: .zero, window: Self.window) == 1)
        #expect(policy.initial(rtt: .microseconds(300), window: Self.window) == 1)
        #expect(policy.initial(rtt: .milliseconds(1), window: Self.window) == 1)
    }

    @Test func sessionsCoverTheBandwidthDelayProductUpToTheCap() {
        let policy = SessionCountPolicy(connectionRate: 400e6)
        // 400 MB/s × 10 ms = 4 MB: two 2 MiB windows.
        #expect(policy.initial(rtt: .milliseconds(10), window: Self.window) == 2)
        #expect(policy.initial(rtt: .milliseconds(25), window: Self.window) == 5)
        #expect(policy.initial(rtt: .milliseconds(50), window: Self.window) == 8)
        #expect(policy.initial(rtt: .milliseconds(100), window: Self.window) == 8)
        #expect(SessionCountPolicy(cap: 4).initial(rtt: .milliseconds(100), window: Self.window) == 4)
        // A download's window is ours (33 MiB): one session covers 50 ms.
        #expect(policy.initial(rtt: .milliseconds(50), window: 33 << 20) == 1)
        #expect(policy.initial(rtt: .milliseconds(50), window: 0) == 1)
    }

    @Test func growsWhileTheWindowIsTheLimit() {
        let policy = SessionCountPolicy()
        let rtt = Duration.milliseconds(50)
        let perSession = Double(Self.window) / 0.05  // ≈ 42 MB/s
        #expect(policy.next(current: 2, rtt: rtt, window: Self.window, throughput: 2 * perSession * 0.95) == 4)
        #expect(policy.next(current: 4, rtt: rtt, window: Self.window, throughput: 4 * perSession * 0.8) == 8)
        #expect(policy.next(current: 6, rtt: rtt, window: Self.window, throughput: 6 * perSession) == 8)
    }

    @Test func staysWhenSomethingElseIsTheLimit() {
        let policy = SessionCountPolicy()
        let rtt = Duration.milliseconds(50)
        let perSession = Double(Self.window) / 0.05
        // A 10 Mbit/s link: far below what two windows allow.
        #expect(policy.next(current: 2, rtt: rtt, window: Self.window, throughput: 1.25e6) == 2)
        #expect(policy.next(current: 2, rtt: rtt, window: Self.window, throughput: 2 * perSession * 0.5) == 2)
        #expect(policy.next(current: 8, rtt: rtt, window: Self.window, throughput: 8 * perSession) == 8)
        #expect(policy.next(current: 2, rtt: .zero, window: Self.window, throughput: 1e9) == 2)
        #expect(policy.next(current: 2, rtt: rtt, window: Self.window, throughput: .nan) == 2)
    }
}
