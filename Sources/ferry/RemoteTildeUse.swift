import SFTP
import Transfer

/// Puts and remote sources with `~` expanded first (see
/// `FileTransfer.expandTilde`); a path that cannot be expanded is one
/// failed file, reported as the others are.
extension FileTransfer {
    /// `put` to `remote` ("" is the login directory), `~` expanded.
    func putExpandingTilde(_ locals: [LocalPath], to remote: [UInt8], recursive: Bool) async -> TransferReport {
        let target: SFTPPath
        do {
            target = try await expandTilde(SFTPPath(bytes: remote.isEmpty ? Array(".".utf8) : remote))
        } catch {
            let failure = TransferError.wrapping(error)
            onEvent(.failed(failure))
            var report = TransferReport()
            report.failures = [failure]
            return report
        }
        return await put(locals, to: target, recursive: recursive)
    }

    /// The remote paths a source names: `~` expanded, then its glob.
    func expandSource(_ path: SFTPPath) async throws -> [SFTPPath] {
        if path.bytes.isEmpty { return try await expandGlob(".") }
        let expanded = try await expandTilde(path)
        return try await expandGlob(expanded)
    }
}

extension FileTransfer {
    /// `direction` with its remote directory's `~` expanded.
    func expandTilde(in direction: SyncDirection) async throws -> SyncDirection {
        switch direction {
        case .download(let remote, let local):
            let expanded = try await expandTilde(remote)
            return .download(expanded, local)
        case .upload(let local, let remote):
            let expanded = try await expandTilde(remote)
            return .upload(local, expanded)
        }
    }
}
