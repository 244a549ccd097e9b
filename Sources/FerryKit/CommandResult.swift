/// CommandResult is how a remote command ended and what it printed.
public struct CommandResult: Sendable, Equatable {
    /// The command as sent.
    public let command: String
    /// Everything it wrote to standard output, as bytes.
    public let standardOutput: [UInt8]
    /// Everything it wrote to standard error.
    public let standardError: [UInt8]
    /// Its exit status, or the signal that ended it.
    public let exit: RemoteExit

    public init(command: String, standardOutput: [UInt8], standardError: [UInt8], exit: RemoteExit) {
        self.command = command
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.exit = exit
    }

    /// Standard output as text (invalid UTF-8 replaced).
    public var output: String { String(decoding: standardOutput, as: UTF8.self) }
    /// Standard error as text.
    public var errorOutput: String { String(decoding: standardError, as: UTF8.self) }

    /// The exit status; nil when a signal ended the command or none was sent.
    public var exitStatus: Int? {
        if case .status(let code) = exit { return Int(code) }
        return nil
    }

    /// True when the command exited with status 0.
    public var succeeded: Bool { exitStatus == 0 }

    /// Returns self when the command exited 0; else throws `CommandFailure`.
    @discardableResult
    public func check() throws -> CommandResult {
        guard succeeded else { throw CommandFailure(result: self) }
        return self
    }
}

/// CommandFailure: a command that `CommandResult.check()` found did not
/// exit with status 0.
public struct CommandFailure: Error, CustomStringConvertible {
    public let result: CommandResult

    public var description: String {
        let how: String
        switch result.exit {
        case .status(let code): how = "exited with status \(code)"
        case .signal(let name, _, _): how = "was killed by signal \(name)"
        case .unknown: how = "ended without an exit status"
        }
        let detail = result.errorOutput.split(separator: "\n").last.map { ": \($0)" } ?? ""
        return "command \"\(result.command)\" \(how)\(detail)"
    }
}
