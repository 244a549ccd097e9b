#if canImport(Glibc)
import Glibc
#endif

/// LocalDirectory answers whether a local path is a directory (following
/// links), for the argument checks of get.
enum LocalDirectory {
    static func exists(_ path: [UInt8]) -> Bool {
        var st = stat()
        return stat(cPath(path), &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }
}

/// LocalEntry answers whether anything (a file, a link) is at a local path.
enum LocalEntry {
    static func exists(_ path: [UInt8]) -> Bool {
        var st = stat()
        return lstat(cPath(path), &st) == 0
    }

    /// Removes the file at `path`; false when it could not.
    static func remove(_ path: [UInt8]) -> Bool { unlink(cPath(path)) == 0 }
}
