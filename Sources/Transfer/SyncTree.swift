import SFTP

/// SyncTree is one side of a sync, local or remote, seen through the few
/// operations the planner needs. Every path is relative to the tree's root
/// and built from listed names that passed `SFTPName.componentProblem`, so
/// no operation can reach outside the root; none follows a symbolic link.
protocol SyncTree: Sendable {
    /// The root as shown to people.
    var rootDescription: String { get }
    /// The root's kind, or nil when it does not exist.
    func rootKind() async throws -> SyncEntry.Kind?
    /// Makes the root and any missing parents.
    func makeRoot() async throws
    /// The entries of a directory (lstat-like), `.` and `..` left out. Names
    /// that cannot be one path component come back as `refused`, never as
    /// entries.
    func list(_ relative: [UInt8]) async throws -> SyncListing
    func makeDirectory(_ relative: [UInt8]) async throws
    /// Removes a file or a symbolic link (the link, not its target). One
    /// already gone is fine: a rerun's resume may have renamed a partial
    /// file listed as an extra.
    func removeFile(_ relative: [UInt8]) async throws
    /// Removes an empty directory.
    func removeDirectory(_ relative: [UInt8]) async throws
    /// Sets the modification and access times, and the mode when given.
    func setAttributes(_ relative: [UInt8], of entry: SyncEntry, mode: Bool) async throws
    /// The target of a symbolic link, as bytes.
    func readLink(_ relative: [UInt8]) async throws -> [UInt8]
    /// Creates a symbolic link at `relative` holding `target`.
    func makeLink(_ relative: [UInt8], target: [UInt8]) async throws
    /// A relative path as shown in messages (the root joined in).
    func describe(_ relative: [UInt8]) -> String
}

/// One directory's listing.
struct SyncListing: Sendable {
    var entries: [SyncEntry] = []
    /// One failure per name refused (hostile or unusable).
    var refused: [TransferError] = []
}

/// The remote side: paths are the root joined with relative bytes.
/// Listings come from `prelisting` (the whole tree at once, `find` over
/// exec) when it can answer, else over SFTP.
struct RemoteSyncTree: SyncTree {
    let client: SFTPClient
    let root: SFTPPath
    var prelisting: SyncPrelisting? = nil

    func path(_ relative: [UInt8]) -> SFTPPath { relative.isEmpty ? root : root.appending(relative) }

    var rootDescription: String { "\(root)" }
    func describe(_ relative: [UInt8]) -> String { "\(path(relative))" }

    func rootKind() async throws -> SyncEntry.Kind? {
        let attributes: SFTPAttributes
        do { attributes = try await client.stat(root) } catch let error as SFTPError where error.code == .noSuchFile {
            return nil
        }
        prelisting?.rootStated(attributes)
        return SyncEntry(name: [], attributes: attributes)?.kind ?? .other
    }

    func makeRoot() async throws {
        // Called when `rootKind` found no root: the MKDIR goes first, as
        // the parent usually exists (one round trip instead of a STAT of
        // the root and its parent, then the MKDIR); only when it fails are
        // the missing parents looked for.
        do {
            try await client.mkdir(root)
            return
        } catch {
            if (try? await client.stat(root))?.isDirectory == true { return }
        }
        var missing: [SFTPPath] = []
        var path = root
        while (try? await client.stat(path)) == nil {
            missing.append(path)
            let parent = RemotePath.parent(path.bytes)
            guard parent != path.bytes, parent != Array(".".utf8) || path.bytes.contains(UInt8(ascii: "/")) else { break }
            path = SFTPPath(bytes: parent)
        }
        for directory in missing.reversed() {
            do { try await client.mkdir(directory) } catch {
                guard (try? await client.stat(directory))?.isDirectory == true else { throw TransferError.wrap(error, "\(directory)") }
            }
        }
    }

    func list(_ relative: [UInt8]) async throws -> SyncListing {
        guard let prelisting else { return try await listOverSFTP(relative) }
        let tree = self
        return try await prelisting.list(relative) { try await tree.listOverSFTP(relative) }
    }

    /// One directory listed over SFTP (OPENDIR, READDIR…, CLOSE).
    func listOverSFTP(_ relative: [UInt8]) async throws -> SyncListing {
        let directory = path(relative)
        let names = try await client.listDirectory(directory)
        var listing = SyncListing()
        listing.entries.reserveCapacity(names.count)
        for name in names {
            if name.filename == Array(".".utf8) || name.filename == Array("..".utf8) { continue }
            if let problem = name.componentProblem {
                listing.refused.append(TransferError(.refusedName, "\(directory): refusing the entry \"\(name.name)\" the server listed (\(problem))"))
                continue
            }
            if let entry = SyncEntry(name: name.filename, attributes: name.attributes) {
                listing.entries.append(entry)
            } else {
                // A server that lists no mode: ask for it.
                let stated = try await client.lstat(directory.appending(name.filename))
                listing.entries.append(SyncEntry(name: name.filename, attributes: stated)
                    ?? SyncEntry(name: name.filename, kind: .other, size: 0, modificationTime: 0, accessTime: 0, mode: 0))
            }
        }
        listing.entries.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return listing
    }

    func makeDirectory(_ relative: [UInt8]) async throws {
        do { try await client.mkdir(path(relative)) } catch { throw TransferError.wrap(error, describe(relative)) }
    }

    func removeFile(_ relative: [UInt8]) async throws {
        do { try await client.remove(path(relative)) } catch let error as SFTPError where error.code == .noSuchFile {
            return
        } catch { throw TransferError.wrap(error, describe(relative)) }
    }

    func removeDirectory(_ relative: [UInt8]) async throws {
        do { try await client.rmdir(path(relative)) } catch { throw TransferError.wrap(error, describe(relative)) }
    }

    func setAttributes(_ relative: [UInt8], of entry: SyncEntry, mode: Bool) async throws {
        let times = SFTPAttributes.Times(accessTime: UInt32(truncatingIfNeeded: entry.accessTime),
                                         modificationTime: UInt32(truncatingIfNeeded: entry.modificationTime))
        do { try await client.setstat(path(relative), SFTPAttributes(permissions: mode ? entry.mode : nil, times: times)) }
        catch { throw TransferError.wrap(error, describe(relative)) }
    }

    func readLink(_ relative: [UInt8]) async throws -> [UInt8] {
        do { return try await client.readlink(path(relative)).bytes } catch { throw TransferError.wrap(error, describe(relative)) }
    }

    func makeLink(_ relative: [UInt8], target: [UInt8]) async throws {
        do { try await client.symlink(at: path(relative), pointingTo: SFTPPath(bytes: target)) }
        catch { throw TransferError.wrap(error, describe(relative)) }
    }
}
