/// SCPRecord is one record line of the scp protocol, as the source sends it
/// (the newline not included):
///
/// - `C<mode> <size> <name>`: a file of `size` bytes follows, then a status byte.
/// - `D<mode> 0 <name>`: a directory begins (only with `-r`).
/// - `E`: the current directory ends.
/// - `T<mtime> 0 <atime> 0`: times of the next `C` or `D` (only with `-p`).
public enum SCPRecord: Equatable, Sendable {
    /// `C`: a file of `size` bytes named `name`, with permission bits `mode`.
    case file(mode: UInt32, size: UInt64, name: [UInt8])
    /// `D`: a directory named `name`, with permission bits `mode`.
    case directory(mode: UInt32, name: [UInt8])
    /// `E`: end of the current directory.
    case endDirectory
    /// `T`: modification and access times (seconds) of the next `C` or `D`.
    case times(SCPTimes)

    /// The record's line, newline included, as OpenSSH's source writes it.
    public var encoded: [UInt8] {
        switch self {
        case .file(let mode, let size, let name):
            return Array("C\(Self.octal(mode)) \(size) ".utf8) + name + [0x0A]
        case .directory(let mode, let name):
            return Array("D\(Self.octal(mode)) 0 ".utf8) + name + [0x0A]
        case .endDirectory:
            return Array("E\n".utf8)
        case .times(let times):
            return Array("T\(times.modification) 0 \(times.access) 0\n".utf8)
        }
    }

    /// `mode` as four octal digits (`%04o`).
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// SCPTimes are the times a `T` record carries, in seconds since the epoch.
public struct SCPTimes: Equatable, Sendable {
    public var modification: UInt32
    public var access: UInt32

    public init(modification: UInt32, access: UInt32) {
        self.modification = modification
        self.access = access
    }
}
