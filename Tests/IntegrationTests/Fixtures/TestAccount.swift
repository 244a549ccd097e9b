import Foundation
import Glibc

/// TestAccount is the account tests log in as on every fixture server.
///
/// As root (CI) it is the dedicated account `ferrytest` — created by the
/// fixtures on first use if missing (`useradd`, shell /bin/sh, home
/// /home/ferrytest), with the known password `TestAccount.dedicatedPassword`
/// (set with `chpasswd` once per test process, which also unlocks the
/// account: sshd without PAM and dropbear refuse locked accounts even for
/// public keys). dropbear and tinysshd read only the account's
/// `~/.ssh/authorized_keys`, which is why root's own is never touched: those
/// fixtures add their client keys to ferrytest's file and remove them on
/// stop (see `AuthorizedKeys`).
///
/// Not as root, the fixtures fall back to the current user: sshd still works
/// (its `AuthorizedKeysFile` is in the fixture's directory), dropbear and
/// tinysshd cannot (they need root to switch to the account) and fail with a
/// message saying so; their tests are disabled when not running as root.
struct TestAccount: Sendable {
    /// The dedicated account's name.
    static let dedicatedName = "ferrytest"
    /// The dedicated account's password, for password-authentication tests.
    static let dedicatedPassword = "ferry-integration-test"

    /// The login name.
    let name: String
    let uid: uid_t
    let gid: gid_t
    /// The home directory.
    let home: String
    /// The password tests may log in with; nil for the fallback (current) user.
    let password: String?
    /// True for the dedicated account (running as root).
    let isDedicated: Bool

    /// True when the tests run as root, which the dropbear and tinysshd
    /// fixtures need.
    static var runningAsRoot: Bool { geteuid() == 0 }

    private static let preparation = AccountPreparation()

    /// The account to log in as, prepared once per test process.
    static func prepare() async throws -> TestAccount {
        try await preparation.account()
    }

    /// The account the fixtures use, looked up in the passwd database.
    static func lookUp(_ name: String) -> TestAccount? {
        guard let entry = getpwnam(name) else { return nil }
        return TestAccount(name: String(cString: entry.pointee.pw_name), uid: entry.pointee.pw_uid,
                           gid: entry.pointee.pw_gid, home: String(cString: entry.pointee.pw_dir),
                           password: nil, isDedicated: false)
    }

    fileprivate func with(password: String?, dedicated: Bool) -> TestAccount {
        TestAccount(name: name, uid: uid, gid: gid, home: home, password: password, isDedicated: dedicated)
    }
}

/// AccountPreparation creates and unlocks the dedicated account once per
/// process, however many fixtures start at once.
private actor AccountPreparation {
    private var task: Task<TestAccount, Error>?

    func account() async throws -> TestAccount {
        if let task { return try await task.value }
        let task = Task { try await Self.prepareAccount() }
        self.task = task
        do {
            return try await task.value
        } catch {
            self.task = nil  // let a later fixture try again and report its own error
            throw error
        }
    }

    private static func prepareAccount() async throws -> TestAccount {
        guard TestAccount.runningAsRoot else {
            guard let entry = getpwuid(geteuid()),
                  let current = TestAccount.lookUp(String(cString: entry.pointee.pw_name)) else {
                throw FixtureError("cannot find the current user (uid \(geteuid())) in the passwd database")
            }
            return current
        }
        let name = TestAccount.dedicatedName
        if TestAccount.lookUp(name) == nil {
            let result = try await FixtureCommand.run(
                "useradd", ["--create-home", "--shell", "/bin/sh",
                            "--comment", "ferry integration tests", name])
            // 9: the name is taken — another test process created it first.
            guard result.succeeded || result.exit.code == 9 else {
                throw FixtureError("cannot create the test account \(name):\n\(result.summary)")
            }
        }
        guard let account = TestAccount.lookUp(name) else {
            throw FixtureError("the test account \(name) does not exist after useradd")
        }
        if !FileManager.default.fileExists(atPath: account.home) {
            _ = mkdir(account.home, 0o755)
            chown(account.home, account.uid, account.gid)
        }
        let sshDirectory = "\(account.home)/.ssh"
        if mkdir(sshDirectory, 0o700) != 0 && errno != EEXIST {
            throw FixtureError("cannot create \(sshDirectory): \(String(cString: strerror(errno)))")
        }
        chown(sshDirectory, account.uid, account.gid)
        chmod(sshDirectory, 0o700)

        // chpasswd takes a lock on /etc/shadow; a concurrent test process may
        // hold it for a moment.
        var last: CommandResult?
        for attempt in 0..<5 {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(200)) }
            let result = try await FixtureCommand.run(
                "chpasswd", [], input: "\(name):\(TestAccount.dedicatedPassword)\n")
            if result.succeeded { return account.with(password: TestAccount.dedicatedPassword, dedicated: true) }
            last = result
        }
        throw FixtureError("cannot set the password of \(name):\n\(last?.summary ?? "")")
    }
}
