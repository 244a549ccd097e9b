import NIOCore

/// SFTPRequest is a client request that carries a request id: everything
/// the client sends after SSH_FXP_INIT (draft-ietf-secsh-filexfer-02 §6).
public enum SFTPRequest: Equatable, Sendable {
    /// SSH_FXP_OPEN: open or create a file; answered by HANDLE or STATUS.
    case open(path: SFTPPath, flags: SFTPOpenFlags, attributes: SFTPAttributes)
    /// SSH_FXP_CLOSE: release a file or directory handle; STATUS.
    case close(handle: SFTPHandle)
    /// SSH_FXP_READ: up to `length` bytes at `offset`; DATA, or STATUS (EOF).
    case read(handle: SFTPHandle, offset: UInt64, length: UInt32)
    /// SSH_FXP_WRITE: `data` at `offset`; STATUS.
    case write(handle: SFTPHandle, offset: UInt64, data: ByteBuffer)
    /// SSH_FXP_LSTAT: attributes of a path, not following a final symlink; ATTRS.
    case lstat(path: SFTPPath)
    /// SSH_FXP_FSTAT: attributes of an open handle; ATTRS.
    case fstat(handle: SFTPHandle)
    /// SSH_FXP_SETSTAT: change a path's attributes (following symlinks); STATUS.
    case setstat(path: SFTPPath, attributes: SFTPAttributes)
    /// SSH_FXP_FSETSTAT: change an open file's attributes; STATUS.
    case fsetstat(handle: SFTPHandle, attributes: SFTPAttributes)
    /// SSH_FXP_OPENDIR: open a directory for listing; HANDLE.
    case opendir(path: SFTPPath)
    /// SSH_FXP_READDIR: the next batch of entries; NAME, or STATUS (EOF).
    case readdir(handle: SFTPHandle)
    /// SSH_FXP_REMOVE: delete a file; STATUS.
    case remove(path: SFTPPath)
    /// SSH_FXP_MKDIR: create a directory; STATUS.
    case mkdir(path: SFTPPath, attributes: SFTPAttributes)
    /// SSH_FXP_RMDIR: delete an empty directory; STATUS.
    case rmdir(path: SFTPPath)
    /// SSH_FXP_REALPATH: canonical absolute form of a path; NAME with one entry.
    case realpath(path: SFTPPath)
    /// SSH_FXP_STAT: attributes of a path, following symlinks; ATTRS.
    case stat(path: SFTPPath)
    /// SSH_FXP_RENAME: fails if `newPath` exists (OpenSSH); STATUS.
    case rename(oldPath: SFTPPath, newPath: SFTPPath)
    /// SSH_FXP_READLINK: a symlink's target; NAME with one entry.
    case readlink(path: SFTPPath)
    /// SSH_FXP_SYMLINK: create `linkPath` pointing at `targetPath`; STATUS.
    ///
    /// On the wire the target comes FIRST: OpenSSH swapped the draft's order
    /// by mistake long ago and every deployed server now follows OpenSSH
    /// (it calls `symlink(first, second)`). The case names the roles so that
    /// callers never think about it.
    case symlink(linkPath: SFTPPath, targetPath: SFTPPath)
    /// SSH_FXP_EXTENDED: a vendor request (`name`, then request-specific bytes).
    case extended(name: String, data: ByteBuffer)

    /// The packet type this request is sent as.
    public var type: SFTPPacketType {
        switch self {
        case .open: .open
        case .close: .close
        case .read: .read
        case .write: .write
        case .lstat: .lstat
        case .fstat: .fstat
        case .setstat: .setstat
        case .fsetstat: .fsetstat
        case .opendir: .opendir
        case .readdir: .readdir
        case .remove: .remove
        case .mkdir: .mkdir
        case .rmdir: .rmdir
        case .realpath: .realpath
        case .stat: .stat
        case .rename: .rename
        case .readlink: .readlink
        case .symlink: .symlink
        case .extended: .extended
        }
    }

