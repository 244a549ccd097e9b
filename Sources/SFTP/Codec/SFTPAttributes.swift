import NIOCore

/// SFTPAttributes is the ATTRS structure of draft-ietf-secsh-filexfer-02
/// §5: every field optional, present when its flag bit is set.
public struct SFTPAttributes: Equatable, Sendable {
    /// SSH_FILEXFER_ATTR_* flag bits.
    public enum Flag {
        /// SSH_FILEXFER_ATTR_SIZE.
        public static let size: UInt32 = 0x0000_0001
        /// SSH_FILEXFER_ATTR_UIDGID.
        public static let uidgid: UInt32 = 0x0000_0002
        /// SSH_FILEXFER_ATTR_PERMISSIONS.
        public static let permissions: UInt32 = 0x0000_0004
        /// SSH_FILEXFER_ATTR_ACMODTIME.
        public static let acmodtime: UInt32 = 0x0000_0008
        /// SSH_FILEXFER_ATTR_EXTENDED.
        public static let extended: UInt32 = 0x8000_0000
        /// Every bit v3 defines; any other bit has a layout we cannot know.
        static let known: UInt32 = size | uidgid | permissions | acmodtime | extended
    }

    /// Owner and group: v3 sends both or neither.
    public struct Owner: Equatable, Sendable {
        public var uid: UInt32
        public var gid: UInt32
        public init(uid: UInt32, gid: UInt32) { self.uid = uid; self.gid = gid }
    }

    /// Access and modification time in seconds since the epoch: both or neither.
    public struct Times: Equatable, Sendable {
        public var accessTime: UInt32
        public var modificationTime: UInt32
        public init(accessTime: UInt32, modificationTime: UInt32) {
            self.accessTime = accessTime
            self.modificationTime = modificationTime
        }
    }

    /// One vendor-specific attribute (extended_type, extended_data).
    public struct Extended: Equatable, Sendable {
        public var type: [UInt8]
        public var data: [UInt8]
        public init(type: [UInt8], data: [UInt8]) { self.type = type; self.data = data }
    }

    /// At most this many extended attributes are accepted from a peer.
    public static let maxExtendedCount = 1024

    public var size: UInt64?
    public var owner: Owner?
    /// The POSIX mode bits, file type included (S_IFMT).
    public var permissions: UInt32?
    public var times: Times?
    public var extended: [Extended]

    public init(size: UInt64? = nil, owner: Owner? = nil, permissions: UInt32? = nil,
                times: Times? = nil, extended: [Extended] = []) {
        self.size = size
        self.owner = owner
        self.permissions = permissions
        self.times = times
        self.extended = extended
    }

    /// No attributes (flags 0): what OPEN and MKDIR send to take the server's defaults.
    public static let none = SFTPAttributes()

    /// The flags word these attributes encode with.
    public var flags: UInt32 {
        var flags: UInt32 = 0
        if size != nil { flags |= Flag.size }
        if owner != nil { flags |= Flag.uidgid }
        if permissions != nil { flags |= Flag.permissions }
        if times != nil { flags |= Flag.acmodtime }
        if !extended.isEmpty { flags |= Flag.extended }
        return flags
    }

    /// S_IFMT of `permissions`, when present.
    public var fileType: UInt32? { permissions.map { $0 & 0o170000 } }
    public var isDirectory: Bool { fileType == 0o040000 }
    public var isRegularFile: Bool { fileType == 0o100000 }
    public var isSymbolicLink: Bool { fileType == 0o120000 }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(flags)
        if let size { buffer.writeInteger(size) }
        if let owner {
            buffer.writeInteger(owner.uid)
            buffer.writeInteger(owner.gid)
        }
        if let permissions { buffer.writeInteger(permissions) }
        if let times {
            buffer.writeInteger(times.accessTime)
            buffer.writeInteger(times.modificationTime)
        }
        if !extended.isEmpty {
            buffer.writeInteger(UInt32(truncatingIfNeeded: extended.count))
            for pair in extended {
                buffer.sftpWriteString(pair.type)
                buffer.sftpWriteString(pair.data)
            }
        }
    }

    static func decode(from buffer: inout ByteBuffer) throws -> SFTPAttributes {
        let flags = try buffer.sftpReadUInt32("attribute flags")
        guard flags & ~Flag.known == 0 else {
            throw SFTPError.malformed("attributes carry unknown flag bits 0x\(String(flags & ~Flag.known, radix: 16))")
        }
        var attributes = SFTPAttributes()
        if flags & Flag.size != 0 { attributes.size = try buffer.sftpReadUInt64("size") }
        if flags & Flag.uidgid != 0 {
            attributes.owner = Owner(uid: try buffer.sftpReadUInt32("uid"), gid: try buffer.sftpReadUInt32("gid"))
        }
        if flags & Flag.permissions != 0 { attributes.permissions = try buffer.sftpReadUInt32("permissions") }
        if flags & Flag.acmodtime != 0 {
            attributes.times = Times(accessTime: try buffer.sftpReadUInt32("atime"),
                                     modificationTime: try buffer.sftpReadUInt32("mtime"))
        }
        if flags & Flag.extended != 0 {
            let count = try buffer.sftpReadUInt32("extended count")
            // Each pair takes at least two empty strings (8 bytes): a count the
            // packet cannot hold is refused before anything is reserved.
            guard count <= maxExtendedCount, Int(count) <= buffer.readableBytes / 8 else {
                throw SFTPError.malformed("attributes declare \(count) extended pairs")
            }
            for _ in 0..<count {
                let type = try buffer.sftpReadBytes("extended type")
                let data = try buffer.sftpReadBytes("extended data")
                attributes.extended.append(Extended(type: type, data: data))
            }
        }
        return attributes
    }
}
