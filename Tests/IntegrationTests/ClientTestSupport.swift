import Foundation
import Glibc
import NIOCore
@_spi(Internals) import SSHCore
import SSHCrypto
import Locking
import Testing

// Helpers for the tests of ferry's own client (SSHClient and `ferry exec`)
// against the real-server fixtures.
//
// Name clash: the fixtures have their own `SSHPublicKey` and `SSHKeyType`
// (what ssh-keygen printed); ferry's are spelled `SSHCrypto.SSHPublicKey`
// and `SSHCrypto.SSHKeyType` here.

/// HostKeyRecorder keeps the host key a server presented.
final class HostKeyRecorder: Sendable {
    private let value = Locked<SSHCrypto.SSHPublicKey?>(nil)
    func record(_ key: SSHCrypto.SSHPublicKey) { value.withLock { $0 = key } }
    /// The last key presented, if any.
    var key: SSHCrypto.SSHPublicKey? { value.withLock { $0 } }
}

/// FerryClient connects ferry's `SSHClient` to a fixture.
enum FerryClient {
    /// The private key file at `path`, decoded by ferry.
    static func key(_ path: String) throws -> SSHPrivateKey {
        try OpenSSHPrivateKeyFile.decode(String(contentsOfFile: path, encoding: .utf8))
    }

    /// A configuration that logs in to `fixture` as its user with `identities`
    /// (default: the fixture's first client key), trusting exactly the host
    /// keys the fixture made (any other key is refused).
    static func configuration(for fixture: some SSHServerFixture, identities: [String]? = nil,
                              algorithms: AlgorithmPreferences = AlgorithmPreferences(),
                              rekeyLimitBytes: UInt64? = nil,
                              connectTimeout: Duration = .seconds(30),
                              presentedHostKey: HostKeyRecorder? = nil,
                              onMessage: @escaping @Sendable (String) -> Void = { _ in }) throws -> SSHClient.Configuration {
        let keys = try (identities ?? [fixture.clientKeyPath]).map(key)
        let trusted = Set(fixture.hostKeys.map(\.blob))
        return SSHClient.Configuration(
            host: fixture.host, port: fixture.port, user: fixture.user,
            credentials: keys.map { .publicKey($0) },
            transport: TransportConfiguration(role: .client, algorithms: algorithms, rekeyLimitBytes: rekeyLimitBytes),
            connectTimeout: connectTimeout,
            verifyHostKey: { key in
                presentedHostKey?.record(key)
                guard trusted.contains(key.blob) else {
                    throw SSHError(.hostKeyRejected, "the server presented \(key), which is not one of the fixture's host keys")
                }
            },
            onMessage: onMessage)
    }

    /// Connects to `fixture` (see `configuration(for:…)`).
    static func connect(to fixture: some SSHServerFixture, identities: [String]? = nil,
                        algorithms: AlgorithmPreferences = AlgorithmPreferences(),
                        rekeyLimitBytes: UInt64? = nil,
                        presentedHostKey: HostKeyRecorder? = nil) async throws -> SSHClient {
        try await SSHClient.connect(configuration(
            for: fixture, identities: identities, algorithms: algorithms, rekeyLimitBytes: rekeyLimitBytes,
            presentedHostKey: presentedHostKey))
    }

    /// Preferences offering only the named algorithm in each category given
    /// (the others keep ferry's defaults).
    static func only(cipher: String? = nil, mac: String? = nil, kex: String? = nil, hostKey: String? = nil,
                     compression: [String]? = nil) -> AlgorithmPreferences {
        var preferences = AlgorithmPreferences()
        if let cipher { preferences.ciphers = [cipher] }
        if let mac { preferences.macs = [mac] }
        if let kex { preferences.keyExchange = [kex] }
        if let hostKey { preferences.hostKey = [hostKey] }
        if let compression { preferences.compression = compression }
        return preferences
    }
}

/// The command every round-trip case runs, and what it must produce.
enum ProbeCommand {
    static let command = "echo ok; printf err >&2; exit 3"
    static let stdout = "ok\n"
    static let stderr = "err"
    static let exit = RemoteExit.status(3)
}

/// Runs `ProbeCommand` on `client` and expects its stdout, stderr and exit
/// status to arrive intact. `label` names the case in failure messages.
func expectProbe(_ client: SSHClient, _ label: String, log: @autoclosure () -> String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        let result = try await client.exec(ProbeCommand.command, timeout: .seconds(30))
        let stdout = String(decoding: result.stdout, as: UTF8.self)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(stdout == ProbeCommand.stdout && stderr == ProbeCommand.stderr && result.exit == ProbeCommand.exit,
                "\(label): stdout \(stdout.debugDescription), stderr \(stderr.debugDescription), exit \(result.exit)",
                sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(label): exec failed: \(error)\n--- server log ---\n\(log())", sourceLocation: sourceLocation)
    }
}

