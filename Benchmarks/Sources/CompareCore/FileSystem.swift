import Foundation

/// Creates `path` and its missing parents (mkdir -p).
public func makeDirectories(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw HarnessError("cannot create directory \(path): \(error)")
    }
}

/// Removes a file or a whole tree; a missing path is not an error.
public func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    try? FileManager.default.removeItem(atPath: path)
}

/// Writes `text` to `path` (created or replaced).
public func writeText(_ text: String, to path: String) throws {
    do {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    } catch {
        throw HarnessError("cannot write \(path): \(error)")
    }
}
