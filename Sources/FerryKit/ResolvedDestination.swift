import Foundation
import Logging

/// ResolvedDestination is a destination with its ssh_config applied, as
/// `ssh -G` prints it: the host name to connect to, port, user, and every
/// option, with the settings of `SSHOptions` first. Nothing is connected
/// and no key is loaded yet; only configuration files are read.
public struct ResolvedDestination: Sendable {
    /// The destination as given.
    public let destination: SSHDestination
    /// Every option, resolved (first value wins: settings, then `user@` and
    /// `:port`, then the files).
    public let options: ClientOptions
    /// The files read and the lines ignored on the way.
    public let report: SSHConfigFile.Report
    /// The local side ssh_config was evaluated against (user, home, environment).
    public let context: SSHConfigContext

    /// The name TCP connects to: HostName, else the destination's host.
    public var hostName: String { options.hostName ?? destination.host }
    public var port: Int { options.port ?? 22 }
    public var user: String { options.user ?? context.localUser }

    /// Resolves `destination` with `sshOptions` and the ssh_config files.
    /// Throws `SSHError.invalidConfiguration` for a bad setting or file.
    public init(_ destination: SSHDestination, options sshOptions: SSHOptions = SSHOptions()) throws {
        var o = try sshOptions.clientOptions()
        if let user = destination.user { try o.apply(keyword: "User", value: user) }
        if let port = destination.port { try o.apply(keyword: "Port", value: String(port)) }
        var context = SSHConfigContext.current(host: destination.host, configFile: sshOptions.configFile)
        if let environment = sshOptions.environment { context.environment = environment }
        let report = try SSHConfigFile.resolve(into: &o, context: context)
        self.destination = destination
        self.options = o
        self.report = report
        self.context = context
    }

    /// Logs (at debug level 1) the files read and what was ignored.
    public func logReport(to logger: Logger) {
        for file in report.filesRead { logger.ssh(1, "Reading configuration data \(file)") }
        for note in report.ignored { logger.ssh(1, note) }
        for keyword in options.ignoredKeywords { logger.ssh(1, "ignoring option \"\(keyword)\" (not used by ferry)") }
    }

    /// The tokens ssh expands in paths and commands of this destination.
    var tokens: ConfigTokens {
        ConfigTokens(host: hostName, originalHost: destination.host, port: port, remoteUser: user,
                     localUser: context.localUser, homeDirectory: context.homeDirectory,
                     userID: context.userID, localHostName: context.localHostName,
                     hostKeyAlias: options.hostKeyAlias?.lowercased(), environment: context.environment)
    }

    /// A path as ssh expands it when it loads it: ~ first, then %-tokens and ${VAR}.
    func expandPath(_ path: String) throws -> String {
        try tokens.expand(ConfigTokens.expandTilde(path, home: context.homeDirectory))
    }
}
