/// HostKeyVerdict is how a host key check that let the connection proceed
/// ended (a refusal is thrown as `SSHError(.hostKeyRejected, …)` instead).
public struct HostKeyVerdict: Sendable {
    /// What the known_hosts files said about the key for the host name.
    public let status: HostKeyStatus
    /// What they said about it for the IP address, when CheckHostIP checked it.
    public let addressStatus: HostKeyStatus?
    /// The server is NOT authenticated (its key changed and
    /// StrictHostKeyChecking is `no`): the caller must not send a password
    /// or keyboard-interactive responses, and must not forward the agent,
    /// X11 or ports — a man in the middle would receive them.
    public let disablePasswordAuthentication: Bool
    /// The file the key was recorded in, if it was.
    public let recordedIn: String?
    /// Messages for the user, in order — what ssh would print on stderr
    /// ("Warning: Permanently added …", the changed-key warning…).
    public let warnings: [String]
}
