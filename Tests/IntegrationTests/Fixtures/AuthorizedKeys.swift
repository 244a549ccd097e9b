import Foundation
import Glibc

/// AuthorizedKeys edits the dedicated test account's
/// `~/.ssh/authorized_keys`, which dropbear and tinysshd read and which
/// fixtures in several test processes may edit at once.
///
/// Every line a fixture adds ends with the marker
/// `ferry-fixture:pid=<pid>:dir=<fixture directory>`; `remove` deletes a
/// fixture's lines, and every edit also drops lines whose process or
/// directory is gone (left by a crashed run). Edits hold an exclusive
/// `flock` on `~/.ssh/.ferry-fixture.lock` and replace the file atomically,
/// owned by the account with mode 0600.
enum AuthorizedKeys {
    private static let markerPrefix = "ferry-fixture:"

    /// The marker of a fixture whose files live in `directory`.
    static func marker(for directory: String) -> String {
        "\(markerPrefix)pid=\(getpid()):dir=\(directory)"
    }

    /// Adds `keys` for the fixture in `directory`.
    static func add(_ keys: [SSHPublicKey], for directory: String, account: TestAccount) throws {
        let marker = marker(for: directory)
        try edit(account) { lines in
            lines + keys.map { "\($0.openSSHLine) \(marker)" }
        }
    }

    /// Removes the keys of the fixture in `directory`.
    static func remove(for directory: String, account: TestAccount) throws {
        let marker = marker(for: directory)
        try edit(account) { lines in lines.filter { !$0.hasSuffix(" \(marker)") } }
    }

    private static func edit(_ account: TestAccount, _ change: ([String]) -> [String]) throws {
        let sshDirectory = "\(account.home)/.ssh"
        let path = "\(sshDirectory)/authorized_keys"
        let lockPath = "\(sshDirectory)/.ferry-fixture.lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw FixtureError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw FixtureError("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }

        let current = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let kept = current.split(separator: "\n", omittingEmptySubsequences: true).map(String.init).filter { !isStale($0) }
        let updated = change(kept)
        let text = updated.isEmpty ? "" : updated.joined(separator: "\n") + "\n"

        let temporary = "\(path).ferry-\(getpid())-\(UUID().uuidString)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FixtureError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fchown(fd, account.uid, account.gid)
        fchmod(fd, 0o600)
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw FixtureError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// True for a line added by a fixture whose process or directory is gone.
    private static func isStale(_ line: String) -> Bool {
        guard let range = line.range(of: " \(markerPrefix)pid=") else { return false }
        let rest = line[range.upperBound...]
        guard let colon = rest.firstIndex(of: ":"), let pid = Int32(rest[..<colon]) else { return false }
        let directory = rest[colon...].dropFirst().replacingOccurrences(of: "dir=", with: "", options: .anchored)
        let processGone = kill(pid, 0) != 0 && errno == ESRCH
        return processGone || !FileManager.default.fileExists(atPath: directory)
    }
}
