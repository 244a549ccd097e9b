/// KnownHostsMarker is the optional `@` word that starts a known_hosts line
/// and changes what its key means (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT).
public enum KnownHostsMarker: String, Sendable, Hashable {
    /// No marker: the key is a host key of the listed hosts.
    case none = ""
    /// `@cert-authority`: the key is a CA that signs host certificates for the listed hosts.
    case certAuthority = "@cert-authority"
    /// `@revoked`: the key must never be accepted for the listed hosts.
    case revoked = "@revoked"
}
