import Foundation
import Glibc
import Testing

// Checks shared by the fixture tests: each proves one promise of a fixture
// with OpenSSH's own clients.

/// Expects `ssh … 'echo hello; id -un'` to print "hello" and the account name.
func expectLogin(_ fixture: some SSHServerFixture, identity: String? = nil, options: [String] = [],
                 environment: [String: String]? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let result = try await OpenSSHClient.run("echo hello; id -un", on: fixture, identity: identity,
                                             options: options, environment: environment)
    #expect(result.succeeded && result.stdout == "hello\n\(fixture.user)\n",
            "\(result.summary)\n--- server log ---\n\(fixture.log)", sourceLocation: sourceLocation)
}

/// Expects a login with each host key algorithm alone to succeed: the
/// fixture's known_hosts holds every key the server offers.
func expectEveryHostKeyTrusted(_ fixture: some SSHServerFixture, algorithms: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
    for algorithm in algorithms {
        let result = try await OpenSSHClient.run(
            "true", on: fixture, options: ["-o", "HostKeyAlgorithms=\(algorithm)"])
        #expect(result.succeeded, "host key \(algorithm):\n\(result.summary)\n--- server log ---\n\(fixture.log)",
                sourceLocation: sourceLocation)
    }
}

/// Expects a login with password authentication only, answering the prompt
/// with `password` through SSH_ASKPASS, to succeed or fail as `accepted`.
func expectPasswordLogin(_ fixture: some SSHServerFixture, password: String, accepted: Bool,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let scratch = try FixtureDirectory.create(prefix: "askpass")
    defer { scratch.remove() }
    let askpass = try scratch.write("askpass", "#!/bin/sh\necho \(shellQuoted(password))\n", mode: 0o700)
    var environment = ProcessInfo.processInfo.environment
    environment["SSH_ASKPASS"] = askpass
    environment["SSH_ASKPASS_REQUIRE"] = "force"
    environment["DISPLAY"] = ":0"
    let result = try await OpenSSHClient.run(
        "echo hello; id -un", on: fixture,
        options: ["-o", "BatchMode=no", "-o", "PreferredAuthentications=password,keyboard-interactive",
                  "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1"],
        environment: environment)
    if accepted {
        #expect(result.succeeded && result.stdout == "hello\n\(fixture.user)\n",
                "\(result.summary)\n--- server log ---\n\(fixture.log)", sourceLocation: sourceLocation)
    } else {
        #expect(!result.succeeded && result.stdout.isEmpty,
                "password login should be refused:\n\(result.summary)", sourceLocation: sourceLocation)
    }
}

/// Expects sftp to upload a file into the fixture's scratch directory (owned
/// by the account) and read it back.
func expectSFTPRoundTrip(_ fixture: some SSHServerFixture,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let local = try FixtureDirectory.create(prefix: "sftp-local")
    defer { local.remove() }
    let contents = "ferry fixture \(UUID().uuidString)\n"
    let source = try local.write("upload.txt", contents)
    let remote = "\(fixture.scratchDirectory)/uploaded.txt"
    let back = local.file("downloaded.txt")
    let result = try await OpenSSHClient.sftp("put \(source) \(remote)\nget \(remote) \(back)\n", on: fixture)
    #expect(result.succeeded, "\(result.summary)\n--- server log ---\n\(fixture.log)", sourceLocation: sourceLocation)
    #expect(local.read("downloaded.txt") == contents, sourceLocation: sourceLocation)
    var info = stat()
    #expect(stat(remote, &info) == 0 && info.st_uid == getpwnam(fixture.user)?.pointee.pw_uid,
            "the upload should belong to \(fixture.user)", sourceLocation: sourceLocation)
}

/// Expects `stop()` to end the server and a session still running on it
/// (`sleep 60` started by ssh), and to remove the fixture's files and
/// authorized_keys lines.
func expectStopLeavesNothing(_ fixture: some SSHServerFixture,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let client = try ChildProcess.spawn(try #require(FixtureCommand.locate("ssh")),
                                        OpenSSHClient.sshArguments(for: fixture) + ["sleep 60"],
                                        stdout: "/dev/null")
    defer { if client.exitStatus == nil { client.send(SIGKILL); _ = client.waitBlocking(timeout: .seconds(5)) } }

    // Wait for the session's command to run on the server.
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .seconds(10))
    while !fixture.serverProcesses.contains(where: { commandLine(of: $0).hasPrefix("sleep") }) {
        try #require(clock.now < deadline && client.exitStatus == nil,
                     "the session never started:\n\(fixture.log)", sourceLocation: sourceLocation)
        try await Task.sleep(for: .milliseconds(20))
    }
    let processes = fixture.serverProcesses
    #expect(processes.count >= 3, "server, connection and command: \(processes)", sourceLocation: sourceLocation)
    let directory = fixture.directory
    let marker = AuthorizedKeys.marker(for: directory)

    let stopping = clock.now
    fixture.stop()
    let stopTime = clock.now - stopping
    #expect(stopTime < .seconds(15), "stop took \(stopTime)", sourceLocation: sourceLocation)

    // Dead, all of them. (One may still be a zombie for a moment: sshd's
    // privileged monitor exits without reaping its post-auth child, which
    // init then reaps — on its own schedule.)
    let survivors = processes.filter(ProcessTable.isAlive)
    #expect(survivors.isEmpty, "still running after stop: \(survivors.map { "\($0) \(commandLine(of: $0))" })",
            sourceLocation: sourceLocation)
    let pgrep = try await FixtureCommand.run("pgrep", ["-a", "-f", directory])
    #expect(pgrep.exit.code == 1 && pgrep.stdout.isEmpty, "processes naming \(directory):\n\(pgrep.stdout)",
            sourceLocation: sourceLocation)
    #expect(!FileManager.default.fileExists(atPath: directory), sourceLocation: sourceLocation)
    let authorized = FileManager.default.contents(atPath: "/home/\(fixture.user)/.ssh/authorized_keys")
        .map { String(decoding: $0, as: UTF8.self) } ?? ""
    #expect(!authorized.contains(marker), "authorized_keys still holds \(marker)", sourceLocation: sourceLocation)
    #expect(fixture.log.contains("127.0.0.1"), "the log survives stop", sourceLocation: sourceLocation)

    // The client sees its connection end.
    let ended = await client.wait(timeout: .seconds(10)) != nil
    #expect(ended, "ssh did not notice the server stopping", sourceLocation: sourceLocation)
}

/// Expects a start with `preferredPort` held by another socket to move to a
/// new port and work.
func expectStartSurvivesTakenPort<F: SSHServerFixture>(
    _ start: (Int) async throws -> F, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let holder = try PortHolder()
    let fixture = try await start(holder.port)
    defer { fixture.stop() }
    #expect(fixture.port != holder.port, sourceLocation: sourceLocation)
    #expect(FileManager.default.fileExists(atPath: "\(fixture.directory)/\(fixture.server.software).log.attempt1"),
            "the first attempt's log is kept", sourceLocation: sourceLocation)
    try await expectLogin(fixture, sourceLocation: sourceLocation)
}

/// The command line of `pid` ("" if it is gone).
func commandLine(of pid: Int32) -> String {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
    return String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        .trimmingCharacters(in: .whitespaces)
}

/// PortHolder keeps a loopback port taken (bound and listening) while it lives.
final class PortHolder {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = loopbackAddress(port: try PortPicker.freePort())
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, listen(fd, 1) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw FixtureError("cannot hold a port: \(reason)")
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
