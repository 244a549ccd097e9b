import SFTP

/// What `-vv` adds about the SFTP session, as `sftp -vv` shows the
/// server's version and extensions: the protocol version, each extension
/// the server offered, and the limits it announced (which size the
/// requests and cap the files in flight).
enum SFTPSessionLog {
    static func log(_ sftp: SFTPClient, _ flags: ConnectionOptions) async {
        guard flags.verbose >= 2, !flags.quiet else { return }
        flags.log(2, "SFTP version \(sftp.serverVersion)")
        for pair in sftp.extensions {
            flags.log(2, "server extension \(printable(pair.name)) revision \(printable(pair.version))")
        }
        if let limits = await sftp.limitsResolved() {
            flags.log(2, "server limits: packet \(limits.maxPacketLength), read \(limits.maxReadLength), write \(limits.maxWriteLength), open handles \(limits.maxOpenHandles)")
        }
        flags.log(3, "read block \(sftp.readBlockLength) bytes, write block \(sftp.writeBlockLength) bytes")
    }
}
