import SSHCrypto

/// HostKeyStatus is what the known_hosts files say about the key a server
/// presented for one name (OpenSSH's HostStatus: HOST_OK, HOST_REVOKED,
/// HOST_CHANGED, HOST_NEW).
public enum HostKeyStatus: Sendable, Hashable {
    /// This exact key is on record for the host, at this line.
    case match(KnownHostsLocation)
    /// A `@revoked` line for the host lists this key: it must never be accepted.
    case revoked(KnownHostsLocation)
    /// Other keys are on record for the host and none is this one.
    /// `keyType` is the presented key's type; `previous` and `previousKey`
    /// are the offending line and its key, which may be of another type —
    /// OpenSSH treats any recorded key that differs as a change (see
    /// `isKeyTypeChange`).
    case changed(keyType: SSHKeyType, previous: KnownHostsLocation, previousKey: SSHPublicKey)
    /// No key at all is on record for the host (`@cert-authority` lines do not count).
    case unknown

    /// For `.changed`: the key on record is of a different type than the one
    /// presented (say RSA on record, Ed25519 offered). Still a change — ssh
    /// refuses it too, or an attacker could pick a type the user never
    /// recorded — but the message can say "a key of another type is known".
    public var isKeyTypeChange: Bool {
        if case .changed(let type, _, let previousKey) = self { return previousKey.type != type }
        return false
    }
}
