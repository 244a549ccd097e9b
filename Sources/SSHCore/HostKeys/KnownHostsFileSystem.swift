#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// KnownHostsFileSystem is the little file I/O known_hosts needs, in POSIX
/// calls so that "missing" can be told from "unreadable" and an append is a
/// single O_APPEND write (another ssh appending at the same moment cannot
/// interleave inside our line).
enum KnownHostsFileSystem {
    /// Files larger than this are refused rather than read into memory.
    static let maxFileSize = 64 << 20

    /// The bytes of `path`, or nil if it does not exist.
    static func read(path: String) throws -> [UInt8]? {
        // O_NONBLOCK: a FIFO named as known_hosts must not hang the open.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw SSHError(.io, "cannot read known hosts file \(path): \(describe(code))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SSHError(.io, "cannot read known hosts file \(path): \(describe(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFCHR else {
            throw SSHError(.io, "known hosts file \(path) is not a regular file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SSHError(.io, "cannot read known hosts file \(path): \(describe(errno))")
            }
            if count == 0 { break }
            guard bytes.count + count <= maxFileSize else {
                throw SSHError(.io, "known hosts file \(path) is larger than \(maxFileSize >> 20) MiB; refusing to read it")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Appends `text` to `path`, creating the file with mode 0600 if needed.
    /// If the file does not end with a newline one is written first, so the
    /// new line is not glued to the last one.
    static func append(_ text: String, to path: String) throws {
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SSHError(.io, "cannot open \(path) to add the host key: \(describe(errno))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SSHError(.io, "cannot add the host key to \(path): \(describe(errno))")
        }
        var bytes = Array(text.utf8)
        if info.st_size > 0 {
            var last: UInt8 = 0
            let got = pread(fd, &last, 1, info.st_size - 1)
            if got == 1, last != UInt8(ascii: "\n") { bytes.insert(UInt8(ascii: "\n"), at: 0) }
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SSHError(.io, "cannot add the host key to \(path): \(describe(errno))")
            }
            offset += written
        }
    }

    /// Creates `directory` with mode 0700 if it does not exist (ssh does this
    /// for ~/.ssh only). The mode is set explicitly: umask may not allow 0700.
    static func createPrivateDirectoryIfMissing(_ directory: String) throws {
        var info = stat()
        if stat(directory, &info) == 0 { return }
        guard errno == ENOENT else {
            throw SSHError(.io, "cannot use directory \(directory): \(describe(errno))")
        }
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw SSHError(.io, "cannot create directory \(directory): \(describe(errno))")
        }
        _ = chmod(directory, 0o700)
    }

    /// Whether `path` exists (any kind of file).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The current user's home directory: $HOME, else the password
    /// database entry, else "/".
    static func currentHomeDirectory() -> String {
        if let home = getenv("HOME"), home.pointee != 0 { return String(cString: home) }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status = getpwuid_r(getuid(), &entry, &buffer, buffer.count, &result)
        if status == 0, result != nil, let directory = entry.pw_dir { return String(cString: directory) }
        return "/"
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// `read` under a name that does not clash with the static `read(path:)`.
@inline(__always)
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Darwin)
    return Darwin.read(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.read(fd, buffer, count)
    #else
    return Glibc.read(fd, buffer, count)
    #endif
}
