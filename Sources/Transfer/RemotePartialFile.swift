import SFTP

/// RemotePartialFile is the remote file an upload is written to before it
/// is renamed into place: the mirror of `LocalPartialFile` with the means
/// SFTP v3 has.
///
/// The canonical name is claimed with SSH_FXF_CREAT|SSH_FXF_EXCL, which
/// OpenSSH's server maps to `O_CREAT|O_EXCL`: it fails when anything,
/// a symbolic link included, holds the name, so a planted link is never
/// followed. When the name is taken, a fresh random name is claimed the
/// same way, and its FSTAT tells which user we are on the server. The
/// existing canonical file is taken over only when LSTAT shows a regular
/// file of that user; for `-a` the handle opened on it must then show the
/// same size, owner, mode and time (SFTP v3 has no inode numbers and no
/// O_NOFOLLOW: this is the closest check it allows). Without `-a`, a stale
/// partial file of ours is removed and the name claimed anew.
struct RemotePartialFile {
    let handle: SFTPHandle
    let path: SFTPPath
    /// True for the canonical name, kept for `-a` when a failed upload
    /// leaves bytes in it; a random name is removed.
    let resumable: Bool
    /// Bytes already in the file that `-a` may keep after verifying them.
    let existingLength: UInt64

    static func canonicalPath(for destination: SFTPPath) -> SFTPPath {
        sibling(of: destination, named: PartialName.canonical(RemotePath.basename(destination.bytes)))
    }

    /// Claims a partial file for `destination`, created with `permissions`.
    /// The first attempt may already be under way (`first`, the result of
    /// an exclusive open of the canonical name sent together with other
    /// requests); nil sends it now.
    static func claim(_ client: SFTPClient, for destination: SFTPPath, permissions: UInt32, resume: Bool,
                      first: Result<SFTPHandle, Error>? = nil) async throws -> RemotePartialFile {
        let canonical = canonicalPath(for: destination)
        let attributes = SFTPAttributes(permissions: permissions)
        let attempt: Result<SFTPHandle, Error>
        if let first { attempt = first } else {
            do { attempt = .success(try await client.open(canonical, flags: [.write, .create, .exclusive], attributes: attributes)) } catch {
                attempt = .failure(error)
            }
        }
        switch attempt {
        case .success(let handle):
            return RemotePartialFile(handle: handle, path: canonical, resumable: true, existingLength: 0)
        case .failure(let error):
            // Permission denied and a missing directory are final; the
            // caller may write in place instead. Anything else is taken to
            // mean the name exists (OpenSSH reports EEXIST as a bare FAILURE).
            if let error = error as? SFTPError, error.code == .permissionDenied || error.code == .noSuchFile { throw error }
        }
        let fresh = try await claimRandom(client, for: destination, permissions: permissions)
        guard let ours = try? await client.fstat(fresh.handle).owner?.uid,
              let seen = try? await client.lstat(canonical), seen.isRegularFile, seen.owner?.uid == ours
        else { return fresh }
        if resume, let adopted = try? await adopt(client, canonical, seen: seen) {
            await fresh.discard(client)
            return adopted
        }
        if !resume, (try? await client.remove(canonical)) != nil,
           let handle = try? await client.open(canonical, flags: [.write, .create, .exclusive], attributes: attributes) {
            await fresh.discard(client)
            return RemotePartialFile(handle: handle, path: canonical, resumable: true, existingLength: 0)
        }
        return fresh
    }

    /// A partial file under a fresh random name, which nobody can have
    /// planted anything at.
    static func claimRandom(_ client: SFTPClient, for destination: SFTPPath, permissions: UInt32) async throws -> RemotePartialFile {
        let name = RemotePath.basename(destination.bytes)
        var lastError: Error?
        for _ in 0..<16 {
            let random = sibling(of: destination, named: PartialName.random(name))
            do {
                let handle = try await client.open(random, flags: [.write, .create, .exclusive],
                                                   attributes: SFTPAttributes(permissions: permissions))
                return RemotePartialFile(handle: handle, path: random, resumable: false, existingLength: 0)
            } catch {
                lastError = error
            }
        }
        // Sixteen random names cannot all exist: a bare FAILURE for each
        // is a server refusing to open more files.
        if let error = lastError as? SFTPError, error.code == .failure {
            throw TransferError(.openRefused, "\(destination): could not create a temporary file beside it: \(error.message)")
        }
        throw TransferError(.remote, "\(destination): could not create a temporary file beside it")
    }

    /// The canonical partial file `seen` describes, opened for reading
    /// (to verify) and writing, when the handle shows the same file.
    private static func adopt(_ client: SFTPClient, _ path: SFTPPath, seen: SFTPAttributes) async throws -> RemotePartialFile? {
        let handle = try await client.open(path, flags: [.read, .write])
        let opened = try? await client.fstat(handle)
        guard let opened, opened.isRegularFile, opened.size == seen.size, opened.owner == seen.owner,
              opened.permissions == seen.permissions, opened.times?.modificationTime == seen.times?.modificationTime,
              let size = opened.size
        else {
            try? await client.close(handle)
            return nil
        }
        return RemotePartialFile(handle: handle, path: path, resumable: true, existingLength: size)
    }

    static func sibling(of destination: SFTPPath, named name: [UInt8]) -> SFTPPath {
        let bytes = destination.bytes
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return SFTPPath(bytes: name) }
        return SFTPPath(bytes: Array(bytes[...slash]) + name)
    }

    /// Closes and removes a partial file that will not be used.
    func discard(_ client: SFTPClient) async {
        try? await client.close(handle)
        try? await client.remove(path)
    }

    /// After a failure (the handle already closed or given up): keeps a
    /// canonical partial file that holds bytes, for `-a`; removes
    /// anything else.
    /// Returns the bytes kept, nil when the file was removed.
    @discardableResult
    func abandon(_ client: SFTPClient) async -> UInt64? {
        if resumable, let size = try? await client.lstat(path).size, size > 0 { return size }
        try? await client.remove(path)
        return nil
    }
}
