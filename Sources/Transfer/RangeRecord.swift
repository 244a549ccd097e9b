#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SFTP

/// RangeRecord is the note kept beside a canonical partial file while
/// several sessions write ranges into it: how many leading bytes of the
/// partial file are complete.
///
/// A partial file written front to back is complete up to its length,
/// which is what `-a` trusts (after comparing its last block). Ranges
/// written at their offsets leave holes that read as zeros, and the
/// length then says nothing: a transfer killed outright (SIGKILL, a lost
/// connection, which also takes every channel that could cut the file)
/// would leave a file whose last block matches and whose middle is empty.
/// So before the first range is written, `.name.ferry-ranges` is created
/// beside the partial file, saying the prefix that is complete; it is
/// rewritten as ranges finish in order, and a resume trusts the smaller of
/// the partial file's length and the recorded prefix, cutting the partial
/// file to it before it goes on. A record can only ever understate the
/// complete prefix (each value written was true when written), so a stale
/// or reordered one costs bytes copied again, never a wrong file.
///
/// The record is created exclusively, like the partial file; a stale one
/// from an earlier run is removed first. When it cannot be created, the
/// file is not split. It is removed when the transfer succeeds.
enum RangeRecord {
    static let suffix = ".ferry-ranges"
    static let magic = "ferry-ranges 1 "

    /// The record's name for a destination's last component.
    static func name(_ destinationName: [UInt8]) -> [UInt8] {
        let limit = 255 - 1 - suffix.utf8.count
        let name = destinationName.count <= limit ? destinationName : Array(destinationName.prefix(max(1, limit)))
        return [UInt8(ascii: ".")] + name + Array(suffix.utf8)
    }

    /// The record's bytes: fixed width, so a rewrite at offset 0 replaces
    /// it whole without a truncation.
    static func encode(_ prefix: UInt64) -> [UInt8] {
        let digits = String(prefix)
        return Array((magic + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "\n").utf8)
    }

    /// The recorded prefix, or nil for anything that is not a record.
    static func decode(_ bytes: [UInt8]) -> UInt64? {
        let magic = Array(Self.magic.utf8)
        guard bytes.count == magic.count + 21, Array(bytes.prefix(magic.count)) == magic, bytes.last == 0x0A else { return nil }
        let digits = bytes[magic.count..<(magic.count + 20)]
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }

    static var length: Int { magic.utf8.count + 21 }
}

/// The record of a local partial file.
final class LocalRangeRecord: Sendable {
    let path: LocalPath
    private let file: LocalFile

    private init(path: LocalPath, file: LocalFile) {
        self.path = path
        self.file = file
    }

    static func path(for destination: LocalPath) -> LocalPath {
        let (directory, name) = destination.split
        return directory.appending(RangeRecord.name(name))
    }

    /// A new record for `destination` saying `prefix`, or nil when none
    /// can be created (then the file is not split).
    static func create(for destination: LocalPath, prefix: UInt64) -> LocalRangeRecord? {
        let path = path(for: destination)
        for attempt in 0..<2 {
            if let file = try? LocalFile.open(path, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600) {
                let record = LocalRangeRecord(path: path, file: file)
                guard (try? record.write(prefix)) != nil else {
                    record.remove()
                    return nil
                }
                return record
            }
            // A stale record (or something planted at its name): unlinked,
            // never followed or written through.
            if attempt == 0 { LocalFileSystem.remove(path) }
        }
        return nil
    }

    /// The prefix a record beside `destination` vouches for: nil when there
    /// is none, 0 when something is there that is not a record.
    static func recorded(for destination: LocalPath) -> UInt64? {
        let path = path(for: destination)
        guard LocalFileSystem.lstatus(path) != nil else { return nil }
        guard let file = try? LocalFile.open(path, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return 0 }
        defer { try? file.close() }
        guard let st = try? file.status(), st.st_mode & S_IFMT == S_IFREG,
              let bytes = try? file.readFully(at: 0, length: RangeRecord.length + 1) else { return 0 }
        return RangeRecord.decode(bytes) ?? 0
    }

    func write(_ prefix: UInt64) throws {
        var buffer = ByteBuffer()
        buffer.writeBytes(RangeRecord.encode(prefix))
        try file.write(buffer, at: 0)
    }

    func remove() {
        LocalFileSystem.remove(path)
        try? file.close()
    }

    /// Kept for a later `-a`: only closed.
    func close() { try? file.close() }
}

/// The record of a remote partial file.
struct RemoteRangeRecord: Sendable {
    let path: SFTPPath
    let handle: SFTPHandle
    let client: SFTPClient

    static func path(for destination: SFTPPath) -> SFTPPath {
        RemotePartialFile.sibling(of: destination, named: RangeRecord.name(RemotePath.basename(destination.bytes)))
    }

    /// A new record for `destination` saying `prefix`, or nil when none
    /// can be created (then the file is not split).
    static func create(_ client: SFTPClient, for destination: SFTPPath, prefix: UInt64) async -> RemoteRangeRecord? {
        let path = path(for: destination)
        for attempt in 0..<2 {
            if let handle = try? await client.open(path, flags: [.write, .create, .exclusive], attributes: SFTPAttributes(permissions: 0o600)) {
                let record = RemoteRangeRecord(path: path, handle: handle, client: client)
                guard (try? await record.write(prefix)) != nil else {
                    await record.remove()
                    return nil
                }
                return record
            }
            if attempt == 0 { try? await client.remove(path) }
        }
        return nil
    }

    /// The prefix a record beside `destination` vouches for: nil when there
    /// is none, 0 when something is there that is not a record.
    static func recorded(_ client: SFTPClient, for destination: SFTPPath) async -> UInt64? {
        let path = path(for: destination)
        guard let seen = try? await client.lstat(path) else { return nil }
        guard seen.isRegularFile, let handle = try? await client.open(path, flags: .read) else { return 0 }
        defer { client.closeInBackground(handle) }
        guard let data = try? await client.read(handle, offset: 0, length: UInt32(RangeRecord.length + 1)) else { return 0 }
        return RangeRecord.decode(Array(data.readableBytesView)) ?? 0
    }

    func write(_ prefix: UInt64) async throws {
        var buffer = ByteBuffer()
        buffer.writeBytes(RangeRecord.encode(prefix))
        try await client.write(handle, offset: 0, data: buffer)
    }

    func remove() async {
        try? await client.close(handle)
        try? await client.remove(path)
    }
}
