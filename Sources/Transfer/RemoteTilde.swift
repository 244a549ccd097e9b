import SFTP

/// Remote `~` and `~user`, as scp expands them: SFTP has no notion of a
/// home directory in paths (`stat ~/x` asks for a directory named `~`), so
/// the leading component is expanded here before the path is used.
///
/// Only that component is sent to the server — `~` or `~user`, which name
/// a directory that exists — and the rest is appended as given, so a glob
/// (`~/*.log`) or a file that does not exist yet (a put's destination)
/// keeps working. The server is asked with expand-path@openssh.com (OpenSSH
/// 8.7 and later), else home-directory; without either, `~` is the login
/// directory (where relative SFTP paths start, the home directory on every
/// common server) — also when the server refuses the request — and `~user`
/// is an error that says so.
extension FileTransfer {
    public func expandTilde(_ path: SFTPPath) async throws -> SFTPPath {
        guard let (head, rest) = RemoteTilde.split(path.bytes) else { return path }
        let user = Array(head.dropFirst())
        let home: [UInt8]
        do {
            if client.supports(.expandPath) {
                home = try await client.expandPath(SFTPPath(bytes: head)).bytes
            } else if client.supports(.homeDirectory) {
                home = try await client.homeDirectory(of: String(decoding: user, as: UTF8.self)).bytes
            } else if user.isEmpty {
                // Relative to the login directory: "~" is ".", "~/x" is "x".
                return SFTPPath(bytes: rest.isEmpty ? Array(".".utf8) : rest)
            } else {
                throw TransferError(.remote, "\(path): the server cannot expand ~\(String(decoding: user, as: UTF8.self)) (it offers neither expand-path@openssh.com nor home-directory)")
            }
        } catch let error as SFTPError where user.isEmpty && error.status != nil {
            // Offered but refused (sftp-server -P, a jailed server): the
            // login directory, as without the extensions.
            return SFTPPath(bytes: rest.isEmpty ? Array(".".utf8) : rest)
        } catch let error as SFTPError {
            throw TransferError.wrap(error, "\(path)")
        }
        return SFTPPath(bytes: RemoteTilde.join(home, rest))
    }
}

/// The byte-level rules of `expandTilde`.
enum RemoteTilde {
    /// `~` or `~user` and what follows its `/` (nil when `path` does not
    /// start with `~`).
    static func split(_ path: [UInt8]) -> (head: [UInt8], rest: [UInt8])? {
        guard path.first == UInt8(ascii: "~") else { return nil }
        guard let slash = path.firstIndex(of: UInt8(ascii: "/")) else { return (path, []) }
        return (Array(path[..<slash]), Array(path[(slash + 1)...]))
    }

    /// `home/rest`, with one slash between them (none after a bare home).
    static func join(_ home: [UInt8], _ rest: [UInt8]) -> [UInt8] {
        guard !rest.isEmpty else { return home }
        guard !home.isEmpty else { return rest }
        return home.last == UInt8(ascii: "/") ? home + rest : home + [UInt8(ascii: "/")] + rest
    }
}
