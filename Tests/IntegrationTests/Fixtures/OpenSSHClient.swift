/// OpenSSHClient runs OpenSSH's own `ssh` against a fixture: the reference
/// client that proves a fixture works, so that a later failure of ferry's
/// client against the same fixture is ferry's.
enum OpenSSHClient {
    /// The ssh arguments that log in to `fixture` as its user with `identity`
    /// (default: its first client key), trusting exactly the fixture's host
    /// keys, with no user or system configuration and no prompts.
    static func arguments(for fixture: some SSHServerFixture, identity: String? = nil,
                          options: [String] = []) -> [String] {
        [
            "-F", "/dev/null",
            "-o", "BatchMode=yes",
            "-o", "UserKnownHostsFile=\(fixture.knownHostsPath)",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", "ConnectTimeout=10",
            "-i", identity ?? fixture.clientKeyPath,
            "-p", String(fixture.port),
        ] + options + ["\(fixture.user)@\(fixture.host)"]
    }

    /// Runs `command` on `fixture` with `ssh`; see `arguments(for:identity:options:)`.
    static func run(_ command: String, on fixture: some SSHServerFixture, identity: String? = nil,
                    options: [String] = [], environment: [String: String]? = nil,
                    timeout: Duration = .seconds(30)) async throws -> CommandResult {
        try await FixtureCommand.run(
            "ssh", arguments(for: fixture, identity: identity, options: options) + [command],
            environment: environment, timeout: timeout)
    }
}
