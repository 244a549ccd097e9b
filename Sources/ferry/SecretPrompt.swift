import Foundation
import SSHCore
import SSHCrypto
#if canImport(Glibc)
import Glibc
#endif

/// SecretPrompt answers authentication prompts (passwords,
/// keyboard-interactive questions) as ssh's `read_passphrase` does: on the
/// controlling terminal with echo off, or through the `SSH_ASKPASS` program
/// when there is no terminal or `SSH_ASKPASS_REQUIRE` says so. Never from
/// the command line or stdin, which may carry data. Answers are read into
/// buffers that are wiped once they are copied into `SecureBytes`.
enum SecretPrompt {
    /// Where answers come from, decided from the environment as readpass.c does.
    enum Source: Equatable {
        /// /dev/tty, echo off for secrets.
        case terminal
        /// This askpass program, with the prompt as its argument.
        case askpass(String)
        /// Nobody to ask.
        case none
    }

    /// OpenSSH's default askpass path on Debian and Ubuntu.
    static let defaultAskpass = "/usr/bin/ssh-askpass"
    static let maximumAnswerLength = 1024

    /// The source for `environment`: `SSH_ASKPASS_REQUIRE=force` always uses
    /// askpass, `prefer` uses it when DISPLAY is set, `never` never does;
    /// otherwise the terminal, and askpass (given DISPLAY) only without one.
    static func source(environment: [String: String], terminalAvailable: Bool) -> Source {
        var allowAskpass = !(environment["DISPLAY"] ?? "").isEmpty
        var useAskpass = false
        switch environment["SSH_ASKPASS_REQUIRE"]?.lowercased() {
        case "force": useAskpass = true; allowAskpass = true
        case "prefer": useAskpass = allowAskpass
        case "never": allowAskpass = false
        default: break
        }
        if !useAskpass {
            if terminalAvailable { return .terminal }
            useAskpass = true
        }
        guard useAskpass && allowAskpass else { return .none }
        let program = environment["SSH_ASKPASS"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultAskpass
        return .askpass(program)
    }

    /// The prompt answerer for the CLI. Name and instructions go to stderr
    /// (not with `quiet`), as ssh logs them.
    static func handler(quiet: Bool) -> AuthenticationPromptHandler {
        { prompt in
            let source = source(environment: ProcessInfo.processInfo.environment, terminalAvailable: terminalAvailable())
            guard source != .none else { return nil }
            if !quiet {
                for line in [prompt.name, prompt.instruction] where !line.isEmpty {
                    FileHandle.standardError.write(Data((line.hasSuffix("\n") ? line : line + "\n").utf8))
                }
            }
            var answers: [SecureBytes] = []
            for question in prompt.questions {
                let answer: SecureBytes?
                switch source {
                case .terminal: answer = readFromTerminal(question)
                case .askpass(let program): answer = askpass(program, prompt: question.text)
                case .none: answer = nil
                }
                guard let answer else { return nil }
                answers.append(answer)
            }
            return answers
        }
    }

    /// Asks for the passphrase of an encrypted key file, as ssh words it;
    /// nil when nobody can answer (the key is then skipped).
    static func passphraseProvider() -> IdentityFiles.PassphraseProvider {
        { path in
            let source = source(environment: ProcessInfo.processInfo.environment, terminalAvailable: terminalAvailable())
            let question = AuthenticationPrompt.Question(text: "Enter passphrase for key '\(path)': ", echo: false)
            switch source {
            case .terminal: return readFromTerminal(question)
            case .askpass(let program): return askpass(program, prompt: question.text)
            case .none: return nil
            }
        }
    }

    static func terminalAvailable() -> Bool {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// Reads one line from /dev/tty after writing the prompt, with echo off
    /// unless the question allows it; the terminal's settings are restored.
    static func readFromTerminal(_ question: AuthenticationPrompt.Question) -> SecureBytes? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        writeAll(fd, Array(question.text.utf8))
        var saved = termios()
        let haveSettings = tcgetattr(fd, &saved) == 0
        if haveSettings && !question.echo {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL)
            TerminalRestore.arm(fd: fd, settings: saved)
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        var line = [UInt8](repeating: 0, count: maximumAnswerLength)
        defer { line.wipe() }
        var count = 0
        var sawEnd = false
        while count < line.count {
            var byte: UInt8 = 0
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            guard n == 1 else { break }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { sawEnd = true; break }
            line[count] = byte
            count += 1
            byte = 0
        }
        if haveSettings && !question.echo {
            _ = tcsetattr(fd, TCSAFLUSH, &saved)
            TerminalRestore.disarm()
            writeAll(fd, [UInt8(ascii: "\n")])
        }
        guard sawEnd || count > 0 else { return nil }
        return SecureBytes(line[0..<count])
    }

    /// Runs `program prompt` and takes the first line of its output; nil when
    /// it fails or exits non-zero (the user cancelled), as ssh_askpass does.
    static func askpass(_ program: String, prompt: String) -> SecureBytes? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = [prompt]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { return nil }
        let fd = pipe.fileHandleForReading.fileDescriptor
        var buffer = [UInt8](repeating: 0, count: maximumAnswerLength)
        defer { buffer.wipe() }
        var count = 0
        while count < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + count }, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            count += n
        }
        // Drain the rest so the program is not stuck on a full pipe.
        var sink = [UInt8](repeating: 0, count: 4096)
        while read(fd, &sink, sink.count) > 0 { sink.wipe() }
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else { return nil }
        let end = buffer[0..<count].firstIndex { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") } ?? count
        return SecureBytes(buffer[0..<end])
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }
}

/// TerminalRestore puts the terminal's echo back when the user interrupts a
/// password prompt (^C, ^\, SIGTERM), as readpassphrase(3) does: the signal
/// handler restores the saved settings, then the signal does what it would
/// have done. Only one prompt reads the terminal at a time.
enum TerminalRestore {
    nonisolated(unsafe) private static var fd: Int32 = -1
    nonisolated(unsafe) private static var settings = termios()
    private static let signals = [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP]

    static func arm(fd: Int32, settings: termios) {
        Self.settings = settings
        Self.fd = fd
        for s in signals {
            signal(s) { number in
                if TerminalRestore.fd >= 0 { _ = tcsetattr(TerminalRestore.fd, TCSAFLUSH, &TerminalRestore.settings) }
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    static func disarm() {
        for s in signals { signal(s, SIG_DFL) }
        fd = -1
    }
}