/// Connects with `algorithms`, runs the probe, checks what was negotiated
/// with `check`, and closes. Records an issue naming `label` on failure.
func expectRoundTrip(_ fixture: some SSHServerFixture, _ label: String, identities: [String]? = nil,
                     algorithms: AlgorithmPreferences,
                     check: (NegotiatedAlgorithms, SSHCrypto.SSHPublicKey?) -> Bool,
                     sourceLocation: SourceLocation = #_sourceLocation) async {
    let presented = HostKeyRecorder()
    let client: SSHClient
    do {
        client = try await FerryClient.connect(to: fixture, identities: identities, algorithms: algorithms,
                                               presentedHostKey: presented)
    } catch {
        Issue.record("\(label): connect failed: \(error)\n--- server log (tail) ---\n\(tail(fixture.log))",
                     sourceLocation: sourceLocation)
        return
    }
    let negotiated = await client.negotiatedAlgorithms
    if let negotiated {
        let key = presented.key
        #expect(check(negotiated, key), "\(label): negotiated \(negotiated), host key \(key.map { "\($0)" } ?? "none")",
                sourceLocation: sourceLocation)
    } else {
        Issue.record("\(label): no negotiated algorithms after connecting", sourceLocation: sourceLocation)
    }
    await expectProbe(client, label, log: tail(fixture.log), sourceLocation: sourceLocation)
    await client.close()
}

/// The last `lines` lines of a (server) log, for failure messages.
func tail(_ text: String, lines: Int = 40) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
}

/// Runs `body` for every element of `items`, at most `width` at a time.
func forEach<T: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async -> Void) async {
    await withTaskGroup(of: Void.self) { group in
        var iterator = items.makeIterator()
        for _ in 0..<width {
            guard let item = iterator.next() else { break }
            group.addTask { await body(item) }
        }
        while await group.next() != nil {
            if let item = iterator.next() { group.addTask { await body(item) } }
        }
    }
}

/// StreamingDigest hashes a byte stream as it arrives (SHA-256, with
/// ferry's `Digest`), so that hundreds of MiB are checked without being kept.
final class StreamingDigest: Sendable {
    private let state = Locked<(bytes: UInt64, digest: Digest)>((0, Digest(.sha256)))

    func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { raw in
            state.withLock { $0.bytes += UInt64(raw.count); $0.digest.update(raw) }
        }
    }

    /// How many bytes went in so far.
    var byteCount: UInt64 { state.withLock { $0.bytes } }

    /// The lowercase hex digest, as sha256sum prints it.
    func finalize() -> String {
        state.withLock { $0.digest.finalize() }.map { String(format: "%02x", $0) }.joined()
    }
}

/// StreamingCollector keeps a (small) output stream, such as stderr.
final class StreamingCollector: Sendable {
    private let bytes = Locked<[UInt8]>([])

    func append(_ buffer: ByteBuffer) {
        bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }

    var data: [UInt8] { bytes.withLock { $0 } }
    var text: String { String(decoding: data, as: UTF8.self) }
}

