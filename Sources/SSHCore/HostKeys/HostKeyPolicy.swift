/// HostKeyPolicy gathers the ssh_config options that decide how a server's
/// host key is checked, with OpenSSH's defaults.
public struct HostKeyPolicy: Sendable {
    /// StrictHostKeyChecking (default `ask`).
    public var strictHostKeyChecking: StrictHostKeyChecking
    /// UserKnownHostsFile: read first; new keys go to the first one.
    public var userKnownHostsFiles: [String]
    /// GlobalKnownHostsFile: read after the user files, never written.
    public var globalKnownHostsFiles: [String]
    /// HashKnownHosts: record new keys under hashed names.
    public var hashKnownHosts: Bool
    /// HostKeyAlias: the name to look up and record instead of host/[host]:port.
    public var hostKeyAlias: String?
    /// CheckHostIP: also check (and record) the key under the server's IP
    /// address, to notice DNS spoofing. Off by default since OpenSSH 8.5.
    public var checkHostIP: Bool
    /// The home directory for `~` in file names; nil means the current
    /// user's ($HOME, else the password database).
    public var homeDirectory: String?

    public init(strictHostKeyChecking: StrictHostKeyChecking = .ask,
                userKnownHostsFiles: [String] = KnownHosts.defaultUserFiles,
                globalKnownHostsFiles: [String] = KnownHosts.defaultGlobalFiles,
                hashKnownHosts: Bool = false,
                hostKeyAlias: String? = nil,
                checkHostIP: Bool = false,
                homeDirectory: String? = nil) {
        self.strictHostKeyChecking = strictHostKeyChecking
        self.userKnownHostsFiles = userKnownHostsFiles
        self.globalKnownHostsFiles = globalKnownHostsFiles
        self.hashKnownHosts = hashKnownHosts
        self.hostKeyAlias = hostKeyAlias
        self.checkHostIP = checkHostIP
        self.homeDirectory = homeDirectory
    }

    /// The home directory used for `~`.
    public var resolvedHomeDirectory: String {
        homeDirectory ?? KnownHostsFileSystem.currentHomeDirectory()
    }

    /// `path` with a leading `~` or `~/` replaced by the home directory
    /// (`~user` forms are left as they are).
    public func expandedPath(_ path: String) -> String {
        if path == "~" { return resolvedHomeDirectory }
        guard path.hasPrefix("~/") else { return path }
        var home = resolvedHomeDirectory
        while home.count > 1, home.hasSuffix("/") { home.removeLast() }
        return (home == "/" ? "" : home) + "/" + path.dropFirst(2)
    }

    /// The user's ~/.ssh, which ssh creates (mode 0700) to record a key.
    public var sshDirectory: String { expandedPath("~/.ssh") }

    /// Loads the configured files.
    public func loadKnownHosts() -> KnownHosts {
        KnownHosts.load(userFiles: userKnownHostsFiles.map(expandedPath),
                        globalFiles: globalKnownHostsFiles.map(expandedPath))
    }
}
