import SFTP

/// RemoteDestination is how an upload writes its remote destination,
/// decided by what LSTAT finds there: the mirror of `LocalDestination`.
///
/// - Nothing, or a regular file: written under a partial name and renamed
///   over it; a replaced file keeps its mode, and its owner and group
///   where the server lets this user set them.
/// - A symbolic link is written through (the file it points to is
///   replaced or created; the link stays).
/// - Not a regular file (a device, a FIFO): written in place, never
///   replaced or truncated.
/// - `--inplace`, or a directory that holds no partial file: written into
///   the existing file (inode and hard links kept).
enum RemoteDestination {
    case replace(SFTPPath, existing: SFTPAttributes?)
    case inPlace(SFTPPath, existing: SFTPAttributes)
    case stream(SFTPPath)

    /// Classifies `path` from its LSTAT result (`seen`; nil when it does
    /// not exist), following symbolic links with READLINK.
    static func resolve(_ client: SFTPClient, _ path: SFTPPath, seen: SFTPAttributes?, inPlace: Bool) async throws -> RemoteDestination {
        var path = path
        var seen = seen
        for _ in 0..<LocalDestination.maxLinkHops {
            guard let attributes = seen else { return .replace(path, existing: nil) }
            if attributes.isRegularFile {
                return inPlace ? .inPlace(path, existing: attributes) : .replace(path, existing: attributes)
            }
            if attributes.isDirectory { throw TransferError(.isDirectory, "\(path): is a directory") }
            guard attributes.isSymbolicLink else { return .stream(path) }
            let target: SFTPPath
            do { target = try await client.readlink(path) } catch { throw TransferError.wrap(error, "\(path)") }
            path = target.bytes.first == UInt8(ascii: "/") ? target
                : SFTPPath(bytes: RemotePath.parent(path.bytes)).appending(target.bytes)
            seen = try await lstatIfExists(client, path)
        }
        throw TransferError(.remote, "\(path): too many levels of symbolic links")
    }

    /// LSTAT of `path`, nil when there is no such file.
    static func lstatIfExists(_ client: SFTPClient, _ path: SFTPPath) async throws -> SFTPAttributes? {
        do { return try await client.lstat(path) } catch let error as SFTPError where error.code == .noSuchFile {
            return nil
        } catch { throw TransferError.wrap(error, "\(path)") }
    }
}
