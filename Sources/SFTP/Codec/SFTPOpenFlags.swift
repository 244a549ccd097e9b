/// SFTPOpenFlags is the `pflags` field of SSH_FXP_OPEN (SSH_FXF_*).
public struct SFTPOpenFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// SSH_FXF_READ: open for reading.
    public static let read = SFTPOpenFlags(rawValue: 0x01)
    /// SSH_FXF_WRITE: open for writing.
    public static let write = SFTPOpenFlags(rawValue: 0x02)
    /// SSH_FXF_APPEND: every write goes to the end (OpenSSH ignores the offset).
    public static let append = SFTPOpenFlags(rawValue: 0x04)
    /// SSH_FXF_CREAT: create the file if it does not exist.
    public static let create = SFTPOpenFlags(rawValue: 0x08)
    /// SSH_FXF_TRUNC: truncate to zero length (requires `create`).
    public static let truncate = SFTPOpenFlags(rawValue: 0x10)
    /// SSH_FXF_EXCL: fail if the file exists (requires `create`); how a
    /// temporary name is claimed without racing another writer.
    public static let exclusive = SFTPOpenFlags(rawValue: 0x20)
}
