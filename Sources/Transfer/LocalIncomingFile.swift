#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// LocalIncomingFile writes one file that arrives as a stream of bytes of
/// a known length (an scp `C` record's data), with the rules a download
/// follows (see `Download.swift`, whose `replace`, `writeInPlace` and
/// `stream` this mirrors step for step):
///
/// - `LocalDestination` decides: a regular file or nothing is written under
///   a partial name claimed with `LocalPartialFile` and renamed over the
///   destination only by `complete`, called once the source's status byte
///   was 0; a device, FIFO or standard output is written front to back;
///   `--inplace` writes into the existing file.
/// - A new file gets the source's permission bits (umask applied), a
///   replaced one keeps its mode, and its owner and group where this user
///   may set them; `-p` gives it the source's mode and times.
/// - A directory where no partial file can be created but whose file is
///   writable is written in place, with a notice.
///
/// SCP has no offsets, so there is no resume: a failure removes the
/// partial file (`abandon`).
final class LocalIncomingFile: @unchecked Sendable {
    private enum Target {
        case partial(LocalPartialFile, final: LocalPath, existing: stat?)
        case inPlace(LocalFile, existing: stat)
        case stream(LocalFile)
    }

    private let target: Target
    private(set) var written: UInt64 = 0

    private init(_ target: Target) { self.target = target }

    /// Opens what writing `path` means now. `mode` is the source's
    /// permission bits.
    static func open(_ path: LocalPath, mode: UInt32, inPlace: Bool,
                     notice: @Sendable (String) -> Void) async throws -> LocalIncomingFile {
        let destination = try LocalDestination.resolve(path, inPlace: inPlace)
        if case .stream(let path) = destination {
            // Opening a FIFO waits for its reader: off the event loop.
            return LocalIncomingFile(.stream(try await DiskIO.run { try LocalFile.open(path, flags: O_WRONLY | O_NOCTTY) }))
        }
        return try open(destination, mode: mode, notice: notice)
    }

    /// `open` for a caller that may block (on a disk thread): a FIFO is
    /// opened here, waiting for its reader.
    static func openBlocking(_ path: LocalPath, mode: UInt32, inPlace: Bool,
                             notice: @Sendable (String) -> Void) throws -> LocalIncomingFile {
        try open(LocalDestination.resolve(path, inPlace: inPlace), mode: mode, notice: notice)
    }

    private static func open(_ destination: LocalDestination, mode: UInt32,
                             notice: @Sendable (String) -> Void) throws -> LocalIncomingFile {
        switch destination {
        case .replace(let path, let existing):
            let newMode = existing.map { $0.st_mode & 0o777 } ?? mode_t(mode & 0o777)
            do {
                let partial = try LocalPartialFile.claim(for: path, mode: newMode | 0o600, resume: false)
                return LocalIncomingFile(.partial(partial, final: path, existing: existing))
            } catch let error as TransferError where error.systemError == EACCES || error.systemError == EPERM {
                guard let existing, path.withCString({ access($0, W_OK) }) == 0 else { throw error }
                notice("cannot create a temporary file beside it; writing in place")
                return LocalIncomingFile(.inPlace(try LocalFile.open(path, flags: O_RDWR | O_NOFOLLOW | O_NONBLOCK), existing: existing))
            }
        case .inPlace(let path, let existing):
            return LocalIncomingFile(.inPlace(try LocalFile.open(path, flags: O_RDWR | O_NOFOLLOW | O_NONBLOCK), existing: existing))
        case .descriptor(let descriptor, let name):
            return LocalIncomingFile(.stream(try LocalFile.duplicate(descriptor, as: name)))
        case .stream(let path):
            return LocalIncomingFile(.stream(try LocalFile.open(path, flags: O_WRONLY | O_NOCTTY)))
        }
    }

    private var file: LocalFile {
        switch target {
        case .partial(let partial, _, _): partial.file
        case .inPlace(let file, _), .stream(let file): file
        }
    }

    /// Appends `data` (off the event loop).
    func write(_ data: ByteBuffer) async throws {
        try await DiskIO.run { try self.writeBlocking(data) }
    }

    /// Appends `data` here, for a caller that may block.
    func writeBlocking(_ data: ByteBuffer) throws {
        if case .stream = target {
            try file.append(data)
        } else {
            try file.write(data, at: written)
        }
        written += UInt64(data.readableBytes)
    }

    /// The file is whole: sets its mode, owner and times as a download
    /// does, and renames it into place. `mode` and `times` are the
    /// source's; `preserve` is `-p`.
    func complete(mode: UInt32, times: (access: UInt32, modification: UInt32)?, preserve: Bool) throws {
        switch target {
        case .partial(let partial, let path, let existing):
            let file = partial.file
            do {
                // No truncate: a claimed partial file starts empty.
                if let existing {
                    let st = try file.status()
                    if st.st_uid != existing.st_uid || st.st_gid != existing.st_gid {
                        file.setOwner(existing.st_uid, group: existing.st_gid)
                    }
                }
                // After chown, which clears set-id bits.
                if preserve {
                    try file.setMode(mode)
                } else if let existing {
                    try file.setMode(UInt32(existing.st_mode) & 0o7777)
                }
                if preserve, let times { try file.setTimes(access: times.access, modification: times.modification) }
                try file.close()
                try LocalFileSystem.rename(partial.path, to: path)
            } catch {
                abandon(after: error)
                throw error
            }
        case .inPlace(let file, _):
            defer { try? file.close() }
            try file.truncate(to: written)
            if preserve { try file.setMode(mode) }
            if preserve, let times { try file.setTimes(access: times.access, modification: times.modification) }
            try file.close()
        case .stream(let file):
            try file.close()
        }
    }

    /// The file will not be completed: a partial file is removed (SCP
    /// cannot resume it), anything else closed as it is.
    func abandon(after error: Error) {
        switch target {
        case .partial(let partial, _, _):
            LocalFileSystem.remove(partial.path)
            try? partial.file.close()
        case .inPlace(let file, _), .stream(let file):
            try? file.close()
        }
    }
}
