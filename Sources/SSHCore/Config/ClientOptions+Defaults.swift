/// Defaults that depend on other options, as OpenSSH's readconf.c
/// `fill_default_options` derives them: ssh -G prints the derived value,
/// and the connection must use the same one.
extension ClientOptions {
    /// ServerAliveInterval in force: the value set, else 300 s under
    /// BatchMode (nobody is there to notice a dead server, so ssh probes
    /// every five minutes), else nil (never).
    public var effectiveServerAliveInterval: Duration? {
        if let serverAliveInterval { return serverAliveInterval > .zero ? serverAliveInterval : nil }
        return batchMode == true ? .seconds(300) : nil
    }

    /// AddressFamily in force, as the connection uses it.
    public var effectiveAddressFamily: AddressFamily {
        switch addressFamily ?? "any" {
        case "inet": .inet
        case "inet6": .inet6
        default: .any
        }
    }
}

/// Which IP versions a connection may use (ssh's `AddressFamily`, `-4`, `-6`).
public enum AddressFamily: String, Sendable {
    /// IPv4 or IPv6, whichever the name resolves to.
    case any
    /// IPv4 only (`-4`).
    case inet
    /// IPv6 only (`-6`).
    case inet6
}
