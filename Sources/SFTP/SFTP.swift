/// SFTP: the SFTP v3 codec and client engine, over any byte stream.
public enum SFTPProtocol {
    /// The protocol version ferry speaks (draft-ietf-secsh-filexfer-02).
    public static let version: UInt32 = 3
}
