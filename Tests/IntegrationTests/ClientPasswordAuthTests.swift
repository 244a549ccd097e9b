import Foundation
import Glibc
@_spi(Internals) import SSHCore
import SSHCrypto
import Locking
import Testing

// Password and keyboard-interactive authentication of ferry's client against
// sshd: through SSHClient with an answer closure, and through the CLI with
// SSH_ASKPASS; AuthenticationMethods requiring two methods; refusals.

/// PromptLog answers prompts with fixed answers and records what was asked.
final class PromptLog: Sendable {
    private let asked = Locked<[AuthenticationPrompt]>([])
    let answer: String

    init(answer: String) { self.answer = answer }

    var prompts: [AuthenticationPrompt] { asked.withLock { $0 } }

    var handler: AuthenticationPromptHandler {
        { [self] prompt in
            asked.withLock { $0.append(prompt) }
            return prompt.questions.map { _ in SecureBytes(Array(answer.utf8)) }
        }
    }
}

/// Connects ferry's SSHClient to `fixture` with `identities` (none: no key)
/// and prompts answered by `prompts`.
private func connect(_ fixture: SSHDFixture, identities: [String] = [], prompts: PromptLog?,
                     policy: AuthenticationPolicy = AuthenticationPolicy()) async throws -> SSHClient {
    var configuration = try FerryClient.configuration(for: fixture, identities: identities)
    configuration.authentication = policy
    configuration.answerPrompt = prompts?.handler
    return try await SSHClient.connect(configuration)
}

/// Runs `ferry exec` against `fixture` with askpass forced to print
/// `password`; `askpassMarker` (when given) is created each time askpass runs.
private func ferryWithAskpass(_ fixture: SSHDFixture, password: String, options: [String],
                              askpassMarker: String? = nil, in scratch: FixtureDirectory) async throws -> CommandResult {
    guard let executable = FerryCLI.executable else { throw FixtureError("the ferry executable was not found") }
    let mark = askpassMarker.map { "echo asked >> \(shellQuoted($0))\n" } ?? ""
    let askpass = try scratch.write("askpass", "#!/bin/sh\n\(mark)echo \(shellQuoted(password))\n", mode: 0o700)
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = scratch.path
    environment["SSH_ASKPASS"] = askpass
    environment["SSH_ASKPASS_REQUIRE"] = "force"
    environment["DISPLAY"] = ":0"
    let arguments = ["exec"] + FerryCLI.connectionArguments(for: fixture, options: options)
        + ["\(fixture.user)@\(fixture.host)", "--", "echo hello; id -un"]
    return try await FixtureCommand.run(executable, arguments, environment: environment, timeout: .seconds(60))
}

@Suite("password and keyboard-interactive authentication against sshd")
struct ClientPasswordAuthTests {
    @Test("SSHClient: password answered by the prompt closure")
    func passwordThroughClosure() async throws {
        let sshd = try await SSHDFixture.start(passwordAuthentication: true)
        defer { sshd.stop() }
        let prompts = PromptLog(answer: TestAccount.dedicatedPassword)
        let client = try await connect(sshd, prompts: prompts)
        await expectProbe(client, "password", log: tail(sshd.log))
        await client.close()
        #expect(prompts.prompts.map(\.kind) == [.password], "\(prompts.prompts)")
        #expect(prompts.prompts.first?.questions.first?.text == "\(sshd.user)@\(sshd.host)'s password: ")
    }

    /// ConnectTimeout bounds the connection, not the person: a prompt that
    /// takes longer than the whole timeout to answer still logs in.
    @Test("SSHClient: time spent answering a prompt does not count against the connect timeout")
    func slowAnswerIsNotATimeout() async throws {
        let sshd = try await SSHDFixture.start(passwordAuthentication: true)
        defer { sshd.stop() }
        var configuration = try FerryClient.configuration(for: sshd, identities: [])
        // Long enough for the handshake on a loaded machine; the answer takes
        // longer than the whole timeout.
        configuration.connectTimeout = .seconds(20)
        configuration.answerPrompt = { prompt in
            try? await Task.sleep(for: .seconds(21))
            return prompt.questions.map { _ in SecureBytes(Array(TestAccount.dedicatedPassword.utf8)) }
        }
        let client = try await SSHClient.connect(configuration)
        await expectProbe(client, "password", log: tail(sshd.log))
        await client.close()
    }

    @Test("SSHClient: a password given as a credential needs no prompt")
    func passwordCredential() async throws {
        let sshd = try await SSHDFixture.start(passwordAuthentication: true)
        defer { sshd.stop() }
        var configuration = try FerryClient.configuration(for: sshd, identities: [])
        configuration.credentials = [.password(SecureBytes(Array(TestAccount.dedicatedPassword.utf8)))]
        let client = try await SSHClient.connect(configuration)
        await expectProbe(client, "password credential", log: tail(sshd.log))
        await client.close()
    }

