import SFTP

/// `get`: remote sources to a local destination, trees with `recursive`.
///
/// Names from READDIR are the server's: each is checked with
/// `SFTPName.componentProblem` (and must be UTF-8, to become a local path
/// without change) before it is joined to the local directory, so a
/// hostile listing (`..`, `a/b`, NUL) is refused entry by entry and nothing
/// is written outside the destination. Symbolic links inside a tree are
/// skipped, as OpenSSH's `sftp -r` does without `-L`: following them could
/// loop or copy far more than the tree. A source named on the command line
/// is followed (stat), as sftp does.
extension FileTransfer {
    public func get(_ sources: [SFTPPath], to destination: String, recursive: Bool = false) async -> TransferReport {
        var report = TransferReport()
        var jobs: [TransferJob] = []
        var directories: [(String, SFTPAttributes)] = []
        let intoDirectory = LocalFileSystem.isDirectory(destination)
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
                if SFTPName.componentProblem(name) == nil, let text = String(validating: name, as: UTF8.self) {
                    target = LocalPath.join(destination, text)
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
                } catch { fail(TransferError.wrap(error, path), &report) }
            }
        }
        return report
    }

    private func planDownload(_ remote: SFTPPath, _ attributes: SFTPAttributes, to local: String,
                              _ jobs: inout [TransferJob], _ directories: inout [(String, SFTPAttributes)],
                              _ report: inout TransferReport) async {
        do {
            try LocalFileSystem.makeDirectory(local)
        } catch {
            fail(TransferError.wrap(error, local), &report)
            return
        }
        directories.append((local, attributes))
        let entries: [SFTPName]
        do { entries = try await client.listDirectory(remote) } catch {
            fail(TransferError.wrap(error, "\(remote)"), &report)
            return
        }
        for entry in entries {
            if entry.filename == Array(".".utf8) || entry.filename == Array("..".utf8) { continue }
            if let problem = entry.componentProblem {
                fail(TransferError(.refusedName, "\(remote): refusing the entry \"\(entry.name)\" the server listed (\(problem))"), &report)
                continue
            }
            guard let name = String(validating: entry.filename, as: UTF8.self) else {
                fail(TransferError(.refusedName, "\(remote): refusing the entry \"\(entry.name)\": its name is not UTF-8"), &report)
                continue
            }
            let child = remote.appending(entry.filename)
            let childLocal = LocalPath.join(local, name)
            var childAttributes = entry.attributes
            if childAttributes.permissions == nil {
                guard let stated = try? await client.lstat(child) else {
                    fail(TransferError(.remote, "\(child): cannot stat"), &report)
                    continue
                }
                childAttributes = stated
            }
            if childAttributes.isDirectory {
                await planDownload(child, childAttributes, to: childLocal, &jobs, &directories, &report)
            } else if childAttributes.isRegularFile {
                jobs.append(.download(child, childLocal, childAttributes))
            } else if childAttributes.isSymbolicLink {
                skip("\(child)", "symbolic link not followed", &report)
            } else {
                skip("\(child)", "not a regular file", &report)
            }
        }
    }
}
