/// SCPProtocol holds the constants of the rcp/scp protocol as OpenSSH's
/// `scp -O` speaks it: a source (`scp -f`) sends records (`C`, `D`, `E`,
/// `T`) and file data; a sink (`scp -t`) answers each with one status byte.
///
/// There is no specification beyond OpenSSH's `scp.c`; the limits here are
/// ours, chosen so that a peer can make us buffer or nest only so much.
public enum SCPProtocol {
    /// The status byte of success: a record or a file was accepted.
    public static let ok: UInt8 = 0
    /// A warning: a message line follows; the transfer goes on.
    public static let warning: UInt8 = 1
    /// A fatal error: a message line follows; the peer stops.
    public static let fatal: UInt8 = 2

    /// Longest record or message line accepted, newline included (OpenSSH's
    /// sink reads records into a 2048-byte buffer).
    public static let maxLineLength = 2048
    /// Deepest nesting of `D` records accepted.
    public static let maxDepth = 64
    /// Longest name accepted for one path component (NAME_MAX).
    public static let maxNameLength = 255
    /// Most status bytes a sink sends before they are due
    /// (`SCPSink.Request.answersAhead`): each is one byte in the source's
    /// input pipe, far below any pipe's capacity.
    public static let maxAnswersAhead = 1024
    /// Largest file size accepted (off_t's range).
    public static let maxFileSize = UInt64(Int64.max)
}
