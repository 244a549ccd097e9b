/// ShellState is what the commands of one session change and the ones
/// after them see: the remote and local working directories, the umask
/// for local directories, whether the progress meter shows. Only barrier
/// commands (see `BatchRunner`) change it, so the transfers of one group
/// all see the same state.
public struct ShellState: Sendable {
    /// The remote working directory, absolute.
    public var remoteDirectory: [UInt8]
    /// The remote directory `cd` with no argument returns to.
    public var remoteHome: [UInt8]
    /// The local working directory, absolute.
    public var localDirectory: [UInt8]
    /// `lumask`: the mode bits cleared from `lmkdir`'s directories.
    public var localUmask: UInt32 = 0o022
    /// `progress`: whether transfers show a progress meter.
    public var showProgress = true

    public init(remoteDirectory: [UInt8], localDirectory: [UInt8]) {
        self.remoteDirectory = remoteDirectory
        self.remoteHome = remoteDirectory
        self.localDirectory = localDirectory
    }

    /// `path` made absolute against the remote working directory (sftp's
    /// `make_absolute`).
    public func remote(_ path: [UInt8]) -> [UInt8] {
        Self.join(remoteDirectory, path)
    }

    /// `path` made absolute against the local working directory.
    public func local(_ path: [UInt8]) -> [UInt8] {
        Self.join(localDirectory, path)
    }

    static func join(_ directory: [UInt8], _ path: [UInt8]) -> [UInt8] {
        if path.first == UInt8(ascii: "/") { return path }
        if path.isEmpty { return directory }
        if directory.last == UInt8(ascii: "/") { return directory + path }
        return directory + [UInt8(ascii: "/")] + path
    }
}
