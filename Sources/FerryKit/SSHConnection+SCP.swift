extension SSHConnection {
    /// Downloads `remote` to `local` over the legacy scp protocol (`scp -f`
    /// on the server, as `scp -O` does), for servers without an SFTP
    /// subsystem. The sink refuses names the request did not ask for and
    /// every malformed record (CVE-2019-6111 and its kin), and lands each
    /// file by temporary name and rename. SCP has no offsets, so
    /// `options.resume` is refused. `remote` reaches the server's shell as
    /// one quoted word; a glob in it is expanded there, as scp's is.
    @discardableResult
    public func scpDownload(_ remote: String, to local: String, recursive: Bool = false,
                            options: TransferOptions = TransferOptions(),
                            onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> TransferReport {
        try Self.refuseResume(options)
        let scp = SCPTransfer(client: client, options: options, onEvent: onEvent)
        let report = await scp.get([Array(remote.utf8)], to: LocalPath(local), recursive: recursive)
        return try SFTPSession.checked(report)
    }

    /// Uploads `local` to `remote` over the legacy scp protocol (`scp -t`).
    /// The server's scp writes in place: an interrupted upload can leave a
    /// short file under its final name, which SFTP uploads never do. A
    /// recursive upload of many files can go over several scp sessions at
    /// once (`SCPTransfer.sessions`; the `ferry` CLI's `--channels`).
    @discardableResult
    public func scpUpload(_ local: String, to remote: String, recursive: Bool = false,
                          options: TransferOptions = TransferOptions(),
                          onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> TransferReport {
        try Self.refuseResume(options)
        let scp = SCPTransfer(client: client, options: options, onEvent: onEvent)
        let report = await scp.put([LocalPath(local)], to: Array(remote.utf8), recursive: recursive)
        return try SFTPSession.checked(report)
    }

    private static func refuseResume(_ options: TransferOptions) throws {
        guard !options.resume else {
            throw SSHError(.invalidConfiguration, "resume needs SFTP: the scp protocol has no offsets")
        }
    }
}
