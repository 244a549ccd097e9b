import SFTP

/// TransferError is the one error type of the Transfer layer: why one file
/// (or the whole request) failed, as a stable code and one human line.
public struct TransferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers for the ways a transfer can fail.
    public enum Code: String, Sendable {
        /// A local system call failed (open, write, rename, mkdir…).
        case local
        /// The SFTP server refused a request or the session failed.
        case remote
        /// The source is a directory and recursion was not asked for.
        case isDirectory
        /// The source is not a regular file (device, socket…).
        case notRegularFile
        /// A name a server listed cannot be a single path component
        /// (`..`, a `/`, NUL, not UTF-8): refused, never joined to a path.
        case refusedName
        /// The request itself cannot be done (several sources, one file destination).
        case usage
        /// No file matched a source (or a remote glob).
        case noMatch
        /// A file is larger than `--max-size` allows (a server can send
        /// data past the size it listed; this is the guard).
        case tooLarge
        /// Two sources landed on one destination file (names that differ
        /// only in case on a case-insensitive file system, or links).
        case collision
        /// The server refused to open (or create) a file with a bare
        /// SSH_FX_FAILURE: what a server out of open handles answers when it
        /// did not announce its limit, so the queue tries the file again
        /// with fewer files in flight (see `FileTransfer.run`).
        case openRefused
        /// Not a failure: with `-a`, the destination already holds the
        /// whole source (same size, last block verified), so nothing was
        /// copied. A transfer reports it as a skipped file.
        case alreadyComplete
    }

    public let code: Code
    public let message: String
    /// The errno of a failed local system call, when that is the cause:
    /// lets callers tell "exists" or "permission denied" from the rest.
    public let systemError: Int32?
    /// The file this failure is about, named as `TransferEvent.finished`
    /// would have named it, when it is one planned file (not a source that
    /// could not be listed): lets `--json` tie the failure to its file.
    public var path: String?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.systemError = errno
    }

    public var description: String { message }

    public static func == (a: TransferError, b: TransferError) -> Bool { a.code == b.code }

    /// `error` as a TransferError about `path`: "path: cause", the cause
    /// said once (a refused request's `SFTPError.cause`, not "stat path:
    /// No such file" after the path again); other errors their description.
    static func wrap(_ error: Error, _ path: String) -> TransferError {
        switch error {
        case let error as TransferError: return error
        case let error as SFTPError: return TransferError(.remote, "\(path): \(error.cause ?? error.message)")
        default: return TransferError(.local, "\(path): \(error)")
        }
    }
}
