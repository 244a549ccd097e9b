import ArgumentParser
import Foundation

/// How ferry ends on an error the command line caused, as OpenSSH's tools
/// do: the message, the usage of the subcommand that was run (not the
/// top-level one), and status 1 — what scp and sftp exit with for a usage
/// error — or 255 for `ferry exec` (and `proxy`), as ssh does.
/// ArgumentParser's own status for these (64, EX_USAGE) is never seen.
enum UsageErrors {
    /// The status for a usage error of `command` (a subcommand's name).
    static func status(for command: String?) -> Int32 {
        ["exec", "proxy"].contains(command ?? "") ? ExitCodes.sshFailure : ExitCodes.usage
    }

    /// Parses, runs, and reports a failure as ssh tools do.
    static func main() async -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let name = arguments.first { !$0.hasPrefix("-") }
        let command: ParsableCommand
        do {
            command = try Ferry.parseAsRoot(arguments)
        } catch {
            // A parse or validate() error: ArgumentParser's text already
            // names the subcommand's usage.
            finish(Ferry.fullMessage(for: error), code: Ferry.exitCode(for: error), command: name)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            exit(0)
        } catch {
            let type = Swift.type(of: command)
            let code = Ferry.exitCode(for: error)
            if code == .validationFailure, ObjectIdentifier(type) != ObjectIdentifier(Ferry.self) {
                // A usage error found by run(): usage of this subcommand.
                let commandName = type.configuration.commandName ?? name ?? ""
                let text = "Error: \(Ferry.message(for: error))\nUsage: \(Ferry.usageString(for: type))\n"
                    + "  See 'ferry \(commandName) --help' for more information."
                finish(text, code: code, command: name)
            }
            finish(Ferry.fullMessage(for: error), code: code, command: name)
        }
    }

    private static func finish(_ text: String, code: ExitCode, command: String?) -> Never {
        let status = code == .validationFailure ? status(for: command) : code.rawValue
        if !text.isEmpty {
            // Help and --version go to stdout with status 0, errors to stderr.
            let handle = code.rawValue == 0 ? FileHandle.standardOutput : FileHandle.standardError
            handle.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
        }
        exit(status)
    }
}
