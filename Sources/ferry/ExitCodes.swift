import SSHCore

/// Exit statuses, as ssh uses them: the remote command's status, or 255 when
/// ferry itself (connection, authentication, protocol) failed.
enum ExitCodes {
    static let sshFailure: Int32 = 255

    static func code(for exit: RemoteExit) -> Int32 {
        switch exit {
        case .status(let s): Int32(truncatingIfNeeded: min(s, 255))
        case .signal, .unknown: sshFailure
        }
    }
}
