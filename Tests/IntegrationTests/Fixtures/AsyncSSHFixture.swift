import Foundation

/// AsyncSSHFixture runs asyncssh's SFTP server (Python, Debian's
/// python3-asyncssh) on 127.0.0.1 for one test: an SSH and SFTP
/// implementation that shares no code with OpenSSH, so ferry's get and put
/// are checked against a second reading of the protocol. The server serves
/// the local file system as the user running the tests and accepts the
/// fixture's client key for any user name; it takes an Ed25519 host key.
///
/// Two knobs make it a misbehaving-but-legal server for the resource tests:
/// `maxHandles` (OPEN past that many files open in one session fails with
/// SSH_FX_FAILURE "too many open handles", as a server out of descriptors
/// answers; asyncssh 2.10 does not offer limits@openssh.com, so a client
/// cannot know the limit in advance) and `delay` (each OPEN, CLOSE, READ,
/// WRITE and STAT waits that long before it is answered; asyncssh answers
/// one request at a time, so requests queue behind each other).
///
/// asyncssh's quirks a client meets: no limits@openssh.com (so 32 KiB
/// blocks and no handle limit known in advance), no lsetstat@openssh.com,
/// no copy-data; files it creates belong to the user running the tests.
final class AsyncSSHFixture: SSHServerFixture {
    static let python = "/usr/bin/python3"

    let server: RunningServer

    private init(server: RunningServer) { self.server = server }

    /// True when Debian's python3-asyncssh is importable (`scripts/bootstrap`
    /// installs it); the tests that need it are skipped otherwise, visibly.
    static let isInstalled: Bool = FileManager.default.fileExists(
        atPath: "/usr/lib/python3/dist-packages/asyncssh/__init__.py")
        && FileManager.default.isExecutableFile(atPath: python)

    /// Starts the server and waits until it answers.
    static func start(maxHandles: Int = 0, delay: Duration = .zero,
                      startTimeout: Duration = .seconds(30)) async throws -> AsyncSSHFixture {
        guard isInstalled else { throw FixtureError.missingBinary("asyncssh (\(python))", package: "python3-asyncssh") }
        let began = ContinuousClock.now
        let account = try await TestAccount.prepare()
        return try await buildingFixture("asyncssh") { directory in
            let key = try await KeyMaterial.shared.key(.ed25519, by: .sshKeygen)
            let hostKeyPath = try directory.write("ssh_host_ed25519_key", key.privateKeyFile, mode: 0o600)
            let clientKeys = try await writeClientKeys([.ed25519], into: directory)
            let authorizedKeys = try directory.write(
                "authorized_keys", clientKeys.map { $0.publicKey.openSSHLine + " ferry-fixture\n" }.joined())
            let script = try directory.write("asyncssh_sftp_server.py", serverScript, mode: 0o644)
            let scratch = try directory.makeSubdirectory("files", uid: account.uid, gid: account.gid)
            let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
            let launched = try await ServerLauncher.launch("asyncssh", in: directory, timeout: startTimeout) { port in
                let pidFile = directory.file("asyncssh-\(port).pid")
                return LaunchPlan(
                    executable: python,
                    // -W ignore: python3-cryptography's deprecation warnings
                    // (Blowfish, CAST5…) would fill the log at every start.
                    arguments: ["-W", "ignore", script, "--port", String(port), "--host-key", hostKeyPath,
                                "--authorized-keys", authorizedKeys, "--pid-file", pidFile,
                                "--max-handles", String(maxHandles), "--delay", String(seconds)],
                    readiness: .pidFile(pidFile))
            }
            let server = try RunningServer(
                software: "asyncssh", launched: launched, account: account, directory: directory,
                clientKeys: clientKeys, hostKeys: [key.publicKey], scratchDirectory: scratch,
                startupTime: ContinuousClock.now - began)
            return AsyncSSHFixture(server: server)
        }
    }

    /// The server: asyncssh.listen with an SFTPServer subclass.
    static let serverScript = #"""
import argparse, asyncio, errno, os, sys
import asyncssh

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--host-key", required=True)
parser.add_argument("--authorized-keys", required=True)
parser.add_argument("--pid-file", required=True)
parser.add_argument("--max-handles", type=int, default=0)
parser.add_argument("--delay", type=float, default=0.0)
args = parser.parse_args()


class Server(asyncssh.SFTPServer):
    """asyncssh's own SFTP server (the local file system, no chroot), with two
    test knobs: at most --max-handles files open at once per session (past
    that, OPEN fails with SSH_FX_FAILURE, as a server out of descriptors
    does), and --delay seconds before each answer."""

    def __init__(self, chan):
        super().__init__(chan)
        self.open_files = 0

    async def pause(self):
        if args.delay > 0:
            await asyncio.sleep(args.delay)

    async def open(self, path, pflags, attrs):
        await self.pause()
        if args.max_handles and self.open_files >= args.max_handles:
            raise asyncssh.SFTPFailure("too many open handles")
        result = super().open(path, pflags, attrs)
        self.open_files += 1
        return result

    async def close(self, file_obj):
        await self.pause()
        self.open_files -= 1
        return super().close(file_obj)

    async def read(self, file_obj, offset, size):
        await self.pause()
        return super().read(file_obj, offset, size)

    async def write(self, file_obj, offset, data):
        await self.pause()
        return super().write(file_obj, offset, data)

    async def stat(self, path):
        await self.pause()
        return super().stat(path)

    async def lstat(self, path):
        await self.pause()
        return super().lstat(path)

    async def fstat(self, file_obj):
        await self.pause()
        return super().fstat(file_obj)


async def main():
    try:
        await asyncssh.listen("127.0.0.1", args.port, server_host_keys=[args.host_key],
                              authorized_client_keys=args.authorized_keys,
                              sftp_factory=Server, allow_scp=False)
    except OSError as error:
        # The fixture's launcher retries on another port when it sees this.
        if error.errno == errno.EADDRINUSE:
            print("Address already in use", flush=True)
            sys.exit(1)
        raise
    with open(args.pid_file + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(args.pid_file + ".tmp", args.pid_file)
    print("listening on 127.0.0.1:%d" % args.port, flush=True)
    await asyncio.Future()

asyncio.run(main())
"""#
}
