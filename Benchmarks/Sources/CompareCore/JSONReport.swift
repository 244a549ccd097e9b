import Foundation

/// JSONReport writes results.json: the whole report, raw runs included.
public enum JSONReport {
    public static func render(_ report: ComparisonReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(report)
    }

    public static func parse(_ data: Data) throws -> ComparisonReport {
        try JSONDecoder().decode(ComparisonReport.self, from: data)
    }
}
