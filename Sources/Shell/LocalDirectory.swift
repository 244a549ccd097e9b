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
