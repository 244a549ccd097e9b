import SSHCrypto

/// KnownHosts is the set of known_hosts files ssh consults for a connection:
/// the UserKnownHostsFile list, then the GlobalKnownHostsFile list.
///
/// Lookup is OpenSSH's (hostfile.c `check_key_in_hostkeys` over the entries
/// of every file that match the name, user files first):
///
/// 1. any plain entry with this exact key → `.match` (the first such line);
/// 2. otherwise, if plain entries exist → `.changed`, naming the last of
///    them, as ssh's "Offending … key in file:line" does;
/// 3. otherwise `.unknown`;
/// 4. and in every case, a matching `@revoked` line listing this key wins:
///    `.revoked`. A revoked line applies only to the hosts it lists; write
///    `@revoked * …` to revoke a key for every host.
///
/// So "first match decides" holds for the key, not the file: a stale key in
/// the user file does not hide the right one in the global file.
public struct KnownHosts: Sendable {
    /// OpenSSH's default UserKnownHostsFile.
    public static let defaultUserFiles = ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"]
    /// OpenSSH's default GlobalKnownHostsFile.
    public static let defaultGlobalFiles = ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]
    /// The SSH port, written without brackets.
    public static let defaultPort = 22

    /// User files, in order; the first is where new keys are recorded.
    public let userFiles: [KnownHostsFile]
    /// System-wide files, in order.
    public let globalFiles: [KnownHostsFile]
    /// Files that exist but could not be read; ssh ignores them too, but a
    /// caller may want to say so.
    public let loadErrors: [SSHError]

    public init(userFiles: [KnownHostsFile], globalFiles: [KnownHostsFile] = [], loadErrors: [SSHError] = []) {
        self.userFiles = userFiles
        self.globalFiles = globalFiles
        self.loadErrors = loadErrors
    }

    /// Loads the files at these (already `~`-expanded) paths. Missing files
    /// are empty; unreadable ones are empty and listed in `loadErrors`.
    public static func load(userFiles: [String], globalFiles: [String]) -> KnownHosts {
        var errors: [SSHError] = []
        func load(_ path: String) -> KnownHostsFile {
            do {
                return try KnownHostsFile.load(path: path)
            } catch let error as SSHError {
                errors.append(error)
            } catch {
                errors.append(SSHError(.io, "cannot read known hosts file \(path): \(error)"))
            }
            return KnownHostsFile(missing: path)
        }
        let user = userFiles.map(load)
        let global = globalFiles.map(load)
        return KnownHosts(userFiles: user, globalFiles: global, loadErrors: errors)
    }

    /// All files, user files first.
    public var files: [KnownHostsFile] { userFiles + globalFiles }

    /// Every entry (any marker) that applies to `name`, user files first.
    public func entries(matching name: String) -> [KnownHostsEntry] {
        files.flatMap { $0.entries(matching: name) }
    }

    /// The name ssh looks a host up under and records it as: the
    /// HostKeyAlias if one is set, else `host` for port 22 and
    /// `[host]:port` for any other port (OpenSSH's put_host_port). Lower-cased,
    /// as ssh lower-cases host names (and writes every name lower-cased).
    public static func lookupName(host: String, port: Int, hostKeyAlias: String? = nil) -> String {
        let name: String
        if let hostKeyAlias {
            name = hostKeyAlias
        } else if port == defaultPort || port == 0 {
            name = host
        } else {
            name = "[\(host)]:\(port)"
        }
        return String(decoding: name.utf8.map(HostPatternList.lowercased), as: UTF8.self)
    }

    /// The status of `key` for one lookup name (see the type's comment).
    public func status(of key: SSHPublicKey, for name: String) -> HostKeyStatus {
        Self.status(of: key, among: entries(matching: name))
    }

    /// The status of `key` for a host and port, as ssh checks it: under
    /// `lookupName`, and — when that finds nothing, the port is not 22 and
    /// there is no alias — under the bare host name too, where a key
    /// recorded for port 22 is accepted (sshconnect.c "checking without port
    /// identifier"). From that second lookup only a match or a revocation
    /// counts; a different key there is not a change for this port.
    public func status(of key: SSHPublicKey, host: String, port: Int, hostKeyAlias: String? = nil) -> HostKeyStatus {
        let name = Self.lookupName(host: host, port: port, hostKeyAlias: hostKeyAlias)
        let status = status(of: key, for: name)
        guard status == .unknown, hostKeyAlias == nil, port != Self.defaultPort, port != 0 else { return status }
        switch self.status(of: key, for: Self.lookupName(host: host, port: Self.defaultPort)) {
        case .match(let location): return .match(location)
        case .revoked(let location): return .revoked(location)
        case .changed, .unknown: return .unknown
        }
    }

    /// Lines (with no marker) that hold `key` under any name — for "this key
    /// is also known as …" in the question about an unknown host.
    public func entries(holding key: SSHPublicKey) -> [KnownHostsEntry] {
        files.flatMap { $0.entries(holding: key) }
    }

    static func status(of key: SSHPublicKey, among entries: [KnownHostsEntry]) -> HostKeyStatus {
        var result = HostKeyStatus.unknown
        for entry in entries where entry.marker == .none {
            if entry.key == key {
                result = .match(entry.location)
                break
            }
            result = .changed(keyType: key.type, previous: entry.location, previousKey: entry.key)
        }
        if let revoked = entries.first(where: { $0.marker == .revoked && $0.key == key }) {
            return .revoked(revoked.location)
        }
        return result
    }
}