/// FerryCLI runs the `ferry` executable built next to the test bundle
/// (`swift build --build-tests` builds it; `swift build --product ferry`
/// alone does too) against a fixture.
enum FerryCLI {
    /// The ferry binary: `$FERRY_BINARY`, else `ferry` beside this test
    /// process's executable (.build/<triple>/debug/).
    static var executable: String? {
        if let explicit = ProcessInfo.processInfo.environment["FERRY_BINARY"],
           FileManager.default.isExecutableFile(atPath: explicit) {
            return explicit
        }
        guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        // On Linux the test bundle is `ferryPackageTests.xctest`, an executable in the build directory.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        let candidate = directory.appendingPathComponent("ferry").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// `-P port -i key -o …` for `fixture`: its client key, its known_hosts
    /// (strict), no global known_hosts, no prompts. `options` come first so
    /// they win (the first value of an option counts, as in ssh).
    static func connectionArguments(for fixture: some SSHServerFixture, identity: String? = nil,
                                    options: [String] = []) -> [String] {
        options + [
            "-P", String(fixture.port),
            "-i", identity ?? fixture.clientKeyPath,
            "-o", "UserKnownHostsFile=\(fixture.knownHostsPath)",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
        ]
    }

    /// Runs `ferry exec [arguments] user@host -- command…` with HOME set to
    /// an empty scratch directory (no ~/.ssh of the test runner is used).
    static func exec(_ command: [String], on fixture: some SSHServerFixture, identity: String? = nil,
                     options: [String] = [], timeout: Duration = .seconds(60)) async throws -> CommandResult {
        try await run(["exec"] + connectionArguments(for: fixture, identity: identity, options: options)
                      + ["\(fixture.user)@\(fixture.host)", "--"] + command, timeout: timeout)
    }

    /// Runs ferry with `arguments` (HOME is an empty scratch directory).
    static func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> CommandResult {
        guard let executable else {
            throw FixtureError("the ferry executable was not found next to the tests: run swift build --product ferry (or set FERRY_BINARY)")
        }
        let home = try FixtureDirectory.create(prefix: "ferry-home")
        defer { home.remove() }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        return try await FixtureCommand.run(executable, arguments, environment: environment, timeout: timeout)
    }
}

/// The fixture's host key of `type` as ferry parses it.
func ferryHostKey(_ fixture: some SSHServerFixture, _ type: SSHKeyType) throws -> SSHCrypto.SSHPublicKey {
    let key = try #require(fixture.hostKeys.first { $0.keyTypeName == type.keyTypeName }, "the fixture has no \(type) host key")
    return try SSHCrypto.SSHPublicKey(blob: key.blob)
}

/// RawResult is a finished ferry run whose stdout is kept as bytes.
struct RawResult {
    var exit: ExitStatus?
    var stdout: [UInt8]
    var stderr: [UInt8]
}

extension FerryCLI {
    /// Runs `ferry exec … -- command` on `fixture` and keeps stdout and stderr
    /// as bytes (binary output).
    static func execRaw(_ command: [String], on fixture: some SSHServerFixture,
                        timeout: Duration = .seconds(60)) async throws -> RawResult {
        guard let executable else { throw FixtureError("the ferry executable was not found next to the tests") }
        let scratch = try FixtureDirectory.create(prefix: "ferry-raw")
        defer { scratch.remove() }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = scratch.path
        let arguments = ["exec"] + connectionArguments(for: fixture) + ["\(fixture.user)@\(fixture.host)", "--"] + command
        let child = try ChildProcess.spawn(executable, arguments, environment: environment,
                                           stdout: scratch.file("stdout"), stderr: scratch.file("stderr"))
        var status = await child.wait(timeout: timeout)
        if status == nil {
            child.send(SIGKILL)
            status = await child.wait(timeout: .seconds(10))
        }
        func bytes(_ name: String) -> [UInt8] { FileManager.default.contents(atPath: scratch.file(name)).map { [UInt8]($0) } ?? [] }
        return RawResult(exit: status, stdout: bytes("stdout"), stderr: bytes("stderr"))
    }
}

/// Expects a failed connect to have failed with `code` and a message
/// containing every one of `fragments` (never a lost error such as a
/// pipeline lookup failure standing in for the real one).
func expectConnectFailure(_ error: SSHError, _ code: SSHError.Code, containing fragments: [String] = [],
                          _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!error.message.hasSuffix(": notFound"), "\(label): the real error was lost: \(error.message)",
            sourceLocation: sourceLocation)
    #expect(error.code == code && fragments.allSatisfy { error.message.contains($0) },
            "\(label): \(error.code) \(error.message)", sourceLocation: sourceLocation)
}

extension FerryCLI {
    /// `ferry exec [options] … user@host -- command…` as one line for
    /// /bin/sh, every word quoted.
    static func execLine(_ command: [String], on fixture: some SSHServerFixture, identities: [String]? = nil,
                         options: [String] = []) throws -> String {
        guard let executable else { throw FixtureError("the ferry executable was not found next to the tests") }
        let keys = (identities ?? [fixture.clientKeyPath]).flatMap { ["-i", $0] }
        // connectionArguments minus its one -i: `-P port` first, then the keys.
        let connection = connectionArguments(for: fixture)
        let arguments = ["exec"] + options + connection.prefix(2) + keys + connection.dropFirst(4)
            + ["\(fixture.user)@\(fixture.host)", "--"] + command
        return ([executable] + arguments).map(shellQuoted).joined(separator: " ")
    }

    /// Runs `script` with /bin/sh (a pipeline around an `execLine`, to give
    /// ferry a pipe or a file as stdin), HOME an empty scratch directory and
    /// no agent; the result is the script's, so the last command's status.
    static func shell(_ script: String, timeout: Duration = .seconds(60)) async throws -> CommandResult {
        let home = try FixtureDirectory.create(prefix: "ferry-home")
        defer { home.remove() }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment.removeValue(forKey: "SSH_AUTH_SOCK")
        return try await FixtureCommand.run("/bin/sh", ["-c", script], environment: environment, timeout: timeout)
    }
}
