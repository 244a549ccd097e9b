/// StrictHostKeyChecking is ssh_config's option of that name: what to do
/// with a host key that is not on record (a changed or revoked key is never
/// silently accepted).
public enum StrictHostKeyChecking: String, Sendable, CaseIterable {
    /// Never add keys; refuse hosts whose key is not on record.
    case yes
    /// Add keys of hosts not yet on record; refuse changed keys.
    case acceptNew = "accept-new"
    /// Add keys of new hosts; connect to a host whose key changed, with a
    /// warning and with password and keyboard-interactive authentication off.
    case no
    /// Ask the user about unknown hosts (via the caller's prompt); without a prompt, act as `yes`.
    case ask

    /// Parses an ssh_config value as OpenSSH does: yes/true, no/false/off,
    /// ask, accept-new (case-insensitive).
    public init?(configValue: String) {
        switch configValue.lowercased() {
        case "yes", "true": self = .yes
        case "no", "false", "off": self = .no
        case "ask": self = .ask
        case "accept-new": self = .acceptNew
        default: return nil
        }
    }
}
