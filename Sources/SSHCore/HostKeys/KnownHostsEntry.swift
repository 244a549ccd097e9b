import SSHCrypto

/// KnownHostsEntry is one usable line of a known_hosts file: an optional
/// marker, the hosts it applies to, and a validated public key.
public struct KnownHostsEntry: Sendable, Hashable {
    /// The hosts part of a line: hashed, or a pattern list.
    enum Hosts: Sendable, Hashable {
        /// `|1|salt|hash`: one hashed name.
        case hashed(HashedHostName)
        /// `host1,[host2]:2222,*.example.com,!bad.example.com`.
        case patterns(HostPatternList)
    }

    /// The key; its `comment` is the rest of the line after the key.
    public let key: SSHPublicKey

    let record: KnownHostsRecord

    init(record: KnownHostsRecord, key: SSHPublicKey) {
        self.record = record
        self.key = key
    }

    /// `@cert-authority`, `@revoked`, or none.
    public var marker: KnownHostsMarker { record.marker }
    /// The host field exactly as written (a pattern list or a hashed name).
    public var hostField: String { record.hostField }
    /// Where the line is.
    public var location: KnownHostsLocation { record.location }

    /// Whether the host field is a hashed name.
    public var isHashed: Bool {
        if case .hashed = record.hosts { return true }
        return false
    }

    /// Whether the line applies to `name` — `host` or `[host]:port`, in the
    /// form ssh looks it up (see `KnownHosts.lookupName`). A plain field is
    /// matched case-insensitively with its wildcards and negations; a hashed
    /// field is compared with the hash of `name` exactly as given, as
    /// OpenSSH does (ssh lower-cases host names before looking them up).
    public func matches(_ name: String) -> Bool { record.matches(name) }
}
