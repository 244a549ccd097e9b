#if canImport(Glibc)
import Glibc
#endif

/// LocalDestination is how a download writes its destination, decided by
/// what is there now.
///
/// - Nothing, or a regular file: the file is written under a partial name
///   and renamed over the destination when complete, so the name only
///   ever holds a complete file. A replaced file keeps its mode, and its
///   owner and group where this user may set them.
/// - A symbolic link is written through: the file it points to is
///   replaced (or created), the link stays.
/// - Anything that is not a regular file (a device, a FIFO, a terminal,
///   `/dev/stdout`, `-` for standard output) is a stream: written front to
///   back in place, never replaced, truncated or chmod-ed. `/dev/stdout`
///   on Linux is a link to `/proc/self/fd/1`, which names whatever standard
///   output is (maybe a regular file): it is recognised by name and written
///   through the descriptor itself, never replaced.
/// - `--inplace`, or a directory where no partial file can be created:
///   written into the existing file (its inode and hard links kept).
enum LocalDestination {
    /// Written under a partial name and renamed over `path`; `existing`
    /// is the regular file it replaces.
    case replace(LocalPath, existing: stat?)
    /// Written into the existing regular file at `path`.
    case inPlace(LocalPath, existing: stat)
    /// Written front to back to a descriptor of ours.
    case descriptor(Int32, LocalPath)
    /// Written front to back to the non-regular file at `path`.
    case stream(LocalPath)

    static let maxLinkHops = 40

    /// What writing to `destination` means now. `inPlace` asks for
    /// `--inplace` on an existing regular file.
    static func resolve(_ destination: LocalPath, inPlace: Bool) throws -> LocalDestination {
        if destination.bytes == Array("-".utf8) { return .descriptor(STDOUT_FILENO, "standard output") }
        var path = destination
        for _ in 0..<maxLinkHops {
            if let descriptor = ownDescriptor(path) { return .descriptor(descriptor, destination) }
            guard let st = LocalFileSystem.lstatus(path) else { return .replace(path, existing: nil) }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                // Magic links under /proc name open files, not paths.
                if path.bytes.starts(with: Array("/proc/".utf8)) { return .stream(path) }
                guard let target = LocalFileSystem.readLink(path) else { throw LocalFile.error("readlink", path) }
                path = target.first == UInt8(ascii: "/") ? LocalPath(bytes: target)
                    : LocalPath(bytes: path.split.directory.bytes + [UInt8(ascii: "/")] + target)
            case S_IFREG:
                return inPlace ? .inPlace(path, existing: st) : .replace(path, existing: st)
            case S_IFDIR:
                throw TransferError(.isDirectory, "\(destination): is a directory")
            default:
                return .stream(path)
            }
        }
        throw LocalFile.error("open", destination, ELOOP)
    }

    /// The descriptor `path` names when it is one of this process's own:
    /// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`.
    static func ownDescriptor(_ path: LocalPath) -> Int32? {
        guard let text = String(validating: path.bytes, as: UTF8.self) else { return nil }
        switch text {
        case "/dev/stdout": return STDOUT_FILENO
        case "/dev/stderr": return STDERR_FILENO
        default: break
        }
        for prefix in ["/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"] where text.hasPrefix(prefix) {
            let number = text.dropFirst(prefix.count)
            guard !number.isEmpty, number.allSatisfy(\.isASCII), let value = Int32(number), value >= 0 else { return nil }
            return value
        }
        return nil
    }
}
