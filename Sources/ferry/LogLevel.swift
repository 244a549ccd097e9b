import Locking

/// LogLevel is ssh's `LogLevel` as ferry honours it: what the connection
/// layer prints besides errors. -q sets QUIET and -v… DEBUG1–3 before
/// `-o` and ssh_config are read, so the command line wins, as in ssh.c.
///
/// - QUIET, FATAL, ERROR: no warnings ("Permanently added …"), no banners.
/// - INFO (the default), VERBOSE: warnings and banners.
/// - DEBUG1–3 (DEBUG is DEBUG1): also ferry's `debugN:` lines, as -v, -vv, -vvv.
///
/// Failures that end a command are printed at every level: a transfer
/// tool that exits non-zero says why (ssh's own fatal() lines are the
/// same in spirit). ferry's summary lines follow -q, not LogLevel.
enum LogLevel: Int, Comparable {
    case quiet, fatal, error, info, verbose, debug1, debug2, debug3

    /// `name` as `ClientOptions` keeps it (ssh -G's spelling); INFO for nil.
    init(_ name: String?) {
        switch name?.uppercased() {
        case "QUIET": self = .quiet
        case "FATAL": self = .fatal
        case "ERROR": self = .error
        case "VERBOSE": self = .verbose
        case "DEBUG", "DEBUG1": self = .debug1
        case "DEBUG2": self = .debug2
        case "DEBUG3": self = .debug3
        default: self = .info
        }
    }

    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    /// Warnings and banners are shown at INFO and above.
    var showsWarnings: Bool { self >= .info }

    /// The `debugN:` lines shown: 0 below DEBUG1, else 1–3.
    var debugLevel: Int { max(0, rawValue - LogLevel.verbose.rawValue) }

    /// The debug level before the configuration is resolved (the flags
    /// alone), else the resolved one.
    func debugLevel(flags: ConnectionOptions) -> Int {
        debugLevel(verbose: flags.verbose, quiet: flags.quiet)
    }

    /// As `debugLevel(flags:)`, from the flags' two values.
    func debugLevel(verbose: Int, quiet: Bool) -> Int {
        LogLevel.resolved.withLock { $0 } == nil ? (quiet ? 0 : min(verbose, 3)) : debugLevel
    }

    /// The level of this run, set once the configuration is resolved.
    static var current: LogLevel {
        get { resolved.withLock { $0 } ?? .info }
        set { resolved.withLock { $0 = newValue } }
    }

    private static let resolved = Locked<LogLevel?>(nil)
}
