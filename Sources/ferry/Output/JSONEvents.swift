import Foundation
import Transfer

/// JSONEvents spells the `--json` events, one JSON object per line (JSON
/// Lines); the schema is docs/json-output.md. Every object has "event";
/// numbers are bytes, counts and seconds.
enum JSONEvents {
    /// The first event: the plan's totals as known when the first files
    /// were planned (a later "plan" event adds to them).
    static func start(files: Int, bytes: UInt64) -> String {
        line(["event": "start", "files_total": files, "bytes_total": bytes])
    }

    /// More files planned after the start (sync, an sftp batch): the
    /// increment and the new totals.
    static func plan(files: Int, bytes: UInt64, filesTotal: Int, bytesTotal: UInt64) -> String {
        line(["event": "plan", "files": files, "bytes": bytes, "files_total": filesTotal, "bytes_total": bytesTotal])
    }

    /// One file copied completely.
    static func finished(path: String, bytes: UInt64, seconds: Double?) -> String {
        var object: [String: Any] = ["event": "file", "status": "finished", "path": path, "bytes": bytes]
        if let seconds { object["seconds"] = rounded(seconds) }
        return line(object)
    }

    /// One file (or a source, then without "path") that failed.
    static func failed(_ error: TransferError, seconds: Double?) -> String {
        var object: [String: Any] = ["event": "file", "status": "failed", "error": error.message, "code": error.code.rawValue]
        if let path = error.path { object["path"] = path }
        if let seconds { object["seconds"] = rounded(seconds) }
        return line(object)
    }

    /// One entry left out on purpose.
    static func skipped(path: String, reason: String) -> String {
        line(["event": "file", "status": "skipped", "path": path, "reason": reason])
    }

    /// Something said about a file that is not a failure.
    static func notice(path: String, message: String) -> String {
        line(["event": "notice", "path": path, "message": message])
    }

    /// The figures the meter shows.
    static func progress(_ figures: ProgressLine.Figures, seconds: Double) -> String {
        var object: [String: Any] = ["event": "progress", "bytes": figures.bytesDone, "files": figures.filesDone,
                                     "seconds": rounded(seconds)]
        if let total = figures.bytesTotal { object["bytes_total"] = total }
        if let total = figures.filesTotal { object["files_total"] = total }
        if let rate = figures.rate { object["rate"] = rounded(rate) }
        return line(object)
    }

    /// The last event.
    static func summary(files: Int, bytes: UInt64, failed: Int, skipped: Int, seconds: Double) -> String {
        line(["event": "summary", "status": failed == 0 ? "ok" : "failed", "files": files, "bytes": bytes,
              "failed": failed, "skipped": skipped, "seconds": rounded(seconds),
              "rate": seconds > 0 ? rounded(Double(bytes) / seconds) : 0])
    }

    /// Milliseconds are enough, and keep lines short.
    static func rounded(_ value: Double) -> Double {
        guard value.isFinite else { return 0 }
        return (value * 1000).rounded() / 1000
    }

    static func line(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{\"event\":\"error\"}\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
