import NIOCore

/// The OpenSSH extensions. Each is sent only when the server advertised it
/// with the version ferry implements; otherwise the call fails with
/// `.extensionUnsupported` without sending anything, so a caller can fall
/// back (e.g. remove + rename where posix-rename is missing).
extension SFTPClient {
    private func require(_ ext: SFTPExtension) throws {
        guard supports(ext) else {
            throw SFTPError(.extensionUnsupported, "the SFTP server does not support \(ext)")
        }
    }

    private func call(_ ext: SFTPExtension, _ fill: (inout ByteBuffer) -> Void) async throws -> SFTPReply {
        try require(ext)
        var data = ByteBuffer()
        fill(&data)
        return try await connection.request(.extended(name: ext.name, data: data))
    }

    /// posix-rename@openssh.com: rename, replacing `newPath` if it exists
    /// (atomically on POSIX servers) — how a finished download's temporary
    /// name becomes the final one.
    public func posixRename(_ oldPath: SFTPPath, to newPath: SFTPPath) async throws {
        let reply = try await call(.posixRename) {
            $0.sftpWriteString(oldPath.bytes)
            $0.sftpWriteString(newPath.bytes)
        }
        try Self.ok(reply, "posix-rename \(oldPath)")
    }

    /// statvfs@openssh.com for the file system holding `path`.
    public func statvfs(_ path: SFTPPath) async throws -> SFTPFileSystemStats {
        let reply = try await call(.statvfs) { $0.sftpWriteString(path.bytes) }
        return try SFTPFileSystemStats.decode(try Self.extendedReply(reply, "statvfs \(path)"))
    }

    /// fstatvfs@openssh.com for the file system holding an open file.
    public func fstatvfs(_ handle: SFTPHandle) async throws -> SFTPFileSystemStats {
        let reply = try await call(.fstatvfs) { $0.sftpWriteString(handle.bytes) }
        return try SFTPFileSystemStats.decode(try Self.extendedReply(reply, "fstatvfs"))
    }

    /// hardlink@openssh.com: creates `newPath` as another name of `oldPath`.
    public func hardlink(_ oldPath: SFTPPath, to newPath: SFTPPath) async throws {
        let reply = try await call(.hardlink) {
            $0.sftpWriteString(oldPath.bytes)
            $0.sftpWriteString(newPath.bytes)
        }
        try Self.ok(reply, "hardlink \(oldPath)")
    }

    /// fsync@openssh.com: the server flushes the open file to stable storage.
    public func fsync(_ handle: SFTPHandle) async throws {
        let reply = try await call(.fsync) { $0.sftpWriteString(handle.bytes) }
        try Self.ok(reply, "fsync")
    }

    /// lsetstat@openssh.com: SETSTAT that changes a symbolic link itself.
    public func lsetstat(_ path: SFTPPath, _ attributes: SFTPAttributes) async throws {
        let reply = try await call(.lsetstat) {
            $0.sftpWriteString(path.bytes)
            attributes.encode(into: &$0)
        }
        try Self.ok(reply, "lsetstat \(path)")
    }

    /// limits@openssh.com, asked again (`limits` holds the answer from connect).
    public func fetchLimits() async throws -> SFTPLimits {
        let reply = try await call(.limits) { _ in }
        return try SFTPLimits.decode(try Self.extendedReply(reply, "limits"))
    }

    /// expand-path@openssh.com: REALPATH that also expands `~` and `~user`.
    public func expandPath(_ path: SFTPPath) async throws -> SFTPPath {
        let reply = try await call(.expandPath) { $0.sftpWriteString(path.bytes) }
        return try Self.singleName(reply, "expand-path \(path)").path
    }

    /// copy-data: the server copies `length` bytes (0: to end of file) from
    /// `source` at `sourceOffset` to `destination` at `destinationOffset`,
    /// without the data crossing the network.
    public func copyData(from source: SFTPHandle, offset sourceOffset: UInt64, length: UInt64,
                         to destination: SFTPHandle, offset destinationOffset: UInt64) async throws {
        let reply = try await call(.copyData) {
            $0.sftpWriteString(source.bytes)
            $0.writeInteger(sourceOffset)
            $0.writeInteger(length)
            $0.sftpWriteString(destination.bytes)
            $0.writeInteger(destinationOffset)
        }
        try Self.ok(reply, "copy-data")
    }

    /// home-directory: the home directory of `user` ("" for the session's user).
    public func homeDirectory(of user: String = "") async throws -> SFTPPath {
        let reply = try await call(.homeDirectory) { $0.sftpWriteString(user) }
        return try Self.singleName(reply, "home-directory \(user)").path
    }

    /// users-groups-by-id@openssh.com: the names for uids and gids, in order
    /// ("" where the server knows none).
    public func userGroupNames(uids: [UInt32], gids: [UInt32]) async throws -> SFTPUserGroupNames {
        let reply = try await call(.usersGroupsByID) {
            for ids in [uids, gids] {
                $0.writeInteger(UInt32(truncatingIfNeeded: ids.count * 4))
                for id in ids { $0.writeInteger(id) }
            }
        }
        return try SFTPUserGroupNames.decode(try Self.extendedReply(reply, "users-groups-by-id"),
                                             userCount: uids.count, groupCount: gids.count)
    }
}
