import SSHCrypto

/// KnownHostsRecord is a known_hosts line whose syntax has been checked —
/// marker, host field, key type name, Base64 — but whose key has not yet
/// been built. Building a key (curve point checks, RSA parameters in
/// libcrypto) costs tens of microseconds, so, like OpenSSH, ferry does it
/// only for the lines whose host field matches the name being looked up:
/// a known_hosts file of thousands of lines stays cheap to consult.
struct KnownHostsRecord: Sendable, Hashable {
    let marker: KnownHostsMarker
    let hostField: String
    let hosts: KnownHostsEntry.Hosts
    let keyType: SSHKeyType
    let blob: [UInt8]
    let comment: String
    let location: KnownHostsLocation

    /// Whether the host field applies to `name` (see `KnownHostsEntry.matches`).
    func matches(_ name: String) -> Bool {
        switch hosts {
        case .hashed(let hashed):
            return hashed.matches(name.utf8)
        case .patterns(let list):
            return list.match(name.utf8) == .matched
        }
    }

    /// A record after its key was built.
    enum Validated {
        /// The key is valid.
        case entry(KnownHostsEntry)
        /// The key is not, and why.
        case invalid(KnownHostsSkippedLine.Reason)

        var entry: KnownHostsEntry? {
            if case .entry(let entry) = self { return entry }
            return nil
        }
    }

    /// The entry with its key built and validated, or why the key is unusable.
    func validated() -> Validated {
        var key: SSHPublicKey
        do {
            key = try SSHPublicKey(blob: blob)
        } catch {
            return .invalid(.invalidKey("\(error)"))
        }
        guard key.type == keyType else {
            return .invalid(.invalidKey("the line says \(keyType.rawValue) but the key is \(key.type.rawValue)"))
        }
        key.comment = comment
        return .entry(KnownHostsEntry(record: self, key: key))
    }
}
