import ArgumentParser
import Foundation
import NIOCore
import SSHCore

/// `ferry exec [options] [user@]host -- command…`: runs a command remotely
/// as `ssh host command` does: our stdin is its input (EOF when ours ends;
/// none with -n), its output goes to our stdout and stderr, and its exit
/// status is ours (255 when the connection itself fails).
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command on a remote host (like ssh host command)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: [.customShort("n"), .customLong("no-stdin")], help: "Send the command no input (stdin from /dev/null, as ssh -n): for ferry in the background or in a loop reading stdin.")
    var noInput = false

    @Option(help: ArgumentHelp("Stop the remote command and fail after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    @Argument(help: ArgumentHelp("[user@]host or ssh://[user@]host[:port]", valueName: "destination"))
    var destination: String

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command and its arguments (after --).", valueName: "command"))
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        guard !command.isEmpty else { throw ValidationError("no command given: ferry exec host -- command") }
        if let timeout, !(timeout > 0 && timeout < 1e9) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let location = try RemoteLocation.destination(destination)
        let target = try RemoteTarget(location.destination)
        var connection = connection
        if let port = location.port { connection.port = port }
        let client: SSHClient
        do {
            client = try await SSHSession.connect(target, connection)
        } catch {
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        let line = command.joined(separator: " ")
        let limit: Duration? = timeout.map { .milliseconds(Int64($0 * 1000)) }
        let stdout: @Sendable (ByteBuffer) -> Void = { OutputWriter.writeAll($0, to: STDOUT_FILENO) }
        let stderr: @Sendable (ByteBuffer) -> Void = { OutputWriter.writeAll($0, to: STDERR_FILENO) }
        let exit: RemoteExit
        do {
            // nohup leaves stdin open write-only on /dev/null: no input, as
            // ssh reads it (an immediate EOF), rather than a failed read.
            let readable = fcntl(STDIN_FILENO, F_GETFL) & O_ACCMODE != O_WRONLY
            if noInput || !readable {
                exit = try await client.exec(line, timeout: limit, stdout: stdout, stderr: stderr)
            } else {
                // Read only as the server's window allows, and not at all
                // before the command runs (a prompt may still need the terminal).
                exit = try await client.exec(line, stdin: FileDescriptorInput(descriptor: STDIN_FILENO), timeout: limit,
                                             stdout: stdout, stderr: stderr)
            }
        } catch {
            ErrorText.report(error)
            await client.close()
            throw ExitCode(ExitCodes.sshFailure)
        }
        await client.close()
        if case .signal(let name, _, let message) = exit, !connection.quiet {
            FileHandle.standardError.write(Data("ferry: remote command killed by signal \(name)\(message.isEmpty ? "" : ": \(message)")\n".utf8))
        }
        throw ExitCode(ExitCodes.code(for: exit))
    }
}
