// ByteStream moved below SFTP and SCP (both run over it); re-exported so
// code written against `import SFTP` alone keeps compiling.
@_exported import ByteStreams

/// SFTP: the SFTP v3 codec and client engine, over any byte stream.
public enum SFTPProtocol {
    /// The protocol version ferry speaks (draft-ietf-secsh-filexfer-02).
    public static let version: UInt32 = 3

    /// Largest packet ferry accepts from a server (the uint32 length field
    /// excluded). OpenSSH's own client and server refuse anything larger, so a
    /// conforming server never sends more; a larger length is a hostile or
    /// broken peer and would otherwise make us buffer without bound.
    public static let maxPacketLength = 256 * 1024

    /// Longest READ ferry asks for: room for a DATA header inside
    /// `maxPacketLength` (OpenSSH caps its reads the same way: 255 KiB).
    public static let maxReadLength = maxPacketLength - 1024

    /// Read and write block size when the server does not advertise
    /// limits@openssh.com (what OpenSSH's sftp uses then).
    public static let defaultBlockLength = 32 * 1024
}
