#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// KeyFilePermissions is OpenSSH's rule for private key files
/// (sshkey_perm_ok in authfile.c): a key file owned by the user running the
/// client (real uid) that its group or others may read, write or execute
/// (`mode & 077 != 0`) is refused, with ssh's warning, and the key is not
/// used; other identities are still tried. A file owned by someone else
/// (a key root shares with the user) is not judged: its owner chose.
/// OpenSSH skips the check only on Cygwin without NTFS security, a
/// platform ferry does not run on. The check is made on the opened
/// descriptor's fstat, so the file judged is the file read.
public enum KeyFilePermissions {
    /// ssh's warning for a key file with `mode` owned by `owner` when `user`
    /// runs the client, or nil when the file may be used.
    public static func refusal(path: String, mode: mode_t, owner: uid_t, user: uid_t = getuid()) -> String? {
        guard owner == user, mode & 0o077 != 0 else { return nil }
        var permissions = String(mode & 0o777, radix: 8)
        while permissions.count < 3 { permissions = "0" + permissions }
        return """
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
            @         WARNING: UNPROTECTED PRIVATE KEY FILE!          @
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
            Permissions 0\(permissions) for '\(path)' are too open.
            It is required that your private key files are NOT accessible by others.
            This private key will be ignored.
            Load key "\(path)": bad permissions
            """
    }
}
