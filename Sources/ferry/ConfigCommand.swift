import ArgumentParser
import FerryKit
import Foundation
import SSHCore

/// `ferry config [options] [user@]host`: prints the configuration ferry
/// would use for a host, in `ssh -G host` form (lower-case keyword, space,
/// value), for the keywords ferry supports — so it can be checked against
/// ssh, and so "why does ferry connect there?" has an answer.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the resolved configuration for a host (like ssh -G)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("[user@]host or ssh://[user@]host[:port]", valueName: "destination"))
    var destination: String

    func run() throws {
        do {
            let location = try RemoteLocation.destination(destination)
            let target = try RemoteTarget(location.destination)
            var connection = connection
            if let port = location.port { connection.port = port }
            let options = try connection.sshOptions()
            let resolved = try ResolvedDestination(SSHDestination(user: target.user, host: target.host), options: options)
            resolved.logReport(to: options.logger)
            print(try SSHConfigDump.render(resolved.options, context: resolved.context), terminator: "")
        } catch let error as SSHError {
            FileHandle.standardError.write(Data("ferry: \(error.message)\n".utf8))
            throw ExitCode(ExitCodes.sshFailure)
        }
    }
}
