/// SFTPPacketType is the type byte that follows the length of every SFTP
/// packet (draft-ietf-secsh-filexfer-02 §3), named as in the draft.
public enum SFTPPacketType: UInt8, Sendable {
    /// SSH_FXP_INIT: the client's version, first packet of a session.
    case initialize = 1
    /// SSH_FXP_VERSION: the server's version and extensions.
    case version = 2
    /// SSH_FXP_OPEN.
    case open = 3
    /// SSH_FXP_CLOSE.
    case close = 4
    /// SSH_FXP_READ.
    case read = 5
    /// SSH_FXP_WRITE.
    case write = 6
    /// SSH_FXP_LSTAT.
    case lstat = 7
    /// SSH_FXP_FSTAT.
    case fstat = 8
    /// SSH_FXP_SETSTAT.
    case setstat = 9
    /// SSH_FXP_FSETSTAT.
    case fsetstat = 10
    /// SSH_FXP_OPENDIR.
    case opendir = 11
    /// SSH_FXP_READDIR.
    case readdir = 12
    /// SSH_FXP_REMOVE.
    case remove = 13
    /// SSH_FXP_MKDIR.
    case mkdir = 14
    /// SSH_FXP_RMDIR.
    case rmdir = 15
    /// SSH_FXP_REALPATH.
    case realpath = 16
    /// SSH_FXP_STAT.
    case stat = 17
    /// SSH_FXP_RENAME.
    case rename = 18
    /// SSH_FXP_READLINK.
    case readlink = 19
    /// SSH_FXP_SYMLINK.
    case symlink = 20
    /// SSH_FXP_STATUS.
    case status = 101
    /// SSH_FXP_HANDLE.
    case handle = 102
    /// SSH_FXP_DATA.
    case data = 103
    /// SSH_FXP_NAME.
    case name = 104
    /// SSH_FXP_ATTRS.
    case attrs = 105
    /// SSH_FXP_EXTENDED: a vendor request named by a string.
    case extended = 200
    /// SSH_FXP_EXTENDED_REPLY: a vendor reply; its layout depends on the request.
    case extendedReply = 201
}
