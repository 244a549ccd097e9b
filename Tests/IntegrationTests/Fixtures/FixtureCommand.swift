import Foundation
import Glibc

/// CommandResult is what a finished command left behind.
struct CommandResult: Sendable {
    /// The command line that was run, for messages.
    var commandLine: String
    /// How the process ended.
    var exit: ExitStatus
    /// True when the command ran past its timeout and was killed.
    var timedOut: Bool
    /// Everything the command wrote to standard output.
    var stdout: String
    /// Everything the command wrote to standard error.
    var stderr: String

    /// True for exit status 0 within the timeout.
    var succeeded: Bool { !timedOut && exit == ExitStatus(code: 0, signaled: false) }

    /// A multi-line account of the run for failure messages.
    var summary: String {
        """
        $ \(commandLine)
        \(timedOut ? "timed out, " : "")\(exit)
        --- stdout ---
        \(stdout)--- stderr ---
        \(stderr)
        """
    }
}

/// FixtureCommand runs helper programs (ssh-keygen, useradd, sshd -t, the
/// reference `ssh` client…) to completion with a timeout, without blocking a
/// Swift concurrency thread while they run.
enum FixtureCommand {
    /// Where programs are looked up, in order, after an absolute path: PATH,
    /// then the sbin directories a non-login root shell may not have on PATH.
    static func locate(_ name: String) -> String? {
        if name.hasPrefix("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? name : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init)
            + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` (an absolute path or a name looked up by `locate`)
    /// with `arguments`, feeding `input` on stdin (empty by default), and
    /// collects stdout and stderr through files (so a chatty command cannot
    /// fill a pipe and hang). After `timeout` the command gets SIGTERM, and
    /// SIGKILL two seconds later; the result then says `timedOut`.
    ///
    /// Throws only when the program cannot be found or started; a non-zero
    /// exit is a result, not an error.
    static func run(_ executable: String, _ arguments: [String], input: String = "",
                    environment: [String: String]? = nil,
                    timeout: Duration = .seconds(30)) async throws -> CommandResult {
        guard let program = locate(executable) else {
            throw FixtureError("\(executable) not found (PATH and sbin directories searched): run scripts/bootstrap")
        }
        let scratch = try FixtureDirectory.create(prefix: "cmd")
        defer { scratch.remove() }
        let inPath = try scratch.write("stdin", input, mode: 0o600)
        let outPath = scratch.file("stdout")
        let errPath = scratch.file("stderr")
        let child = try ChildProcess.spawn(program, arguments, environment: environment,
                                           stdin: inPath, stdout: outPath, stderr: errPath)
        var timedOut = false
        var status = await child.wait(timeout: timeout)
        if status == nil {
            timedOut = true
            child.send(SIGTERM)
            status = await child.wait(timeout: .seconds(2))
            if status == nil {
                child.send(SIGKILL)
                status = await child.wait(timeout: .seconds(10))
            }
        }

        func text(_ path: String) -> String {
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return CommandResult(
            commandLine: ([program] + arguments).map(shellQuoted).joined(separator: " "),
            exit: status ?? ExitStatus(code: SIGKILL, signaled: true),
            timedOut: timedOut,
            stdout: text(outPath),
            stderr: text(errPath))
    }

    /// Runs a command that must succeed; throws with the full result otherwise.
    @discardableResult
    static func check(_ executable: String, _ arguments: [String], input: String = "",
                      timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let result = try await run(executable, arguments, input: input, timeout: timeout)
        guard result.succeeded else { throw FixtureError("command failed:\n\(result.summary)") }
        return result
    }
}

/// `word` quoted for a POSIX shell (only when it needs quoting).
func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
