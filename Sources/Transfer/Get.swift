import SFTP

/// `get`: remote sources to a local destination, trees with `recursive`.
///
/// Names from READDIR are the server's: each is checked with
/// `SFTPName.componentProblem` before it is joined to the local directory,
/// so a hostile listing (`..`, `a/b`, NUL) is refused entry by entry and
/// nothing is written outside the destination. Names are carried as bytes
/// from the listing to the local file system (see `LocalPath`): a name
/// that is not UTF-8 is copied under exactly that name. Symbolic links inside a tree are
/// skipped, as OpenSSH's `sftp -r` does without `-L`: following them could
/// loop or copy far more than the tree. A source named on the command line
/// is followed (stat), as sftp does.
extension FileTransfer {
    public func get(_ sources: [SFTPPath], to destination: String, recursive: Bool = false) async -> TransferReport {
        await get(sources, to: LocalPath(destination), recursive: recursive)
    }

    public func get(_ sources: [SFTPPath], to destination: LocalPath, recursive: Bool = false) async -> TransferReport {
        var report = TransferReport()
        var jobs: [TransferJob] = []
        var directories: [(LocalPath, SFTPAttributes)] = []
        // A rerun (--retries) plans as the first run did, though that run
        // may have made the directory since.
        let found = options.completed?.intoDirectory ?? LocalFileSystem.isDirectory(destination)
        let intoDirectory = options.completed?.pinIntoDirectory(found) ?? found
        if sources.count > 1, !intoDirectory {
            fail(TransferError(.usage, "\(destination): is not a directory (several sources)"), &report)
            return report
        }
        for source in sources {
            let attributes: SFTPAttributes
            do { attributes = try await client.stat(source) } catch {
                fail(TransferError.wrap(error, "\(source)"), &report)
                continue
            }
            var target = destination
            if intoDirectory {
                let name = RemotePath.basename(source.bytes)
                if SFTPName.componentProblem(name) == nil {
                    target = destination.appending(name)
                } else if !attributes.isDirectory {
                    fail(TransferError(.refusedName, "\(source): cannot name a local file after it"), &report)
                    continue
                }
            }
            if attributes.isDirectory {
                guard recursive else {
                    fail(TransferError(.isDirectory, "\(source): is a directory (use -r)"), &report)
                    continue
                }
                await planDownload(source, attributes, to: target, &jobs, &directories, &report)
            } else {
                jobs.append(.download(source, target, attributes))
            }
        }
        await run(jobs, into: &report)
        if options.preserve {
            // Deepest first, after the files: a read-only directory mode
            // would stop its own files being written, and writing a file
            // changes its directory's mtime.
            for (path, attributes) in directories.reversed() {
                do {
                    try LocalFileSystem.setModeAndTimes(
                        path, mode: attributes.permissions,
                        times: attributes.times.map { ($0.accessTime, $0.modificationTime) })
                } catch { fail(TransferError.wrap(error, "\(path)"), &report) }
            }
        }
        return report
    }

    /// Plans the download of the tree at `remote` into `local`: makes the
    /// local directories and lists the remote ones level by level, every
    /// directory of a level at once (up to `planningWidth`), so a tree of
    /// many directories costs a few round trips per level, not per
    /// directory.
    private func planDownload(_ remote: SFTPPath, _ attributes: SFTPAttributes, to local: LocalPath,
                              _ jobs: inout [TransferJob], _ directories: inout [(LocalPath, SFTPAttributes)],
                              _ report: inout TransferReport) async {
        var level: [(remote: SFTPPath, local: LocalPath, attributes: SFTPAttributes)] = [(remote, local, attributes)]
        while !level.isEmpty {
            var listable: [(remote: SFTPPath, local: LocalPath)] = []
            for directory in level {
                do {
                    try LocalFileSystem.makeDirectory(directory.local)
                } catch {
                    fail(TransferError.wrap(error, "\(directory.local)"), &report)
                    continue
                }
                directories.append((directory.local, directory.attributes))
                listable.append((directory.remote, directory.local))
            }
            let listings = await listConcurrently(listable.map(\.remote))
            var next: [(remote: SFTPPath, local: LocalPath, attributes: SFTPAttributes)] = []
            for ((remote, local), listing) in zip(listable, listings) {
                switch listing {
                case .failure(let error):
                    fail(TransferError.wrap(error, "\(remote)"), &report)
                case .success(let entries):
                    for entry in entries {
                        if let child = await plan(entry, in: remote, local, &jobs, &report) { next.append(child) }
                    }
                }
            }
            level = next
        }
    }

    /// Lists `paths`, up to `planningWidth` at once (fewer when the server
    /// allows fewer open handles: each listing holds one); the results in
    /// the order of `paths`.
    private func listConcurrently(_ paths: [SFTPPath]) async -> [Result<[SFTPName], Error>] {
        let client = self.client
        await client.limitsResolved()
        return await concurrentMap(paths, width: min(planningWidth, concurrentFiles)) { path -> Result<[SFTPName], Error> in
            do { return .success(try await client.listDirectory(path)) } catch { return .failure(error) }
        }.map { $0 ?? .failure(TransferError(.remote, "listing did not finish")) }
    }

    /// Sorts one listed entry: a job for a regular file, the next level for
    /// a directory, a line for a refused name or a skipped link.
    private func plan(_ entry: SFTPName, in remote: SFTPPath, _ local: LocalPath, _ jobs: inout [TransferJob],
                      _ report: inout TransferReport) async -> (remote: SFTPPath, local: LocalPath, attributes: SFTPAttributes)? {
        if entry.filename == Array(".".utf8) || entry.filename == Array("..".utf8) { return nil }
        if let problem = entry.componentProblem {
            fail(TransferError(.refusedName, "\(remote): refusing the entry \"\(entry.name)\" the server listed (\(problem))"), &report)
            return nil
        }
        let child = remote.appending(entry.filename)
        let childLocal = local.appending(entry.filename)
        var childAttributes = entry.attributes
        if childAttributes.permissions == nil {
            guard let stated = try? await client.lstat(child) else {
                fail(TransferError(.remote, "\(child): cannot stat"), &report)
                return nil
            }
            childAttributes = stated
        }
        if childAttributes.isDirectory {
            return (child, childLocal, childAttributes)
        } else if childAttributes.isRegularFile {
            jobs.append(.download(child, childLocal, childAttributes))
        } else if childAttributes.isSymbolicLink {
            skip("\(child)", "symbolic link not followed", &report)
        } else {
            skip("\(child)", "not a regular file", &report)
        }
        return nil
    }
}
