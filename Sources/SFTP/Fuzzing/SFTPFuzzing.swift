import NIOCore

/// SFTPFuzzing gives the libFuzzer targets in `Fuzz/` a narrow way into the
/// reply decoders of OpenSSH's SFTP extensions, which stay internal to SFTP.
/// It is SPI (`@_spi(Fuzzing) import SFTP`), not API.
@_spi(Fuzzing) public enum SFTPFuzzing {
    /// Decodes `reply` (an SSH_FXP_EXTENDED_REPLY body after the request id)
    /// as each extension reply ferry understands; errors are swallowed, a
    /// trap is the bug the fuzzer looks for.
    public static func decodeExtensionReplies(_ reply: ByteBuffer, userCount: Int, groupCount: Int) {
        _ = try? SFTPLimits.decode(reply)
        _ = try? SFTPFileSystemStats.decode(reply)
        _ = try? SFTPUserGroupNames.decode(reply, userCount: userCount, groupCount: groupCount)
    }
}