    @Test("SSHClient: a wrong password is refused three times, then Permission denied")
    func wrongPassword() async throws {
        let sshd = try await SSHDFixture.start(passwordAuthentication: true)
        defer { sshd.stop() }
        let prompts = PromptLog(answer: "not the password")
        do {
            let client = try await connect(sshd, prompts: prompts)
            await client.close()
            Issue.record("a wrong password was accepted")
        } catch let error as SSHError {
            expectConnectFailure(error, .authenticationFailed, containing: ["Permission denied (", "password"], "wrong password")
        }
        #expect(prompts.prompts.count == 3 && prompts.prompts.last?.instruction == "Permission denied, please try again.",
                "\(prompts.prompts)")
    }

    @Test("SSHClient: keyboard-interactive through PAM answers the server's prompt")
    func keyboardInteractiveThroughPAM() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["UsePAM yes", "KbdInteractiveAuthentication yes"],
                                               passwordAuthentication: false)
        defer { sshd.stop() }
        let prompts = PromptLog(answer: TestAccount.dedicatedPassword)
        let client = try await connect(sshd, prompts: prompts,
                                       policy: AuthenticationPolicy(preferredMethods: ["keyboard-interactive"]))
        await expectProbe(client, "keyboard-interactive", log: tail(sshd.log))
        await client.close()
        #expect(prompts.prompts.first?.kind == .keyboardInteractive
                && prompts.prompts.first?.questions.first?.echo == false, "\(prompts.prompts)")
    }

    @Test("AuthenticationMethods publickey,password: the key alone is not enough; key and password succeed")
    func publicKeyAndPassword() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["AuthenticationMethods publickey,password"],
                                               passwordAuthentication: true)
        defer { sshd.stop() }
        let prompts = PromptLog(answer: TestAccount.dedicatedPassword)
        let client = try await connect(sshd, identities: [sshd.clientKeyPath], prompts: prompts)
        await expectProbe(client, "publickey,password", log: tail(sshd.log))
        await client.close()
        #expect(prompts.prompts.map(\.kind) == [.password])

        do {
            let keyOnly = try await connect(sshd, identities: [sshd.clientKeyPath], prompts: nil)
            await keyOnly.close()
            Issue.record("the key alone was accepted")
        } catch let error as SSHError {
            expectConnectFailure(error, .authenticationFailed, containing: ["Permission denied (password)."], "key only")
        }
        do {
            let passwordOnly = try await connect(sshd, prompts: PromptLog(answer: TestAccount.dedicatedPassword))
            await passwordOnly.close()
            Issue.record("the password alone was accepted")
        } catch let error as SSHError {
            expectConnectFailure(error, .authenticationFailed, containing: ["Permission denied (publickey)."], "password only")
        }
    }

    @Test("ferry exec: password from SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force)")
    func cliAskpass() async throws {
        let sshd = try await SSHDFixture.start(passwordAuthentication: true)
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "ferry-askpass")
        defer { scratch.remove() }
        let result = try await ferryWithAskpass(sshd, password: TestAccount.dedicatedPassword,
                                                options: ["-o", "BatchMode=no", "-o", "PubkeyAuthentication=no"], in: scratch)
        #expect(result.succeeded && result.stdout == "hello\n\(sshd.user)\n", "\(result.summary)\n--- server log ---\n\(tail(sshd.log))")
    }

    @Test("ferry exec: a wrong password gives Permission denied and 255")
    func cliWrongPassword() async throws {
        let sshd = try await SSHDFixture.start(passwordAuthentication: true)
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "ferry-askpass")
        defer { scratch.remove() }
        let marker = scratch.file("asked")
        let result = try await ferryWithAskpass(sshd, password: "wrong", options: [
            "-o", "BatchMode=no", "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=2",
        ], askpassMarker: marker, in: scratch)
        #expect(result.exit == ExitStatus(code: 255, signaled: false) && result.stdout.isEmpty, "\(result.summary)")
        #expect(result.stderr.contains("Permission denied (") && result.stderr.contains("password"), "\(result.stderr)")
        let asked = (try? String(contentsOfFile: marker, encoding: .utf8)) ?? ""
        #expect(asked.split(separator: "\n").count == 2, "askpass ran \(asked.split(separator: "\n").count) times")
    }

    @Test("ferry exec: BatchMode yes with only password possible fails without asking")
    func cliBatchMode() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["AuthenticationMethods password"], passwordAuthentication: true)
        defer { sshd.stop() }
        let scratch = try FixtureDirectory.create(prefix: "ferry-askpass")
        defer { scratch.remove() }
        let marker = scratch.file("asked")
        let result = try await ferryWithAskpass(sshd, password: TestAccount.dedicatedPassword,
                                                options: ["-o", "BatchMode=yes"], askpassMarker: marker, in: scratch)
        #expect(result.exit == ExitStatus(code: 255, signaled: false) && result.stdout.isEmpty, "\(result.summary)")
        #expect(result.stderr.contains("Permission denied (password)."), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "askpass was run in batch mode")
    }
}
