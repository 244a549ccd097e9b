/// FixtureError is why a test-server fixture could not be prepared, started or
/// used. `message` says what went wrong and what to do, and carries the
/// server's own words (its log, or `sshd -t` output) when there are any, so a
/// failing test shows the cause without re-running anything.
struct FixtureError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for a human reading a test failure.
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }

    /// The error for a server or tool binary that is not installed: a test
    /// that needs it must fail (not skip), because scripts/bootstrap is
    /// responsible for installing it.
    static func missingBinary(_ path: String, package: String) -> FixtureError {
        FixtureError("\(path) is not installed: run scripts/bootstrap as root (installs the Debian package \(package))")
    }
}
