import Foundation

/// PeakMemory measures a tool's peak RSS through GNU time (`/usr/bin/time
/// -f %M`) rather than our own `wait4`. The reason is a Linux detail: at
/// `execve` the kernel folds the *old* address space's high-water RSS into
/// the process's `maxrss`, and a child started with `posix_spawn` (vfork)
/// execs from the harness's own address space — so `ru_maxrss` from our
/// `wait4` is never below the harness's RSS (~25–45 MiB with the delay
/// proxy's buffers), whatever the tool used. GNU time is ~1.5 MiB and forks
/// the tool itself, so its report is the tool's own peak (and that of any
/// child it waited for). Wall and CPU time still come from our `wait4`.
public enum PeakMemory {
    /// GNU time, when installed (Debian package `time`).
    public static let time = "/usr/bin/time"

    /// True when GNU time is there to ask.
    public static var isAvailable: Bool { access(time, X_OK) == 0 }

    /// `arguments` run under GNU time, which writes the peak RSS in KiB to
    /// `report` (the tool's own stdout and stderr are untouched).
    public static func wrap(_ arguments: [String], report: String) -> [String] {
        [time, "-f", "%M", "-o", report] + arguments
    }

    /// The peak RSS in KiB from a report written by `wrap` (its last line;
    /// GNU time puts "Command exited with non-zero status N" before it).
    public static func read(report: String) -> Int? {
        guard let text = try? String(contentsOfFile: report, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
}
