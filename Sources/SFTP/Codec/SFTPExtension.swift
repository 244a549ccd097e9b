import NIOCore

/// SFTPExtension names an SFTP extension and the version of it ferry
/// implements. A request is sent only when the server's VERSION lists the
/// name with exactly this version: a different version may lay out its
/// bytes differently (statvfs@openssh.com "1" did).
public struct SFTPExtension: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let version: String
    public init(name: String, version: String) { self.name = name; self.version = version }
    public var description: String { "\(name) (version \(version))" }

    /// posix-rename@openssh.com: rename that replaces an existing target.
    public static let posixRename = SFTPExtension(name: "posix-rename@openssh.com", version: "1")
    /// statvfs@openssh.com: file system statistics for a path.
    public static let statvfs = SFTPExtension(name: "statvfs@openssh.com", version: "2")
    /// fstatvfs@openssh.com: file system statistics for an open handle.
    public static let fstatvfs = SFTPExtension(name: "fstatvfs@openssh.com", version: "2")
    /// hardlink@openssh.com: create a hard link.
    public static let hardlink = SFTPExtension(name: "hardlink@openssh.com", version: "1")
    /// fsync@openssh.com: flush an open file to stable storage.
    public static let fsync = SFTPExtension(name: "fsync@openssh.com", version: "1")
    /// lsetstat@openssh.com: SETSTAT that does not follow a final symlink.
    public static let lsetstat = SFTPExtension(name: "lsetstat@openssh.com", version: "1")
    /// limits@openssh.com: the server's packet, read, write and handle limits.
    public static let limits = SFTPExtension(name: "limits@openssh.com", version: "1")
    /// expand-path@openssh.com: REALPATH that also expands `~` and `~user`.
    public static let expandPath = SFTPExtension(name: "expand-path@openssh.com", version: "1")
    /// copy-data: copy between two open handles on the server.
    public static let copyData = SFTPExtension(name: "copy-data", version: "1")
    /// home-directory: a user's home directory.
    public static let homeDirectory = SFTPExtension(name: "home-directory", version: "1")
    /// users-groups-by-id@openssh.com: user and group names for ids.
    public static let usersGroupsByID = SFTPExtension(name: "users-groups-by-id@openssh.com", version: "1")
}

/// SFTPLimits is the reply of limits@openssh.com: the largest packet, read
/// and write the server accepts and how many handles it can hold open.
/// Zero means the server states no limit.
public struct SFTPLimits: Equatable, Sendable {
    public var maxPacketLength: UInt64
    public var maxReadLength: UInt64
    public var maxWriteLength: UInt64
    public var maxOpenHandles: UInt64

    public init(maxPacketLength: UInt64, maxReadLength: UInt64, maxWriteLength: UInt64, maxOpenHandles: UInt64) {
        self.maxPacketLength = maxPacketLength
        self.maxReadLength = maxReadLength
        self.maxWriteLength = maxWriteLength
        self.maxOpenHandles = maxOpenHandles
    }

    /// Block length for READ requests: the server's limit, capped so that a
    /// DATA reply fits in the packets we accept; 32 KiB when unstated.
    public var readBlockLength: Int { Self.blockLength(maxReadLength) }
    /// Block length for WRITE requests, capped the same way.
    public var writeBlockLength: Int { Self.blockLength(maxWriteLength) }

    static func blockLength(_ stated: UInt64) -> Int {
        guard stated > 0 else { return SFTPProtocol.defaultBlockLength }
        return Int(min(stated, UInt64(SFTPProtocol.maxReadLength)))
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(maxPacketLength)
        buffer.writeInteger(maxReadLength)
        buffer.writeInteger(maxWriteLength)
        buffer.writeInteger(maxOpenHandles)
    }

    static func decode(_ reply: ByteBuffer) throws -> SFTPLimits {
        var buffer = reply
        let limits = SFTPLimits(maxPacketLength: try buffer.sftpReadUInt64("max-packet-length"),
                                maxReadLength: try buffer.sftpReadUInt64("max-read-length"),
                                maxWriteLength: try buffer.sftpReadUInt64("max-write-length"),
                                maxOpenHandles: try buffer.sftpReadUInt64("max-open-handles"))
        try buffer.sftpExpectEnd("limits@openssh.com reply")
        return limits
    }
}

