import Foundation

/// TinySSHFixture runs TinySSH's `tinysshd` on 127.0.0.1 for one test.
///
/// tinysshd is inetd-style — one process per connection, speaking SSH on
/// stdin/stdout — so `socat` listens on the port and execs tinysshd for each
/// connection with the socket as its stdin and stdout:
/// `socat TCP-LISTEN:PORT,bind=127.0.0.1,reuseaddr,fork EXEC:<dir>/tinysshd.sh,nofork`,
/// where the script runs `tinysshd -v -x sftp=/usr/lib/openssh/sftp-server <keydir>`.
/// Host keys come from `tinysshd-makekey`.
///
/// TinySSH implements little, on purpose: host and client keys Ed25519 only;
/// key exchange curve25519-sha256 (also as curve25519-sha256@libssh.org) and
/// sntrup761x25519-sha512@openssh.com; cipher chacha20-poly1305@openssh.com
/// only (its KEXINIT names hmac-sha2-256 as MAC, which that cipher does not
/// use); public-key authentication only (no passwords);
/// no compression and no forwarding. SFTP works through the subsystem above.
///
/// tinysshd reads only `~/.ssh/authorized_keys` of the account, so this
/// fixture needs root and the dedicated account (see `TestAccount`), like
/// `DropbearFixture`.
final class TinySSHFixture: SSHServerFixture {
    static let executable = "/usr/sbin/tinysshd"
    static let keyMaker = "/usr/sbin/tinysshd-makekey"
    static let keyPrinter = "/usr/sbin/tinysshd-printkey"
    static let listener = "/usr/bin/socat"
    /// OpenSSH's SFTP server, which tinysshd runs for the "sftp" subsystem.
    static let sftpServer = "/usr/lib/openssh/sftp-server"

    let server: RunningServer

    private init(server: RunningServer) {
        self.server = server
    }

    /// Starts socat + tinysshd and waits until it answers.
    ///
    /// - Parameters:
    ///   - extraArguments: more tinysshd options ("-P" to turn off the
    ///     post-quantum key exchange, "-S" to turn off curve25519, …).
    ///   - preferredPort: a port to try first; normally a free port is picked.
    ///   - startTimeout: how long to wait for the listener to answer.
    ///
    /// The client key is Ed25519, the only kind tinysshd accepts.
    static func start(extraArguments: [String] = [],
                      preferredPort: Int? = nil,
                      startTimeout: Duration = .seconds(10)) async throws -> TinySSHFixture {
        for (path, package) in [(executable, "tinysshd"), (keyMaker, "tinysshd"), (keyPrinter, "tinysshd"),
                                (listener, "socat")] where !FileManager.default.isExecutableFile(atPath: path) {
            throw FixtureError.missingBinary(path, package: package)
        }
        let began = ContinuousClock.now
        let account = try await TestAccount.prepare()
        guard account.isDedicated else {
            throw FixtureError("""
                the tinysshd fixture needs root: tinysshd reads ~/.ssh/authorized_keys of the account, \
                and only root can give it a dedicated test account (running as \(account.name))
                """)
        }
        return try await buildingFixture("tinysshd", undo: { directory in
            try? AuthorizedKeys.remove(for: directory.path, account: account)
        }) { directory in
            let keyDirectory = directory.file("keys")
            try await FixtureCommand.check(keyMaker, [keyDirectory])
            let printed = try await FixtureCommand.check(keyPrinter, [keyDirectory]).stdout
            guard let hostKey = SSHPublicKey(parsing: printed) else {
                throw FixtureError("tinysshd-printkey printed no key: \(printed)")
            }
            let clientKeys = try await writeClientKeys([.ed25519], into: directory)
            try AuthorizedKeys.add(clientKeys.map(\.publicKey), for: directory.path, account: account)
            let scratch = try directory.makeSubdirectory("files", uid: account.uid, gid: account.gid)

            // A script keeps tinysshd's arguments out of socat's address syntax.
            var command = [executable, "-v"]
            if FileManager.default.isExecutableFile(atPath: sftpServer) { command += ["-x", "sftp=\(sftpServer)"] }
            command += extraArguments + [keyDirectory]
            let script = try directory.write(
                "tinysshd.sh", "#!/bin/sh\nexec \(command.map(shellQuoted).joined(separator: " "))\n", mode: 0o755)

            let launched = try await ServerLauncher.launch(
                "tinysshd", in: directory, preferredPort: preferredPort, timeout: startTimeout
            ) { port in
                LaunchPlan(
                    executable: listener,
                    arguments: ["-d", "-d", "TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork",
                                "EXEC:\(script),nofork"],
                    readiness: .logContains("listening on AF=2 127.0.0.1:\(port)"))
            }
            let server = try RunningServer(
                software: "tinysshd", launched: launched, account: account, directory: directory,
                clientKeys: clientKeys, hostKeys: [hostKey], scratchDirectory: scratch,
                startupTime: ContinuousClock.now - began,
                cleanup: { try? AuthorizedKeys.remove(for: directory.path, account: account) })
            return TinySSHFixture(server: server)
        }
    }
}
