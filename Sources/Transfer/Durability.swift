#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// `--fsync` (sftp's `-f`): a file is flushed to stable storage before it
/// takes its final name, so that after a crash or power loss the name
/// holds either the old file or the whole new one — a rename alone orders
/// nothing on many file systems (ext4 without auto_da_alloc, XFS), and the
/// name could point at a file whose data never reached the disk.
///
/// Locally: fsync of the file before its rename, then fsync of its
/// directory, which is what makes the rename itself durable. Remotely:
/// fsync@openssh.com on the open handle before it is closed and renamed;
/// a server without the extension is said so once per file, and the
/// upload goes on (as sftp -f does).
extension FileTransfer {
    /// Flushes a local file about to be renamed into place.
    func syncBeforeRename(_ file: LocalFile) async throws {
        guard options.fsync else { return }
        try await DiskIO.run { try file.sync() }
    }

    /// Flushes the directory a local file was just renamed into.
    func syncDirectory(of path: LocalPath) async throws {
        guard options.fsync else { return }
        let directory = LocalPath(bytes: RemotePath.parent(path.bytes))
        try await DiskIO.run {
            let file = try LocalFile.open(directory, flags: O_RDONLY | O_DIRECTORY)
            defer { try? file.close() }
            try file.sync()
        }
    }

    /// Asks the server to flush an uploaded file before it is closed.
    func syncRemote(_ handle: SFTPHandle, _ path: SFTPPath) async throws {
        guard options.fsync else { return }
        guard client.supports(.fsync) else {
            onEvent(.notice(path: "\(path)", message: "the server does not offer fsync@openssh.com; not flushed"))
            return
        }
        try await client.fsync(handle)
    }
}

extension LocalFile {
    /// fsync(2): the file's data and metadata reach stable storage.
    func sync() throws {
        var result: Int32
        repeat { result = fsync(descriptor) } while result < 0 && errno == EINTR
        guard result == 0 else { throw Self.error("fsync", path) }
    }
}
