import SFTP

/// SFTP v3 has no "no space" status: OpenSSH's server answers a WRITE that
/// hit ENOSPC with a bare SSH_FX_FAILURE, which it words "Failure". Where
/// the server offers fstatvfs@openssh.com, a failed write on a file system
/// with less room left than one block is reported as what it is, so the
/// user reads "No space left on device" as after a local write.
extension FileTransfer {
    /// `error`, or a clearer one when it is a bare FAILURE from a server
    /// whose file system under `handle` is full.
    func explainingFullDisk(_ error: Error, _ handle: SFTPHandle, _ path: SFTPPath) async -> Error {
        guard let failure = error as? SFTPError, failure.code == .failure, failure.status != nil,
              client.supports(.fstatvfs), let stats = try? await client.fstatvfs(handle) else { return error }
        return explained(error, stats, path)
    }

    /// As above, for a file whose handle is closed: the file system of
    /// `file` (its partial file, which is still there) is asked instead.
    func explainingFullDisk(_ error: Error, at file: SFTPPath, _ path: SFTPPath) async -> Error {
        guard let failure = error as? SFTPError, failure.code == .failure, failure.status != nil,
              client.supports(.statvfs), let stats = try? await client.statvfs(file) else { return error }
        return explained(error, stats, path)
    }

    private func explained(_ error: Error, _ stats: SFTPFileSystemStats, _ path: SFTPPath) -> Error {
        let (free, overflow) = stats.availableBlocks.multipliedReportingOverflow(by: stats.fragmentSize)
        let block = UInt64(max(options.blockLength ?? 0, client.writeBlockLength))
        guard !overflow, free < block else { return error }
        return TransferError(.remote, "\(path): No space left on device (the server's file system has \(free) bytes free)")
    }
}
