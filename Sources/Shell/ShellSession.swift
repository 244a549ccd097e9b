#if canImport(Glibc)
import Glibc
#endif
import SFTP
import Transfer

/// ShellSession runs sftp commands over one SFTP session: the state they
/// share (`ShellState`), where they write (`ShellOutput`), and the transfer
/// engine their get and put use. `execute` runs one command to its end;
/// `BatchRunner` decides which commands may run together.
public final class ShellSession: Sendable {
    public let client: SFTPClient
    /// The base transfer: every get and put shares its memory budget.
    public let files: FileTransfer
    public let output: ShellOutput
    /// Interactive sessions print sftp's progress lines ("Fetching a to b",
    /// "Removing x"); batch mode is quiet, as `sftp -b` is.
    public let verbose: Bool
    /// The width short listings are laid out for.
    public let terminalWidth: Int
    /// Sees every event of every get and put, whether or not `progress` is
    /// on (the executable counts the partial files kept, for the line
    /// Ctrl-C leaves).
    public let eventObserver: (@Sendable (TransferEvent) -> Void)?

    public init(client: SFTPClient, files: FileTransfer, output: ShellOutput, verbose: Bool, terminalWidth: Int = 80,
                eventObserver: (@Sendable (TransferEvent) -> Void)? = nil) {
        self.client = client
        self.files = files
        self.output = output
        self.verbose = verbose
        self.terminalWidth = terminalWidth
        self.eventObserver = eventObserver
    }

    /// The state a session starts in: the remote directory `start` (or
    /// the login directory), resolved by the server, and the process's
    /// working directory.
    public func initialState(start: [UInt8]? = nil) async throws -> ShellState {
        let home = try await client.realpath(".")
        var local = Array(".".utf8)
        if let cwd = getcwd(nil, 0) {
            local = Array(String(cString: cwd).utf8)
            free(cwd)
        }
        var state = ShellState(remoteDirectory: home.bytes, localDirectory: local)
        // As sftp: the meter is on at a prompt and off in a batch.
        state.showProgress = verbose
        if let start, !start.isEmpty {
            state.remoteDirectory = try await client.realpath(SFTPPath(bytes: state.remote(start))).bytes
        }
        return state
    }

    /// What running a command came to.
    public enum Outcome: Equatable, Sendable {
        /// The command did what it was asked.
        case succeeded
        /// The command failed (its error lines are written).
        case failed
        /// `exit`, `quit` or `bye`.
        case quit
    }

    /// Runs one command to its end, changing `state` as it asks.
    public func execute(_ command: ShellCommand, _ state: inout ShellState) async -> Outcome {
        switch command {
        case .get, .put:
            return await transfer(command, state, width: files.options.concurrentFiles).succeeded ? .succeeded : .failed
        case .quit:
            return .quit
        default:
            return await inspectOrChange(command, &state) ? .succeeded : .failed
        }
    }

    /// `name` for an error line (bytes that are not UTF-8 as `\xNN`).
    func show(_ bytes: [UInt8]) -> String { EscapedName.render(bytes) }

    /// The server's reason for a failed request, as sftp's fx2txt words it.
    static func reason(_ error: Error) -> String {
        if let error = error as? SFTPError {
            if let said = error.serverMessage, !said.isEmpty { return said }
            if let status = error.status { return status.description }
            return error.message
        }
        if let error = error as? TransferError { return error.message }
        return "\(error)"
    }
}
