#if canImport(Glibc)
import Glibc
#endif

/// LocalPartialFile is the file a download is written to before it is
/// renamed into place, claimed so that nothing planted at its name is
/// ever followed or reused.
///
/// Another user who can write to the destination directory can plant a
/// symbolic link (or a hard link to a file of ours, or a FIFO) at the
/// predictable canonical name. So the canonical name is claimed only by
/// `O_CREAT|O_EXCL|O_NOFOLLOW`, which creates a new file or fails; an
/// existing file there is taken over only when the descriptor opened on it
/// (with `O_NOFOLLOW`) shows a regular file owned by this user, with one
/// link, the very inode `lstat` saw, and not locked by another transfer
/// writing it right now (each transfer holds `flock` on its partial file
/// until it closes it). Anything else leaves the name alone: the file is
/// written under a fresh random name, created exclusively the same way.
struct LocalPartialFile {
    let file: LocalFile
    let path: LocalPath
    /// True for the canonical name, which a later `-a` finds: kept when a
    /// failed transfer leaves bytes in it. A random name is removed.
    let resumable: Bool
    /// Bytes already in the file that `-a` may keep after verifying them
    /// (0 for a new file, and whenever `resume` is false).
    let existingLength: UInt64

    /// Claims a partial file for `destination`, created with `mode` (the
    /// umask applies). With `resume`, an acceptable existing canonical
    /// partial file keeps its bytes; without, it is emptied.
    static func claim(for destination: LocalPath, mode: mode_t, resume: Bool) throws -> LocalPartialFile {
        let (directory, name) = destination.split
        let canonical = directory.appending(PartialName.canonical(name))
        if let file = try create(canonical, mode: mode, for: destination) {
            return LocalPartialFile(file: file, path: canonical, resumable: true, existingLength: 0)
        }
        if let file = adopt(canonical) {
            var length: UInt64 = 0
            if resume {
                length = UInt64(max(0, (try file.status()).st_size))
            } else {
                try file.truncate(to: 0)
            }
            return LocalPartialFile(file: file, path: canonical, resumable: true, existingLength: length)
        }
        for _ in 0..<16 {
            let random = directory.appending(PartialName.random(name))
            if let file = try create(random, mode: mode, for: destination) {
                return LocalPartialFile(file: file, path: random, resumable: false, existingLength: 0)
            }
        }
        throw TransferError(.local, "\(destination): could not create a temporary file beside it")
    }

    /// A new file at `path`, or nil when something already holds the name.
    private static func create(_ path: LocalPath, mode: mode_t, for destination: LocalPath) throws -> LocalFile? {
        do {
            let file = try LocalFile.open(path, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
            // Nobody else can have it open yet; the lock tells a concurrent
            // transfer that this partial file is live.
            _ = file.tryLock()
            return file
        } catch let error as TransferError where error.systemError == EEXIST {
            return nil
        } catch let error as TransferError {
            // Name the file the user asked for, not the hidden one.
            let code = error.systemError ?? EIO
            throw TransferError(.local, "\(destination): cannot create a file in its directory: \(String(cString: strerror(code)))",
                                errno: code)
        }
    }

    /// The existing file at `path` when it is provably a partial file of
    /// ours that no one is writing, opened and locked; else nil.
    static func adopt(_ path: LocalPath) -> LocalFile? {
        guard let seen = LocalFileSystem.lstatus(path), seen.st_mode & S_IFMT == S_IFREG,
              let file = try? LocalFile.open(path, flags: O_RDWR | O_NOFOLLOW | O_NONBLOCK),
              let st = try? file.status(),
              st.st_mode & S_IFMT == S_IFREG, st.st_uid == geteuid(), st.st_nlink == 1,
              st.st_dev == seen.st_dev, st.st_ino == seen.st_ino,
              file.tryLock()
        else { return nil }
        return file
    }

    /// After a failure: keeps a canonical partial file that holds bytes
    /// (for `-a`), removes anything else, and everything after `error`
    /// when resuming would only repeat it (a file over `--max-size`).
    /// Returns the bytes kept, nil when the file was removed.
    @discardableResult
    func abandon(after error: Error) -> UInt64? {
        let worthResuming = (error as? TransferError)?.code != .tooLarge
        let length = (try? file.status().st_size).map { UInt64(max(0, $0)) } ?? 0
        let kept = worthResuming && resumable && length > 0
        if !kept { LocalFileSystem.remove(path) }
        try? file.close()
        return kept ? length : nil
    }
}
