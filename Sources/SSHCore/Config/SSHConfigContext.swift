import Foundation

/// SSHConfigContext is what ssh_config reading needs to know about the
/// local side and the command line: which files to read, the destination as
/// typed, the local user, and how to run `Match exec`. Tests build one by
/// hand; `current(host:configFile:)` describes this process.
public struct SSHConfigContext: Sendable {
    /// The destination host as given on the command line (`%n`, `Match originalhost`).
    public var originalHost: String
    /// `-F file`: read only this file (`none`: read nothing); nil for the defaults.
    public var configFile: String?
    /// The per-user file read when `configFile` is nil.
    public var userConfigFile: String
    /// The system-wide file read after the user's.
    public var systemConfigFile: String
    /// Where a relative `Include` in the system file points.
    public var systemConfigDirectory: String
    /// The local user name (`%u`, `Match localuser`).
    public var localUser: String
    /// The local user's home directory from the password database (`%d`, `~` in values).
    public var homeDirectory: String
    /// Where `~` in `Include` points: glob(3) with GLOB_TILDE consults `$HOME`
    /// first, so OpenSSH resolves includes against `$HOME`, not the password database.
    public var includeHomeDirectory: String
    /// The local user ID (`%i`).
    public var userID: UInt32
    /// The local host name (`%l`, `%L`).
    public var localHostName: String
    /// Environment for `${NAME}` references.
    public var environment: [String: String]
    /// Runs a `Match exec` command; returns its exit status, or nil if it could not run.
    public var runCommand: @Sendable (String) -> Int32?

    public init(originalHost: String, configFile: String? = nil, localUser: String, homeDirectory: String,
                includeHomeDirectory: String? = nil, userID: UInt32, localHostName: String,
                userConfigFile: String? = nil, systemConfigFile: String = "/etc/ssh/ssh_config",
                systemConfigDirectory: String = "/etc/ssh", environment: [String: String] = [:],
                runCommand: @escaping @Sendable (String) -> Int32? = SSHConfigContext.runInShell) {
        self.originalHost = originalHost
        self.configFile = configFile
        self.localUser = localUser
        self.homeDirectory = homeDirectory
        self.includeHomeDirectory = includeHomeDirectory ?? homeDirectory
        self.userID = userID
        self.localHostName = localHostName
        self.userConfigFile = userConfigFile ?? homeDirectory + "/.ssh/config"
        self.systemConfigFile = systemConfigFile
        self.systemConfigDirectory = systemConfigDirectory
        self.environment = environment
        self.runCommand = runCommand
    }

    /// This process's user, home, host name and environment.
    public static func current(host: String, configFile: String? = nil) -> SSHConfigContext {
        let environment = ProcessInfo.processInfo.environment
        let uid = getuid()
        var home = NSHomeDirectory()
        var user = NSUserName()
        if let pw = getpwuid(uid) {
            if let dir = pw.pointee.pw_dir { home = String(cString: dir) }
            if let name = pw.pointee.pw_name { user = String(cString: name) }
        }
        return SSHConfigContext(
            originalHost: host, configFile: configFile, localUser: user, homeDirectory: home,
            includeHomeDirectory: environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home,
            userID: uid, localHostName: localHostName(), environment: environment)
    }

    /// gethostname(2), as ssh uses for `%l`.
    static func localHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `command` as OpenSSH's `execute_in_shell` does: `$SHELL -c`
    /// (`/bin/sh` when unset), standard input and output on /dev/null.
    public static let runInShell: @Sendable (String) -> Int32? = { command in
        let environment = ProcessInfo.processInfo.environment
        let shell = environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shell)
        process.arguments = ["-c", command]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : 255
    }
}
