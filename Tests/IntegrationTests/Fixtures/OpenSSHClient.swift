/// OpenSSHClient runs OpenSSH's own `ssh` and `sftp` against a fixture: the
/// reference clients that prove a fixture works, so that a later failure of
/// ferry's client against the same fixture is ferry's.
enum OpenSSHClient {
    /// Options that log in to `fixture` with `identity` (default: its first
    /// client key), trusting exactly the fixture's host keys, with no user or
    /// system configuration and no prompts. `options` come first, so they win
    /// over these defaults (ssh keeps the first value it sees for an option).
    static func options(for fixture: some SSHServerFixture, identity: String? = nil,
                        options: [String] = []) -> [String] {
        options + [
            "-F", "/dev/null",
            "-o", "BatchMode=yes",
            "-o", "UserKnownHostsFile=\(fixture.knownHostsPath)",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", "ConnectTimeout=10",
            "-i", identity ?? fixture.clientKeyPath,
        ]
    }

    /// The full `ssh` command line (without the remote command) for `fixture`.
    static func sshArguments(for fixture: some SSHServerFixture, identity: String? = nil,
                             options extra: [String] = []) -> [String] {
        options(for: fixture, identity: identity, options: extra)
            + ["-p", String(fixture.port), "\(fixture.user)@\(fixture.host)"]
    }

    /// Runs `command` on `fixture` with `ssh`.
    static func run(_ command: String, on fixture: some SSHServerFixture, identity: String? = nil,
                    options: [String] = [], environment: [String: String]? = nil,
                    timeout: Duration = .seconds(30)) async throws -> CommandResult {
        try await FixtureCommand.run(
            "ssh", sshArguments(for: fixture, identity: identity, options: options) + [command],
            environment: environment, timeout: timeout)
    }

    /// Runs the sftp batch `commands` (one per line) on `fixture` with
    /// `sftp -b -`; a failing command fails the run.
    static func sftp(_ commands: String, on fixture: some SSHServerFixture,
                     timeout: Duration = .seconds(30)) async throws -> CommandResult {
        try await FixtureCommand.run(
            "sftp", options(for: fixture) + ["-b", "-", "-P", String(fixture.port), "\(fixture.user)@\(fixture.host)"],
            input: commands, timeout: timeout)
    }
}
