#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// `put`: local sources to a remote destination, trees with `recursive`.
/// Symbolic links inside a tree are skipped, as OpenSSH's `sftp -r` does
/// without `-L`; a source named on the command line is followed.
extension FileTransfer {
    public func put(_ sources: [String], to destination: SFTPPath, recursive: Bool = false) async -> TransferReport {
        await put(sources.map { LocalPath($0) }, to: destination, recursive: recursive)
    }

    public func put(_ sources: [LocalPath], to destination: SFTPPath, recursive: Bool = false) async -> TransferReport {
        var report = TransferReport()
        var jobs: [TransferJob] = []
        var directories: [(SFTPPath, stat)] = []
        // A rerun (--retries) plans as the first run did (see CompletedFiles).
        // Pinned only when the server answered: a stat lost with the
        // connection says nothing.
        let intoDirectory: Bool
        if let pinned = options.completed?.intoDirectory {
            intoDirectory = pinned
        } else {
            do {
                let isDirectory = try await client.stat(destination).isDirectory
                intoDirectory = options.completed?.pinIntoDirectory(isDirectory) ?? isDirectory
            } catch let error as SFTPError where error.status != nil {
                intoDirectory = options.completed?.pinIntoDirectory(false) ?? false
            } catch {
                intoDirectory = false
            }
        }
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
            let name = source.lastComponent
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
            // After the files (writing a file changes its directory's
            // mtime), many at once: setting one directory's mode or times
            // does not touch another's.
            let client = self.client
            let settings = directories.map { path, st in
                (path, SFTPAttributes(permissions: UInt32(st.st_mode) & 0o7777,
                                      times: SFTPAttributes.Times(accessTime: UInt32(truncatingIfNeeded: st.st_atim.tv_sec),
                                                                  modificationTime: UInt32(truncatingIfNeeded: st.st_mtim.tv_sec))))
            }
            let failures = await concurrentMap(settings, width: planningWidth) { path, attributes -> TransferError? in
                do { try await client.setstat(path, attributes) } catch { return TransferError.wrap(error, "\(path)") }
                return nil
            }.compactMap { $0 ?? nil }
            for failure in failures { fail(failure, &report) }
        }
        return report
    }

    /// Plans the upload of the local tree at `local` to `remote`: walks it
    /// level by level and creates each level's remote directories together,
    /// so a tree of many directories costs a round trip per level, not per
    /// directory. A directory that cannot be made is reported and its
    /// contents left out.
    private func planUpload(_ local: LocalPath, _ st: stat, to remote: SFTPPath,
                            _ jobs: inout [TransferJob], _ directories: inout [(SFTPPath, stat)],
                            _ report: inout TransferReport) async {
        var level: [(local: LocalPath, remote: SFTPPath, st: stat)] = [(local, remote, st)]
        while !level.isEmpty {
            let made = await makeDirectories(level.map { ($0.remote, $0.st) })
            var next: [(local: LocalPath, remote: SFTPPath, st: stat)] = []
            for (directory, failure) in zip(level, made) {
                if let failure {
                    fail(failure, &report)
                    continue
                }
                directories.append((directory.remote, directory.st))
                let names: [[UInt8]]
                do { names = try LocalFileSystem.list(directory.local) } catch {
                    fail(TransferError.wrap(error, "\(directory.local)"), &report)
                    continue
                }
                for name in names {
                    let child = directory.local.appending(name)
                    let childRemote = directory.remote.appending(name)
                    guard let childStatus = LocalFileSystem.lstatus(child) else {
                        fail(LocalFile.error("lstat", child), &report)
                        continue
                    }
                    switch childStatus.st_mode & S_IFMT {
                    case S_IFDIR: next.append((child, childRemote, childStatus))
                    case S_IFREG: jobs.append(.upload(child, childRemote))
                    case S_IFLNK: skip("\(child)", "symbolic link not followed", &report)
                    default: skip("\(child)", "not a regular file", &report)
                    }
                }
            }
            level = next
        }
    }

    /// Makes remote directories, up to `planningWidth` at once; an existing
    /// directory is fine. Returns each one's failure, in order.
    private func makeDirectories(_ paths: [(SFTPPath, stat)]) async -> [TransferError?] {
        let client = self.client
        // Owner-writable until the files are in; -p sets the real mode after.
        let requests = paths.map { remote, st in (remote, SFTPAttributes(permissions: (UInt32(st.st_mode) & 0o777) | 0o700)) }
        return await concurrentMap(requests, width: planningWidth) { remote, attributes -> TransferError? in
            do {
                try await client.mkdir(remote, attributes: attributes)
            } catch {
                guard (try? await client.stat(remote))?.isDirectory == true else { return TransferError.wrap(error, "\(remote)") }
            }
            return nil
        }.map { $0 ?? nil }
    }
}
