import Foundation

/// SSHServer is an OpenSSH `sshd` of our own on 127.0.0.1: its own config,
/// ed25519 host key and user key in a temporary folder, a free high port,
/// internal-sftp. It runs in the foreground (`-D -e`) as our child, so
/// stopping it is a kill of a pid we own — never a search by name.
public final class SSHServer: Sendable {
    /// The listening port.
    public let port: Int
    /// The user key's private half (the public half is authorized).
    public let identity: String
    /// The known_hosts file the clients use (pre-filled for every port).
    public let knownHosts: String
    /// The host public key line ("ssh-ed25519 AAAA… comment").
    public let hostPublicKey: String
    /// The user tools log in as (whoever runs the harness).
    public let user: String
    private let child: ChildProcess
    private let cleanupID: Int

    private init(port: Int, identity: String, knownHosts: String, hostPublicKey: String, user: String,
                 child: ChildProcess, cleanupID: Int) {
        self.port = port
        self.identity = identity
        self.knownHosts = knownHosts
        self.hostPublicKey = hostPublicKey
        self.user = user
        self.child = child
        self.cleanupID = cleanupID
    }

    /// Generates keys and config under `directory` and starts sshd.
    public static func start(in directory: String, sshd: String = "/usr/sbin/sshd") throws -> SSHServer {
        try makeDirectories(directory)
        let hostKey = directory + "/host_ed25519"
        let identity = directory + "/id_ed25519"
        for (path, comment) in [(hostKey, "ferry-compare-host"), (identity, "ferry-compare-user")] {
            let outcome = try runCommand(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
                                  stderr: directory + "/ssh-keygen.log")
            guard outcome.succeeded else { throw HarnessError("ssh-keygen failed (see \(directory)/ssh-keygen.log)") }
        }
        let authorized = directory + "/authorized_keys"
        try FileManager.default.copyItem(atPath: identity + ".pub", toPath: authorized)
        let hostPublicKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try freeLoopbackPort()
        let config = directory + "/sshd_config"
        try writeText(
            """
            ListenAddress 127.0.0.1
            Port \(port)
            HostKey \(hostKey)
            AuthorizedKeysFile \(authorized)
            PidFile none
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PermitRootLogin prohibit-password
            MaxStartups 100
            MaxSessions 100
            LogLevel ERROR
            Subsystem sftp internal-sftp

            """, to: config)
        try makeDirectories("/run/sshd")
        let child = try ChildProcess.spawn([sshd, "-D", "-e", "-f", config], stderr: directory + "/sshd.log")
        let cleanupID = ChildRegistry.shared.onCleanUp { child.terminate() }
        let knownHosts = directory + "/known_hosts"
        try writeText("", to: knownHosts)
        let user = String(cString: getpwuid(geteuid()).pointee.pw_name)
        let server = SSHServer(port: port, identity: identity, knownHosts: knownHosts,
                               hostPublicKey: hostPublicKey, user: user, child: child, cleanupID: cleanupID)
        try server.trust(port: port)
        let deadline = monotonicSeconds() + 10
        while !canConnect(port: port) {
            var status: Int32 = 0
            if waitpid(child.pid, &status, WNOHANG) == child.pid {
                let log = (try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? ""
                throw HarnessError("sshd exited at once: \(log)")
            }
            guard monotonicSeconds() < deadline else { throw HarnessError("sshd did not listen on port \(port) within 10 s") }
            usleep(50_000)
        }
        return server
    }

    /// Adds the host key for 127.0.0.1:`port` (sshd's own port or a proxy's)
    /// to known_hosts, so every tool can run with strict checking.
    public func trust(port: Int) throws {
        let line = "[127.0.0.1]:\(port) \(hostPublicKey)\n"
        guard let handle = FileHandle(forWritingAtPath: knownHosts) else {
            throw HarnessError("cannot open \(knownHosts)")
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
    }

    /// Stops sshd.
    public func stop() {
        ChildRegistry.shared.runAndRemove(cleanupID)
    }

    /// Writes the ssh_config every tool uses: host `bench` at 127.0.0.1:`port`
    /// (sshd's or a delay proxy's), with this cipher suite and no compression.
    public func writeClientConfig(to path: String, port: Int, cipher: CipherSuite) throws {
        var text = """
            Host \(Tool.hostAlias)
              HostName 127.0.0.1
              Port \(port)
              User \(user)
              IdentityFile \(identity)
              IdentitiesOnly yes
              UserKnownHostsFile \(knownHosts)
              GlobalKnownHostsFile /dev/null
              StrictHostKeyChecking accept-new
              BatchMode yes
              Compression no
              LogLevel ERROR
              Ciphers \(cipher.cipher)

            """
        if let mac = cipher.mac { text += "  MACs \(mac)\n" }
        try writeText(text, to: path)
    }
}

/// A port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = loopbackAddress(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw HarnessError("bind: \(String(cString: strerror(errno)))") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
public func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = loopbackAddress(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    return address
}
