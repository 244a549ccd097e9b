import Foundation
import Glibc

/// SSHDFixture runs OpenSSH's `sshd` on 127.0.0.1 for one test: in the
/// foreground (`sshd -D -e -f <config>`), as the user running the tests,
/// with a temporary directory of its own holding host keys of every type
/// (Ed25519, ECDSA P-256/384/521, RSA 3072), the client keys, an
/// authorized_keys file, the sshd_config, the pid file and the log.
///
/// The configuration (see `configuration(…)`) listens on 127.0.0.1 only,
/// allows public-key authentication (and passwords when asked), runs SFTP as
/// `internal-sftp`, logs VERBOSE to the fixture's log, and is checked with
/// `sshd -t` before the server starts, so a bad line fails at once with
/// sshd's own message.
///
/// ```swift
/// let sshd = try await SSHDFixture.start(extraConfig: ["Ciphers aes128-ctr"])
/// defer { sshd.stop() }
/// // connect to sshd.host:sshd.port as sshd.user with sshd.clientKeyPath,
/// // trusting sshd.knownHosts; on failure show sshd.log
/// ```
final class SSHDFixture: SSHServerFixture {
    static let executable = "/usr/sbin/sshd"

    let server: RunningServer
    /// The sshd_config the server runs with.
    let configuration: String
    /// Where that configuration is.
    let configurationPath: String

    private init(server: RunningServer, configuration: String, configurationPath: String) {
        self.server = server
        self.configuration = configuration
        self.configurationPath = configurationPath
    }

    /// Starts sshd and waits until it answers.
    ///
    /// - Parameters:
    ///   - extraConfig: sshd_config lines for this test ("Ciphers aes128-ctr",
    ///     "KexAlgorithms …", "RekeyLimit 1M", "Compression delayed",
    ///     "MaxStartups 2", a trailing "Match" block…). A line replaces the
    ///     fixture's default for the same keyword; ListenAddress, Port and
    ///     PidFile belong to the fixture and are refused.
    ///   - clientKeyTypes: the client keys to make and authorize; the first is
    ///     `clientKeyPath`.
    ///   - hostKeyTypes: the host keys sshd offers.
    ///   - passwordAuthentication: allow `password` authentication (the
    ///     account's password is `TestAccount.dedicatedPassword`).
    ///   - preferredPort: a port to try first (tests of the retry on a taken
    ///     port); normally a free port is picked.
    ///   - startTimeout: how long to wait for sshd to answer.
    static func start(extraConfig: [String] = [],
                      clientKeyTypes: [SSHKeyType] = [.ed25519],
                      hostKeyTypes: [SSHKeyType] = SSHKeyType.allCases,
                      passwordAuthentication: Bool = false,
                      preferredPort: Int? = nil,
                      startTimeout: Duration = .seconds(10)) async throws -> SSHDFixture {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw FixtureError.missingBinary(executable, package: "openssh-server")
        }
        guard !hostKeyTypes.isEmpty else { throw FixtureError("sshd needs at least one host key type") }
        let began = ContinuousClock.now
        let account = try await TestAccount.prepare()
        if TestAccount.runningAsRoot {
            // sshd refuses to start without its privilege separation directory.
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        }
        return try await buildingFixture("sshd") { directory in
            var hostKeyPaths: [String] = []
            var hostKeys: [SSHPublicKey] = []
            for type in hostKeyTypes {
                let key = try await KeyMaterial.shared.key(type, by: .sshKeygen)
                hostKeyPaths.append(try directory.write("ssh_host_\(type)_key", key.privateKeyFile, mode: 0o600))
                try directory.write("ssh_host_\(type)_key.pub", key.publicKey.openSSHLine + "\n")
                hostKeys.append(key.publicKey)
            }
            let clientKeys = try await writeClientKeys(clientKeyTypes, into: directory)
            // sshd reads AuthorizedKeysFile as the account: the directory is
            // 0755 and the file 0644 so it can.
            let authorizedKeys = try directory.write(
                "authorized_keys", clientKeys.map { $0.publicKey.openSSHLine + " ferry-fixture\n" }.joined())
            let scratch = try directory.makeSubdirectory("files", uid: account.uid, gid: account.gid)
            let configPath = directory.file("sshd_config")
            var configuration = ""

            let launched = try await ServerLauncher.launch(
                "sshd", in: directory, preferredPort: preferredPort, timeout: startTimeout
            ) { port in
                configuration = try Self.configuration(
                    port: port, pidFile: directory.file("sshd.pid"), hostKeyPaths: hostKeyPaths,
                    authorizedKeysFile: authorizedKeys, passwordAuthentication: passwordAuthentication,
                    extraConfig: extraConfig)
                try directory.write("sshd_config", configuration, mode: 0o644)
                let check = try await FixtureCommand.run(executable, ["-t", "-f", configPath], timeout: .seconds(10))
                guard check.succeeded else {
                    throw FixtureError("""
                        sshd rejected the configuration (sshd -t): \(check.stderr)\(check.stdout)
                        --- \(configPath) ---
                        \(configuration)
                        """)
                }
                return LaunchPlan(executable: executable, arguments: ["-D", "-e", "-f", configPath],
                                  readiness: .pidFile(directory.file("sshd.pid")))
            }
            let server = try RunningServer(
                software: "sshd", launched: launched, account: account, directory: directory,
                clientKeys: clientKeys, hostKeys: hostKeys, scratchDirectory: scratch,
                startupTime: ContinuousClock.now - began)
            return SSHDFixture(server: server, configuration: configuration, configurationPath: configPath)
        }
    }

    /// Keywords the fixture sets itself and a test may not change.
    static let fixedKeywords: Set<String> = ["listenaddress", "port", "pidfile"]

    /// The sshd_config text: the fixture's defaults (each left out when
    /// `extraConfig` sets the same keyword before any "Match" line), then
    /// `extraConfig` as given.
    static func configuration(port: Int, pidFile: String, hostKeyPaths: [String], authorizedKeysFile: String,
                              passwordAuthentication: Bool, extraConfig: [String]) throws -> String {
        var overridden = Set<String>()
        for line in extraConfig {
            let keyword = line.trimmingCharacters(in: .whitespaces)
                .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" }).first
                .map { $0.lowercased() } ?? ""
            if keyword == "match" { break }
            if fixedKeywords.contains(keyword) {
                throw FixtureError("extraConfig line \"\(line)\": the fixture sets \(keyword) itself")
            }
            if !keyword.isEmpty && !keyword.hasPrefix("#") { overridden.insert(keyword) }
        }
        var lines = [
            "# sshd_config written by ferry's SSHDFixture",
            "ListenAddress 127.0.0.1",
            "Port \(port)",
            "PidFile \(pidFile)",
        ]
        lines += hostKeyPaths.map { "HostKey \($0)" }
        let defaults: [(String, String)] = [
            ("AuthorizedKeysFile", authorizedKeysFile),
            ("PasswordAuthentication", passwordAuthentication ? "yes" : "no"),
            ("KbdInteractiveAuthentication", "no"),
            ("UsePAM", "no"),
            ("StrictModes", "no"),
            ("PermitRootLogin", "yes"),
            ("Subsystem", "sftp internal-sftp"),
            ("LogLevel", "VERBOSE"),
            ("PrintMotd", "no"),
            ("PrintLastLog", "no"),
        ]
        for (keyword, value) in defaults where !overridden.contains(keyword.lowercased()) {
            lines.append("\(keyword) \(value)")
        }
        if !extraConfig.isEmpty {
            lines.append("# extraConfig")
            lines += extraConfig
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