    /// Writes the body that follows type byte and id.
    func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .open(let path, let flags, let attributes):
            buffer.sftpWriteString(path.bytes)
            buffer.writeInteger(flags.rawValue)
            attributes.encode(into: &buffer)
        case .close(let handle), .fstat(let handle), .readdir(let handle):
            buffer.sftpWriteString(handle.bytes)
        case .read(let handle, let offset, let length):
            buffer.sftpWriteString(handle.bytes)
            buffer.writeInteger(offset)
            buffer.writeInteger(length)
        case .write(let handle, let offset, let data):
            buffer.sftpWriteString(handle.bytes)
            buffer.writeInteger(offset)
            buffer.sftpWriteString(buffer: data)
        case .lstat(let path), .opendir(let path), .remove(let path), .rmdir(let path),
             .realpath(let path), .stat(let path), .readlink(let path):
            buffer.sftpWriteString(path.bytes)
        case .setstat(let path, let attributes), .mkdir(let path, let attributes):
            buffer.sftpWriteString(path.bytes)
            attributes.encode(into: &buffer)
        case .fsetstat(let handle, let attributes):
            buffer.sftpWriteString(handle.bytes)
            attributes.encode(into: &buffer)
        case .rename(let oldPath, let newPath):
            buffer.sftpWriteString(oldPath.bytes)
            buffer.sftpWriteString(newPath.bytes)
        case .symlink(let linkPath, let targetPath):
            buffer.sftpWriteString(targetPath.bytes)
            buffer.sftpWriteString(linkPath.bytes)
        case .extended(let name, let data):
            buffer.sftpWriteString(name)
            buffer.writeImmutableBuffer(data)
        }
    }

    /// Decodes the body of a request of `type` (what a server does; ferry
    /// uses it for test servers and fuzzing). Returns nil for a type that
    /// is not an id-carrying request.
    static func decodeBody(type: SFTPPacketType, from buffer: inout ByteBuffer) throws -> SFTPRequest? {
        func path(_ what: String) throws -> SFTPPath { SFTPPath(bytes: try buffer.sftpReadBytes(what)) }
        func handle() throws -> SFTPHandle {
            SFTPHandle(bytes: try buffer.sftpReadBytes("handle", maxLength: SFTPHandle.maxLength))
        }
        let request: SFTPRequest
        switch type {
        case .open:
            let p = try path("path")
            let flags = SFTPOpenFlags(rawValue: try buffer.sftpReadUInt32("pflags"))
            request = .open(path: p, flags: flags, attributes: try SFTPAttributes.decode(from: &buffer))
        case .close: request = .close(handle: try handle())
        case .read:
            let h = try handle()
            let offset = try buffer.sftpReadUInt64("offset")
            request = .read(handle: h, offset: offset, length: try buffer.sftpReadUInt32("length"))
        case .write:
            let h = try handle()
            let offset = try buffer.sftpReadUInt64("offset")
            request = .write(handle: h, offset: offset, data: try buffer.sftpReadStringSlice("data"))
        case .lstat: request = .lstat(path: try path("path"))
        case .fstat: request = .fstat(handle: try handle())
        case .setstat:
            let p = try path("path")
            request = .setstat(path: p, attributes: try SFTPAttributes.decode(from: &buffer))
        case .fsetstat:
            let h = try handle()
            request = .fsetstat(handle: h, attributes: try SFTPAttributes.decode(from: &buffer))
        case .opendir: request = .opendir(path: try path("path"))
        case .readdir: request = .readdir(handle: try handle())
        case .remove: request = .remove(path: try path("path"))
        case .mkdir:
            let p = try path("path")
            request = .mkdir(path: p, attributes: try SFTPAttributes.decode(from: &buffer))
        case .rmdir: request = .rmdir(path: try path("path"))
        case .realpath: request = .realpath(path: try path("path"))
        case .stat: request = .stat(path: try path("path"))
        case .rename:
            let old = try path("old path")
            request = .rename(oldPath: old, newPath: try path("new path"))
        case .readlink: request = .readlink(path: try path("path"))
        case .symlink:
            let target = try path("target path")
            request = .symlink(linkPath: try path("link path"), targetPath: target)
        case .extended:
            let name = try buffer.sftpReadText("extended request name")
            let data = buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer()
            request = .extended(name: name, data: data)
        default:
            return nil
        }
        try buffer.sftpExpectEnd("\(type) request")
        return request
    }
}
