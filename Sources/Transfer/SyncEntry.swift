#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// SyncEntry is one name of a listed directory, on either side of a sync,
/// reduced to what the comparison looks at: kind, size, modification time
/// and mode. Both listings are lstat-like: a symbolic link is a link, never
/// what it points at, so nothing outside the tree is ever looked at.
struct SyncEntry: Sendable {
    /// What an entry is.
    enum Kind: Sendable, Equatable {
        /// A regular file.
        case file
        /// A directory.
        case directory
        /// A symbolic link (not followed).
        case symbolicLink
        /// A device, FIFO or socket: never copied.
        case other
    }

    /// The name within its directory, as bytes.
    let name: [UInt8]
    let kind: Kind
    let size: UInt64
    /// Seconds since the epoch.
    let modificationTime: Int64
    let accessTime: Int64
    /// Permission bits (0o7777).
    let mode: UInt32

    init(name: [UInt8], kind: Kind, size: UInt64, modificationTime: Int64, accessTime: Int64, mode: UInt32) {
        self.name = name
        self.kind = kind
        self.size = size
        self.modificationTime = modificationTime
        self.accessTime = accessTime
        self.mode = mode
    }

    /// From a local lstat.
    init(name: [UInt8], status st: stat) {
        let kind: Kind = switch st.st_mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symbolicLink
        default: .other
        }
        self.init(name: name, kind: kind, size: UInt64(max(0, st.st_size)),
                  modificationTime: Int64(st.st_mtim.tv_sec), accessTime: Int64(st.st_atim.tv_sec),
                  mode: UInt32(st.st_mode) & 0o7777)
    }

    /// From attributes a server listed (lstat semantics); nil when they do
    /// not say what the entry is.
    init?(name: [UInt8], attributes: SFTPAttributes) {
        guard let permissions = attributes.permissions else { return nil }
        let kind: Kind = attributes.isRegularFile ? .file : attributes.isDirectory ? .directory
            : attributes.isSymbolicLink ? .symbolicLink : .other
        self.init(name: name, kind: kind, size: attributes.size ?? 0,
                  modificationTime: Int64(attributes.times?.modificationTime ?? 0),
                  accessTime: Int64(attributes.times?.accessTime ?? 0), mode: permissions & 0o7777)
    }

    /// The attributes a download job is given: the listed ones (they spare
    /// an FSTAT per file).
    var attributes: SFTPAttributes {
        SFTPAttributes(size: size, permissions: mode | 0o100000,
                       times: SFTPAttributes.Times(accessTime: UInt32(truncatingIfNeeded: accessTime),
                                                   modificationTime: UInt32(truncatingIfNeeded: modificationTime)))
    }
}

/// SyncRelativePath joins and shows paths relative to a sync's root:
/// components as bytes, joined by `/`, the root being empty.
enum SyncRelativePath {
    static func join(_ directory: [UInt8], _ name: [UInt8]) -> [UInt8] {
        directory.isEmpty ? name : directory + [UInt8(ascii: "/")] + name
    }
}
