#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// `put`: local sources to a remote destination, trees with `recursive`.
/// Symbolic links inside a tree are skipped, as OpenSSH's `sftp -r` does
/// without `-L`; a source named on the command line is followed.
extension FileTransfer {
    public func put(_ sources: [String], to destination: SFTPPath, recursive: Bool = false) async -> TransferReport {
        var report = TransferReport()
        var jobs: [TransferJob] = []
        var directories: [(SFTPPath, stat)] = []
        let intoDirectory = (try? await client.stat(destination))?.isDirectory ?? false
        if sources.count > 1, !intoDirectory {
            fail(TransferError(.usage, "\(destination): is not a directory (several sources)"), &report)
            return report
        }
        for source in sources {
            guard let st = LocalFileSystem.status(source) else {
                fail(LocalFile.error("stat", source), &report)
                continue
            }
            var target = destination
            let name = Array(LocalPath.basename(source).utf8)
            if intoDirectory, SFTPName.componentProblem(name) == nil { target = destination.appending(name) }
            if st.st_mode & S_IFMT == S_IFDIR {
                guard recursive else {
                    fail(TransferError(.isDirectory, "\(source): is a directory (use -r)"), &report)
                    continue
                }
                await planUpload(source, st, to: target, &jobs, &directories, &report)
            } else {
                jobs.append(.upload(source, target))
            }
        }
        await run(jobs, into: &report)
        if options.preserve {
            for (path, st) in directories.reversed() {
                let times = SFTPAttributes.Times(accessTime: UInt32(truncatingIfNeeded: st.st_atim.tv_sec),
                                                 modificationTime: UInt32(truncatingIfNeeded: st.st_mtim.tv_sec))
                do {
                    try await client.setstat(path, SFTPAttributes(permissions: UInt32(st.st_mode) & 0o7777, times: times))
                } catch { fail(TransferError.wrap(error, "\(path)"), &report) }
            }
        }
        return report
    }

    private func planUpload(_ local: String, _ st: stat, to remote: SFTPPath,
                            _ jobs: inout [TransferJob], _ directories: inout [(SFTPPath, stat)],
                            _ report: inout TransferReport) async {
        do {
            try await client.mkdir(remote, attributes: SFTPAttributes(permissions: (UInt32(st.st_mode) & 0o777) | 0o700))
        } catch {
            guard (try? await client.stat(remote))?.isDirectory == true else {
                fail(TransferError.wrap(error, "\(remote)"), &report)
                return
            }
        }
        directories.append((remote, st))
        let names: [String]
        do { names = try LocalFileSystem.list(local) } catch {
            fail(TransferError.wrap(error, local), &report)
            return
        }
        for name in names {
            let child = LocalPath.join(local, name)
            let childRemote = remote.appending(Array(name.utf8))
            guard let childStatus = LocalFileSystem.lstatus(child) else {
                fail(LocalFile.error("lstat", child), &report)
                continue
            }
            switch childStatus.st_mode & S_IFMT {
            case S_IFDIR: await planUpload(child, childStatus, to: childRemote, &jobs, &directories, &report)
            case S_IFREG: jobs.append(.upload(child, childRemote))
            case S_IFLNK: skip(child, "symbolic link not followed", &report)
            default: skip(child, "not a regular file", &report)
            }
        }
    }
}
