import CompareCore
import Testing

@Suite struct StatisticsTests {
    @Test func medianOfOddAndEvenCounts() {
        #expect(Statistics.median([3, 1, 2]) == 2)
        #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
        #expect(Statistics.median([7]) == 7)
        #expect(Statistics.median([]) == nil)
    }

    @Test func summaryHoldsMedianMinMax() throws {
        let summary = try #require(Summary([5, 1, 9, 3, 7]))
        #expect(summary == Summary([1, 3, 5, 7, 9]))
        #expect(summary.median == 5 && summary.min == 1 && summary.max == 9 && summary.count == 5)
        #expect(Summary([]) == nil)
    }

    /// The ratio is taken run by run, not as a ratio of medians, and a pair
    /// with a failed run is dropped.
    @Test func pairwiseRatiosPairRunByRun() {
        let ferry: [Double?] = [1, 2, nil, 4]
        let other: [Double?] = [2, 2, 5, nil]
        #expect(Statistics.pairwiseRatios(ferry, other) == [0.5, 1])
        let ratios = Statistics.pairwiseRatios([1, 3, 2], [4, 3, 1])
        #expect(ratios == [0.25, 1, 2])
        #expect(Statistics.median(ratios) == 1)
        // Ratio of medians would be 2/3: a different number.
    }

    @Test func throughputUsesDecimalMegabytes() {
        #expect(Statistics.megabytesPerSecond(bytes: 1_000_000_000, seconds: 4) == 250)
        #expect(Statistics.megabytesPerSecond(bytes: 1, seconds: 0) == nil)
    }
}
