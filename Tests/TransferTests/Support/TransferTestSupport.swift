import Foundation
import Glibc
@testable import Transfer

/// Events a transfer reported, collected from any task.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [TransferEvent] = []

    func record(_ event: TransferEvent) { lock.withLock { events.append(event) } }

    var notices: [String] {
        lock.withLock {
            events.compactMap { if case .notice(let path, let message) = $0 { "\(path): \(message)" } else { nil } }
        }
    }
}

/// File-system helpers for the tests that plant things where ferry writes.
enum Disk {
    static func lstatus(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    static func type(_ path: String) -> mode_t? { lstatus(path).map { $0.st_mode & S_IFMT } }

    static func symlink(_ path: String, to target: String) throws {
        guard Glibc.symlink(target, path) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    static func names(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    static func mkdir(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to the byte path `path`.
    static func write(_ path: [UInt8], _ contents: [UInt8]) throws {
        let fd = (path.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer {
            open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        _ = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    /// The contents of the byte path `path`, or nil.
    static func read(_ path: [UInt8]) -> [UInt8]? {
        let fd = (path.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { open($0.baseAddress!, O_RDONLY) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return out
    }
}

/// Runs a blocking `body` (a read that waits for a writer) on a thread of
/// its own: on the test's small cooperative pool it could starve the
/// very transfer it waits for.
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
