import SSHCore

/// SCP: the legacy scp/rcp protocol's source and sink state machines.
public enum SCPProtocol {
    /// The byte a sink sends to acknowledge a command or a file.
    public static let ok: UInt8 = 0
}
