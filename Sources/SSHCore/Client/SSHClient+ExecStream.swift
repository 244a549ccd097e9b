import NIOCore

extension SSHClient {
    /// Runs `command` on a session channel and returns the channel as a
    /// stream: its stdin is what is written, its stdout what is read; its
    /// stderr goes to `stderr` (on the event loop). This is how `scp -f`
    /// and `scp -t` run under ferry's SCP, which speaks the protocol over
    /// the stream as SFTP speaks over a subsystem's.
    ///
    /// `receiveWindow` is granted when the channel opens, as `openSubsystem`
    /// does: a large one lets a download run at full speed over a long
    /// link, which OpenSSH's client (2 MiB) does not. The stream ends when
    /// the command's output does; its exit status is not reported (scp's
    /// protocol says in-band whether each file arrived).
    public func openExec(_ command: String, receiveWindow: UInt32? = nil, timeout: Duration = .seconds(30),
                         stderr: @escaping @Sendable (ByteBuffer) -> Void = { _ in }) async throws -> SSHChannelStream {
        try await openStream(request: .exec(command: command), timeout: timeout, what: "exec", stderr: stderr) {
            try $0.openSession(receiveWindow: receiveWindow)
        }
    }
}