/// SFTPFileSystemStats is the reply of statvfs@openssh.com and
/// fstatvfs@openssh.com (version 2): `struct statvfs` as eleven uint64s.
public struct SFTPFileSystemStats: Equatable, Sendable {
    /// SSH2_FXE_STATVFS_ST_RDONLY in `flags`.
    public static let readOnly: UInt64 = 0x1
    /// SSH2_FXE_STATVFS_ST_NOSUID in `flags`.
    public static let noSetUID: UInt64 = 0x2

    public var blockSize: UInt64
    public var fragmentSize: UInt64
    public var blocks: UInt64
    public var freeBlocks: UInt64
    public var availableBlocks: UInt64
    public var files: UInt64
    public var freeFiles: UInt64
    public var availableFiles: UInt64
    public var fileSystemID: UInt64
    public var flags: UInt64
    public var maxNameLength: UInt64

    public init(blockSize: UInt64 = 0, fragmentSize: UInt64 = 0, blocks: UInt64 = 0, freeBlocks: UInt64 = 0,
                availableBlocks: UInt64 = 0, files: UInt64 = 0, freeFiles: UInt64 = 0, availableFiles: UInt64 = 0,
                fileSystemID: UInt64 = 0, flags: UInt64 = 0, maxNameLength: UInt64 = 0) {
        self.blockSize = blockSize
        self.fragmentSize = fragmentSize
        self.blocks = blocks
        self.freeBlocks = freeBlocks
        self.availableBlocks = availableBlocks
        self.files = files
        self.freeFiles = freeFiles
        self.availableFiles = availableFiles
        self.fileSystemID = fileSystemID
        self.flags = flags
        self.maxNameLength = maxNameLength
    }

    /// Bytes available to an unprivileged user (saturating).
    public var availableBytes: UInt64 {
        let (product, overflow) = availableBlocks.multipliedReportingOverflow(by: fragmentSize)
        return overflow ? .max : product
    }

    func encode(into buffer: inout ByteBuffer) {
        for value in [blockSize, fragmentSize, blocks, freeBlocks, availableBlocks, files, freeFiles,
                      availableFiles, fileSystemID, flags, maxNameLength] {
            buffer.writeInteger(value)
        }
    }

    static func decode(_ reply: ByteBuffer) throws -> SFTPFileSystemStats {
        var buffer = reply
        var values = [UInt64](repeating: 0, count: 11)
        for i in 0..<11 { values[i] = try buffer.sftpReadUInt64("statvfs field \(i)") }
        try buffer.sftpExpectEnd("statvfs reply")
        return SFTPFileSystemStats(blockSize: values[0], fragmentSize: values[1], blocks: values[2],
                                   freeBlocks: values[3], availableBlocks: values[4], files: values[5],
                                   freeFiles: values[6], availableFiles: values[7], fileSystemID: values[8],
                                   flags: values[9], maxNameLength: values[10])
    }
}

/// SFTPUserGroupNames is the reply of users-groups-by-id@openssh.com: one
/// name per id asked for, in order; empty where the server knows no name.
public struct SFTPUserGroupNames: Equatable, Sendable {
    public var userNames: [String]
    public var groupNames: [String]

    public init(userNames: [String], groupNames: [String]) {
        self.userNames = userNames
        self.groupNames = groupNames
    }

    func encode(into buffer: inout ByteBuffer) {
        for list in [userNames, groupNames] {
            var inner = ByteBuffer()
            for name in list { inner.sftpWriteString(name) }
            buffer.sftpWriteString(buffer: inner)
        }
    }

    /// Decodes the reply, requiring exactly one name per id asked for.
    static func decode(_ reply: ByteBuffer, userCount: Int, groupCount: Int) throws -> SFTPUserGroupNames {
        var buffer = reply
        var users = try buffer.sftpReadStringSlice("user names")
        var groups = try buffer.sftpReadStringSlice("group names")
        try buffer.sftpExpectEnd("users-groups-by-id reply")
        func names(_ inner: inout ByteBuffer, count: Int, _ what: String) throws -> [String] {
            var names: [String] = []
            while inner.readableBytes > 0 {
                guard names.count < count else { throw SFTPError.malformed("more \(what) than ids asked for") }
                names.append(try inner.sftpReadText(what))
            }
            guard names.count == count else { throw SFTPError.malformed("fewer \(what) than ids asked for") }
            return names
        }
        return SFTPUserGroupNames(userNames: try names(&users, count: userCount, "user names"),
                                  groupNames: try names(&groups, count: groupCount, "group names"))
    }
}
