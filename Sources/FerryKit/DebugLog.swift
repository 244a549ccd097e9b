import Logging

extension Logger {
    /// A line `ssh -v` (level 1), `-vv` (2) or `-vvv` (3) would print:
    /// logged at `debug` (level 1) or `trace` (2, 3), with the level as
    /// metadata `ssh.debug` so a handler can print ssh's `debugN:` prefix.
    func ssh(_ level: Int, _ message: @autoclosure () -> String) {
        let metadata: Logger.Metadata = ["ssh.debug": "\(level)"]
        if level <= 1 {
            debug("\(message())", metadata: metadata)
        } else {
            trace("\(message())", metadata: metadata)
        }
    }
}

/// ssh's `LogLevel` as far as the library acts on it: below INFO, banners
/// and warnings are not passed on (QUIET, FATAL and ERROR hide them).
enum ConfiguredLogLevel {
    static func showsWarnings(_ name: String?) -> Bool {
        switch name?.uppercased() {
        case "QUIET", "FATAL", "ERROR": false
        default: true
        }
    }
}
