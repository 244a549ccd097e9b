import SSHCore

/// Exit statuses, as OpenSSH's tools use them (documented in the README):
///
/// - 0: everything asked was done.
/// - 1: some file failed (the others were copied), or a usage error in a
///   transfer command (scp and sftp exit 1 for both).
/// - 255: the connection, authentication or protocol failed; also a usage
///   error of `ferry exec`, as ssh.
/// - `ferry exec`: the remote command's status.
enum ExitCodes {
    static let usage: Int32 = 1
    static let sshFailure: Int32 = 255

    static func code(for exit: RemoteExit) -> Int32 {
        switch exit {
        case .status(let s): Int32(truncatingIfNeeded: min(s, 255))
        case .signal, .unknown: sshFailure
        }
    }
}
