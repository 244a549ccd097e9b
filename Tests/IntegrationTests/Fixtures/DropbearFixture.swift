import Foundation

/// DropbearFixture runs Dropbear's server on 127.0.0.1 for one test:
/// `dropbear -F -E -p 127.0.0.1:PORT -r <hostkey>… -P <pidfile>`, with host
/// keys made by `dropbearkey` (Ed25519, ECDSA P-256 and P-384, RSA 3072 by
/// default; dropbear takes at most four) in a temporary directory.
///
/// Dropbear reads only `~/.ssh/authorized_keys` of the account, so this
/// fixture needs root and the dedicated account (see `TestAccount`): it adds
/// its client keys to ferrytest's file and removes them on stop. Password
/// logins are off (`-s`) unless asked for. SFTP works: dropbear runs OpenSSH's
/// sftp-server for the "sftp" subsystem.
final class DropbearFixture: SSHServerFixture {
    static let executable = "/usr/sbin/dropbear"
    /// Dropbear refuses more host keys than this ("Too many hostkeys").
    static let maximumHostKeys = 4

    let server: RunningServer

    private init(server: RunningServer) {
        self.server = server
    }

    /// Starts dropbear and waits until it answers.
    ///
    /// - Parameters:
    ///   - extraArguments: more dropbear options ("-W 65536", "-T 2", …).
    ///   - clientKeyTypes: the client keys to make and authorize; the first is
    ///     `clientKeyPath`.
    ///   - hostKeyTypes: the host keys dropbear offers (at most four).
    ///   - passwordAuthentication: allow password logins (the account's
    ///     password is `TestAccount.dedicatedPassword`).
    ///   - preferredPort: a port to try first; normally a free port is picked.
    ///   - startTimeout: how long to wait for dropbear to answer.
    static func start(extraArguments: [String] = [],
                      clientKeyTypes: [SSHKeyType] = [.ed25519],
                      hostKeyTypes: [SSHKeyType] = [.ed25519, .ecdsaP256, .ecdsaP384, .rsa3072],
                      passwordAuthentication: Bool = false,
                      preferredPort: Int? = nil,
                      startTimeout: Duration = .seconds(10)) async throws -> DropbearFixture {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw FixtureError.missingBinary(executable, package: "dropbear-bin")
        }
        guard !hostKeyTypes.isEmpty, hostKeyTypes.count <= maximumHostKeys,
              Set(hostKeyTypes).count == hostKeyTypes.count else {
            throw FixtureError("dropbear takes one to \(maximumHostKeys) distinct host keys, not \(hostKeyTypes)")
        }
        let began = ContinuousClock.now
        let account = try await TestAccount.prepare()
        guard account.isDedicated else {
            throw FixtureError("""
                the dropbear fixture needs root: dropbear reads ~/.ssh/authorized_keys of the account, \
                and only root can give it a dedicated test account (running as \(account.name))
                """)
        }
        return try await buildingFixture("dropbear", undo: { directory in
            try? AuthorizedKeys.remove(for: directory.path, account: account)
        }) { directory in
            var hostKeyPaths: [String] = []
            var hostKeys: [SSHPublicKey] = []
            for type in hostKeyTypes {
                let key = try await KeyMaterial.shared.key(type, by: .dropbearkey)
                hostKeyPaths.append(try directory.write("dropbear_\(type)_host_key", key.privateKeyFile, mode: 0o600))
                hostKeys.append(key.publicKey)
            }
            let clientKeys = try await writeClientKeys(clientKeyTypes, into: directory)
            try AuthorizedKeys.add(clientKeys.map(\.publicKey), for: directory.path, account: account)
            let scratch = try directory.makeSubdirectory("files", uid: account.uid, gid: account.gid)
            let pidFile = directory.file("dropbear.pid")

            let launched = try await ServerLauncher.launch(
                "dropbear", in: directory, preferredPort: preferredPort, timeout: startTimeout
            ) { port in
                var arguments = ["-F", "-E", "-p", "127.0.0.1:\(port)", "-P", pidFile]
                arguments += hostKeyPaths.flatMap { ["-r", $0] }
                if !passwordAuthentication { arguments.append("-s") }
                arguments += extraArguments
                // dropbear writes its pid file after binding its port.
                return LaunchPlan(executable: executable, arguments: arguments, readiness: .pidFile(pidFile))
            }
            let server = try RunningServer(
                software: "dropbear", launched: launched, account: account, directory: directory,
                clientKeys: clientKeys, hostKeys: hostKeys, scratchDirectory: scratch,
                startupTime: ContinuousClock.now - began,
                cleanup: { try? AuthorizedKeys.remove(for: directory.path, account: account) })
            return DropbearFixture(server: server)
        }
    }
}
