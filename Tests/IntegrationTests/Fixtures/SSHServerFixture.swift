import Foundation
import Locking

/// SSHServerFixture is the surface every real-server fixture (sshd, dropbear,
/// tinysshd) gives a test: where the server listens, whom to log in as, with
/// which key, which host keys to expect, and the server's log for failure
/// messages.
///
/// A fixture's server runs until `stop()` or until the fixture is
/// deallocated, whichever comes first; either way no process and no file is
/// left behind (and should the test process die first, `OrphanWatchdog`
/// cleans up). Start one server per test: starting is safe from tests
/// running in parallel, in one test process or several.
protocol SSHServerFixture: AnyObject, Sendable {
    /// The running server and its files.
    var server: RunningServer { get }
}

extension SSHServerFixture {
    /// Always "127.0.0.1".
    var host: String { server.host }
    /// The port the server listens on.
    var port: Int { server.port }
    /// The account to log in as ("ferrytest" when running as root).
    var user: String { server.account.name }
    /// The account's password (`TestAccount.dedicatedPassword`); nil for the
    /// non-root fallback account. Only useful where the fixture enabled
    /// password authentication.
    var password: String? { server.account.password }
    /// The private key (OpenSSH format, no passphrase) of the first client
    /// key, authorized for `user`.
    var clientKeyPath: String { server.clientKeys[0].privateKeyPath }
    /// Every authorized client key, in the order requested.
    var clientKeys: [ClientKey] { server.clientKeys }
    /// The private key path of the client key of `type`, if the fixture made one.
    func clientKeyPath(_ type: SSHKeyType) -> String? {
        server.clientKeys.first { $0.type == type }?.privateKeyPath
    }
    /// The server's host public keys.
    var hostKeys: [SSHPublicKey] { server.hostKeys }
    /// known_hosts lines for every host key, for "[127.0.0.1]:port".
    var knownHosts: String { server.knownHosts }
    /// A file holding `knownHosts`.
    var knownHostsPath: String { server.knownHostsPath }
    /// A directory owned by `user`, inside the fixture's directory, for files
    /// a test transfers (removed on stop).
    var scratchDirectory: String { server.scratchDirectory }
    /// The fixture's temporary directory (configuration, keys, log).
    var directory: String { server.directory.path }
    /// The server's identification string ("SSH-2.0-…").
    var identification: String { server.identification }
    /// How long the start took (keys written, configuration checked, server
    /// started and answering).
    var startupTime: Duration { server.startupTime }
    /// Everything the server logged (kept after `stop()`).
    var log: String { server.log }
    /// The live processes the server runs for its connections.
    var serverProcesses: [Int32] { [server.process.pid] + server.process.descendants() }

    /// Stops the server and its connections (SIGTERM, then SIGKILL) and
    /// removes the fixture's files. Idempotent.
    func stop() { server.stop() }
}

/// RunningServer is the state every fixture's server has: the process, the
/// account, the keys and the temporary directory holding them.
final class RunningServer: Sendable {
    /// Which server this is ("sshd", "dropbear", "tinysshd").
    let software: String
    let host = "127.0.0.1"
    let port: Int
    let account: TestAccount
    let directory: FixtureDirectory
    let clientKeys: [ClientKey]
    let hostKeys: [SSHPublicKey]
    let knownHosts: String
    let knownHostsPath: String
    let scratchDirectory: String
    let identification: String
    let startupTime: Duration
    let process: ServerProcess
    private let cleanup: @Sendable () -> Void
    private let finalLog = Locked<String?>(nil)

    /// Wraps a launched server; writes its known_hosts file. `cleanup` runs
    /// once on stop, after the server is gone and before the directory is
    /// removed (the dropbear and tinysshd fixtures remove their
    /// authorized_keys lines there).
    init(software: String, launched: ServerLauncher.Launched, account: TestAccount, directory: FixtureDirectory,
         clientKeys: [ClientKey], hostKeys: [SSHPublicKey], scratchDirectory: String, startupTime: Duration,
         cleanup: @escaping @Sendable () -> Void = {}) throws {
        self.software = software
        self.port = launched.port
        self.process = launched.process
        self.identification = launched.identification
        self.account = account
        self.directory = directory
        self.clientKeys = clientKeys
        self.hostKeys = hostKeys
        self.scratchDirectory = scratchDirectory
        self.startupTime = startupTime
        self.cleanup = cleanup
        self.knownHosts = knownHostsText(host: "127.0.0.1", port: launched.port, keys: hostKeys)
        self.knownHostsPath = directory.file("known_hosts")
        try directory.write("known_hosts", knownHosts, mode: 0o644)
    }

    /// The server's log: read live while it runs, kept in memory after stop.
    var log: String {
        finalLog.withLock { $0 } ?? process.readLog()
    }

    /// See `SSHServerFixture.stop()`.
    func stop() {
        let first = finalLog.withLock { saved -> Bool in
            guard saved == nil else { return false }
            saved = ""  // claims the stop; the real log follows below
            return true
        }
        guard first else { return }
        process.stop()
        let log = process.readLog()
        finalLog.withLock { $0 = log }
        cleanup()
        directory.remove()
    }

    deinit {
        stop()
    }
}

/// Runs `body` on a just-created fixture directory; on error removes the
/// directory (and runs `undo`) before rethrowing. For the fixtures' start
/// functions, whose half-built state must not outlive a failure.
func buildingFixture<T>(_ prefix: String, undo: @Sendable (FixtureDirectory) -> Void = { _ in },
                        _ body: (FixtureDirectory) async throws -> T) async throws -> T {
    let directory = try FixtureDirectory.create(prefix: prefix, traversable: true)
    do {
        return try await body(directory)
    } catch {
        undo(directory)
        directory.remove()
        throw error
    }
}

/// Writes client keys of `types` (cached OpenSSH keys) into `directory` as
/// `client_<type>` (0600) and `client_<type>.pub`.
func writeClientKeys(_ types: [SSHKeyType], into directory: FixtureDirectory) async throws -> [ClientKey] {
    guard !types.isEmpty else { throw FixtureError("a fixture needs at least one client key type") }
    var keys: [ClientKey] = []
    for type in types {
        let key = try await KeyMaterial.shared.key(type, by: .sshKeygen)
        let path = try directory.write("client_\(type)", key.privateKeyFile, mode: 0o600)
        try directory.write("client_\(type).pub", key.publicKey.openSSHLine + " ferry-fixture\n", mode: 0o644)
        keys.append(ClientKey(type: type, privateKeyPath: path, publicKey: key.publicKey))
    }
    return keys
}
