/// ShellCommand is one parsed sftp command. Paths are bytes: a pattern
/// (`[UInt8]` in glob form, see `GlobPattern`) where sftp globs, a literal
/// name where it does not.
public enum ShellCommand: Equatable, Sendable {
    /// `get`/`reget` (`resume` for reget or `-a`): remote pattern to an optional local name.
    case get(TransferFlags, source: [UInt8], destination: [UInt8]?)
    /// `put`/`reput`: local pattern to an optional remote name.
    case put(TransferFlags, source: [UInt8], destination: [UInt8]?)
    /// `ls [-1afhlnrSt] [pattern]`.
    case ls(ListFlags, [UInt8]?)
    /// `lls [args]`: the rest of the line, for the local `ls`.
    case lls([UInt8])
    /// `cd [path]` (home when absent).
    case cd([UInt8]?)
    /// `lcd [path]` (home when absent).
    case lcd([UInt8]?)
    /// `pwd`.
    case pwd
    /// `lpwd`.
    case lpwd
    /// `mkdir path`.
    case mkdir([UInt8])
    /// `lmkdir path`.
    case lmkdir([UInt8])
    /// `rmdir path`.
    case rmdir([UInt8])
    /// `rm pattern`.
    case rm([UInt8])
    /// `rename [-l] old new` (`legacy`: plain SSH_FXP_RENAME).
    case rename(old: [UInt8], new: [UInt8], legacy: Bool)
    /// `ln [-s] old new` (hard link unless `-s`) and `symlink old new`.
    case link(old: [UInt8], new: [UInt8], symbolic: Bool)
    /// `chmod [-h] mode pattern`.
    case chmod(UInt32, [UInt8], noFollow: Bool)
    /// `chown [-h] uid pattern`.
    case chown(UInt32, [UInt8], noFollow: Bool)
    /// `chgrp [-h] gid pattern`.
    case chgrp(UInt32, [UInt8], noFollow: Bool)
    /// `df [-hi] [path]`.
    case df(human: Bool, inodes: Bool, [UInt8]?)
    /// `lumask mask`.
    case lumask(UInt32)
    /// `progress`: toggles the progress meter.
    case progress
    /// `version`.
    case version
    /// `help` or `?`.
    case help
    /// `!command` (nil: an interactive shell).
    case shell([UInt8]?)
    /// `exit`, `quit`, `bye`.
    case quit

    /// The flags of get, reget, put and reput.
    public struct TransferFlags: Equatable, Sendable {
        /// `-a` (or reget/reput): resume partial files.
        public var resume = false
        /// `-f`: flush the file to stable storage before its rename (see `Durability`).
        public var fsync = false
        /// `-p`/`-P`: preserve modes and times.
        public var preserve = false
        /// `-r`/`-R`: recursive.
        public var recursive = false
        public init() {}
    }

    /// The flags of ls.
    public struct ListFlags: Equatable, Sendable {
        /// `-l`: the long listing.
        public var long = false
        /// `-1`: one name per line.
        public var onePerLine = false
        /// `-a`: names starting with a dot too.
        public var all = false
        /// `-n`: long listing with numeric ids.
        public var numeric = false
        /// `-h`: long listing with sizes in K, M, G.
        public var human = false
        /// `-r`: reverse the sort.
        public var reverse = false
        /// The order (`-f` none, `-S` size, `-t` time; name otherwise).
        public var sort = Sort.name
        public init() {}

        /// How entries are ordered.
        public enum Sort: Equatable, Sendable {
            /// By name, byte order (the default).
            case name
            /// As the server listed them (`-f`).
            case none
            /// Largest first (`-S`).
            case size
            /// Newest first (`-t`).
            case time
        }
    }

    /// True for the commands the batch runner may run alongside the
    /// commands next to them (transfers).
    public var isTransfer: Bool {
        switch self {
        case .get, .put: true
        default: false
        }
    }
}

/// ShellLine is one line of input: a command and its prefixes.
public struct ShellLine: Equatable, Sendable {
    /// The line was prefixed by `-`: its failure does not end a batch.
    public var ignoreErrors: Bool
    /// The line was prefixed by `@`: it is not echoed in batch mode.
    public var quiet: Bool
    /// The command, or nil for a blank line or a comment.
    public var command: ShellCommand?

    public init(ignoreErrors: Bool = false, quiet: Bool = false, command: ShellCommand?) {
        self.ignoreErrors = ignoreErrors
        self.quiet = quiet
        self.command = command
    }
}

/// ShellParseError is why a line is not a command, worded as sftp words it.
public struct ShellParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    /// The `-` prefix was given: a batch goes on.
    public let ignoreErrors: Bool
    public init(_ message: String, ignoreErrors: Bool = false) {
        self.message = message
        self.ignoreErrors = ignoreErrors
    }
    public var description: String { message }
}
