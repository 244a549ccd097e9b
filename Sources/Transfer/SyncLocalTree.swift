#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// The local side of a sync: paths are the root joined with relative
/// bytes. Listing (readdir and one lstat per name) runs off the event loop:
/// a directory of many thousands of names would stall the connection.
struct LocalSyncTree: SyncTree {
    let root: LocalPath

    func path(_ relative: [UInt8]) -> LocalPath { relative.isEmpty ? root : root.appending(relative) }

    var rootDescription: String { "\(root)" }
    func describe(_ relative: [UInt8]) -> String { "\(path(relative))" }

    func rootKind() async throws -> SyncEntry.Kind? {
        // The root itself is followed (a link to a directory is a fine root).
        guard let st = LocalFileSystem.status(root) else { return nil }
        return SyncEntry(name: [], status: st).kind
    }

    func makeRoot() async throws {
        var missing: [LocalPath] = []
        var path = root
        while LocalFileSystem.lstatus(path) == nil {
            missing.append(path)
            let parent = path.split.directory
            guard parent != path, parent.bytes != Array(".".utf8) || path.bytes.contains(UInt8(ascii: "/")) else { break }
            path = parent
        }
        for directory in missing.reversed() { try LocalFileSystem.makeDirectory(directory) }
    }

    func list(_ relative: [UInt8]) async throws -> SyncListing {
        let directory = path(relative)
        return try await DiskIO.run {
            var listing = SyncListing()
            for name in try LocalFileSystem.list(directory) {
                guard let st = LocalFileSystem.lstatus(directory.appending(name)) else {
                    // Gone since readdir: as if never listed.
                    if errno == ENOENT { continue }
                    throw LocalFile.error("lstat", directory.appending(name))
                }
                listing.entries.append(SyncEntry(name: name, status: st))
            }
            return listing
        }
    }

    func makeDirectory(_ relative: [UInt8]) async throws {
        try LocalFileSystem.makeDirectory(path(relative))
    }

    func removeFile(_ relative: [UInt8]) async throws {
        let target = path(relative)
        guard target.withCString({ unlink($0) }) == 0 || errno == ENOENT else { throw LocalFile.error("unlink", target) }
    }

    func removeDirectory(_ relative: [UInt8]) async throws {
        let target = path(relative)
        guard target.withCString({ rmdir($0) }) == 0 else { throw LocalFile.error("rmdir", target) }
    }

    func setAttributes(_ relative: [UInt8], of entry: SyncEntry, mode: Bool) async throws {
        let target = path(relative)
        var spec = [timespec(tv_sec: Int(entry.accessTime), tv_nsec: 0), timespec(tv_sec: Int(entry.modificationTime), tv_nsec: 0)]
        guard target.withCString({ utimensat(AT_FDCWD, $0, &spec, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw LocalFile.error("utimes", target)
        }
        if mode {
            guard target.withCString({ chmod($0, mode_t(entry.mode & 0o7777)) }) == 0 else { throw LocalFile.error("chmod", target) }
        }
    }

    func readLink(_ relative: [UInt8]) async throws -> [UInt8] {
        guard let target = LocalFileSystem.readLink(path(relative)) else { throw LocalFile.error("readlink", path(relative)) }
        return target
    }

    func makeLink(_ relative: [UInt8], target: [UInt8]) async throws {
        let link = path(relative)
        let result = LocalPath(bytes: target).withCString { targetName in link.withCString { symlink(targetName, $0) } }
        guard result == 0 else { throw LocalFile.error("symlink", link) }
    }
}
