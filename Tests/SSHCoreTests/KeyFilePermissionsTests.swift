import Foundation
import Glibc
@_spi(Internals) import SSHCore
import Testing

/// KeyFilePermissions: ssh's sshkey_perm_ok rule (refuse a key file the user
/// owns when group or others have any bit, ignore files owned by others),
/// and IdentityFiles skipping such a file with ssh's warning while the
/// other keys still load.
@Suite struct KeyFilePermissionsTests {
    static let me: uid_t = 1000
    static let someoneElse: uid_t = 1001

    @Test("mode & 077 == 0 is accepted; any group or other bit is refused", arguments: [
        (mode_t(0o600), true), (0o400, true), (0o700, true), (0o500, true), (0o4600, true),
        (0o644, false), (0o640, false), (0o604, false), (0o660, false), (0o610, false),
        (0o601, false), (0o602, false), (0o777, false), (0o004, false),
    ])
    func rule(mode: mode_t, accepted: Bool) {
        let refusal = KeyFilePermissions.refusal(path: "/k", mode: S_IFREG | mode, owner: Self.me, user: Self.me)
        #expect((refusal == nil) == accepted, "mode \(String(mode, radix: 8))")
    }

    @Test("a file owned by someone else is not judged, whatever its mode")
    func othersFilesAreNotJudged() {
        for mode: mode_t in [0o644, 0o666, 0o777] {
            #expect(KeyFilePermissions.refusal(path: "/k", mode: S_IFREG | mode, owner: Self.someoneElse, user: Self.me) == nil)
        }
        // Root is no exception: root's own 0644 key is refused as anyone's.
        #expect(KeyFilePermissions.refusal(path: "/k", mode: S_IFREG | 0o644, owner: 0, user: 0) != nil)
    }

    @Test("the warning is ssh's, with the permissions as %3.3o and the path as given")
    func warningText() throws {
        let text = try #require(KeyFilePermissions.refusal(path: "/home/u/.ssh/id_ed25519", mode: S_IFREG | 0o644,
                                                           owner: Self.me, user: Self.me))
        #expect(text == """
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
            @         WARNING: UNPROTECTED PRIVATE KEY FILE!          @
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
            Permissions 0644 for '/home/u/.ssh/id_ed25519' are too open.
            It is required that your private key files are NOT accessible by others.
            This private key will be ignored.
            Load key "/home/u/.ssh/id_ed25519": bad permissions
            """)
        let small = try #require(KeyFilePermissions.refusal(path: "k", mode: 0o004, owner: Self.me, user: Self.me))
        #expect(small.contains("Permissions 0004 for 'k' are too open."), "\(small)")
    }

    @Test("IdentityFiles skips a 0644 key with the warning and loads the 0600 one beside it")
    func identityFilesSkipOpenKeys() async throws {
        try requireSSHKeygen()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["open", "closed"] {
            let result = try runTool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir.path + "/" + name])
            #expect(result.status == 0, "ssh-keygen: \(result.errorText)")
        }
        let open = dir.path + "/open", closed = dir.path + "/closed"
        #expect(chmod(open, 0o644) == 0)

        let (identities, skipped) = await IdentityFiles.load(explicit: [open, closed], passphrase: nil)
        #expect(identities.map(\.path) == [closed])
        #expect(skipped.count == 1)
        let entry = try #require(skipped.first)
        #expect(entry.path == open && entry.refusedForPermissions)
        #expect(entry.reason.contains("WARNING: UNPROTECTED PRIVATE KEY FILE!"), "\(entry.reason)")
        #expect(entry.reason.contains("Permissions 0644 for '\(open)' are too open."), "\(entry.reason)")

        // The synchronous loader applies the same rule.
        let sync = IdentityFiles.load(explicit: [open, closed])
        #expect(sync.keys.count == 1 && sync.skipped.map(\.refusedForPermissions) == [true])

        // Other failures are not permission refusals.
        let missing = await IdentityFiles.load(explicit: [dir.path + "/missing"], passphrase: nil)
        #expect(missing.skipped.map(\.refusedForPermissions) == [false])

        // chmod 600 and the same file is used.
        #expect(chmod(open, 0o600) == 0)
        let fixed = await IdentityFiles.load(explicit: [open], passphrase: nil)
        #expect(fixed.identities.map(\.path) == [open] && fixed.skipped.isEmpty)
    }

    @Test("as root: a 0644 key owned by another account is used, as ssh uses it")
    func keyOwnedByAnotherAccount() async throws {
        guard getuid() == 0 else { return }  // only root can give a file away
        try requireSSHKeygen()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.path + "/shared"
        let result = try runTool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path])
        #expect(result.status == 0, "ssh-keygen: \(result.errorText)")
        #expect(chmod(path, 0o644) == 0 && chown(path, 65534, 65534) == 0)
        let (identities, skipped) = await IdentityFiles.load(explicit: [path], passphrase: nil)
        #expect(identities.map(\.path) == [path] && skipped.isEmpty, "\(skipped.map(\.reason))")
    }
}
