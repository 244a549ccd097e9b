/// SSHCore: transport, key exchange, user authentication, channels,
/// known_hosts, ssh_config and the async `SSHClient` (issue 3 onwards).
public enum SSHCoreInfo {
    /// The software version ferry announces in its SSH identification string.
    public static let softwareVersion = "ferry_0.1"
}
