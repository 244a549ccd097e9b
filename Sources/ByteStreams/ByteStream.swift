import NIOCore

/// ByteStream is the bidirectional byte stream SFTP and SCP run over: an
/// SSH channel opened for the `sftp` subsystem or for `scp -f`/`scp -t`,
/// or pipes to a local `sftp-server` or `scp` (how the tests run them).
///
/// It lives in a module of its own, below both protocols, so that neither
/// imports SSHCore: the shape is exactly that of SSHCore's
/// `SSHChannelStream`, which the Transfer module adapts to it.
///
/// Invariants the client relies on: `read` is called by one task at a time
/// and returns bytes in order; `write` is called by one task at a time and
/// sends its bytes before later writes; bytes may arrive in chunks of any
/// size (packets are reassembled by `SFTPFrameDecoder`).
public protocol ByteStream: Sendable {
    /// The next bytes the peer sent, or nil once it will send no more.
    func read() async throws -> ByteBuffer?
    /// Sends `data`; may wait while the peer is not keeping up.
    func write(_ data: ByteBuffer) async throws
    /// Tells the peer we will write no more (an sftp-server then exits).
    func closeWrite() async throws
}
