import Foundation

/// Tool is one client being compared. Every tool reaches the same sshd through
/// the same ssh_config (host alias `bench`), so they share host, port, key,
/// known_hosts and cipher; the Python peers, which cannot read ssh_config, get
/// the same values as arguments.
public enum Tool: String, Sendable, Codable, CaseIterable {
    /// ferry get / ferry put.
    case ferry
    /// ferry get --scp / ferry put --scp: ferry over the legacy scp protocol,
    /// against `scp -O`.
    case ferrySCP = "ferry-scp"
    /// OpenSSH `sftp -b` with its defaults (32 KiB requests, 64 in flight).
    case sftp
    /// OpenSSH `sftp -B 261120 -R 256`: the largest requests internal-sftp
    /// serves and 256 in flight — what a user tuning sftp by hand would do.
    case sftpTuned = "sftp-tuned"
    /// OpenSSH `scp` (SFTP protocol, the default since OpenSSH 9.0).
    case scp
    /// OpenSSH `scp -O`: the legacy scp/rcp protocol.
    case scpLegacy = "scp-O"
    /// `rsync -a -e "ssh -F cfg"` (trees only; `-a --delete` for syncs).
    case rsync
    /// `rclone sync` with its SFTP backend (syncs only).
    case rclone
    /// paramiko's SFTPClient (Benchmarks/Peers/peer.py), with --with-python-peers.
    case paramiko
    /// asyncssh's SFTP client (Benchmarks/Peers/peer.py), with --with-python-peers.
    case asyncssh
    /// `ferry sftp -b` running a batch of one get (or put) line per file of a
    /// tree (`--with-batch`): consecutive transfer lines run together.
    case ferrySFTPBatch = "ferry-sftp-b"
    /// OpenSSH `sftp -b` running the same batch, one line after another.
    case sftpBatch = "sftp-b-lines"
    /// One `ferry get` run per file of a tree, one after another (gets
    /// only): what `ferry sftp -b` with one get line per file must not be
    /// slower than.
    case ferryEach = "ferry-get-each"
    /// The `fetch` program of Examples/ (release build): one
    /// `SFTPSession.download` through FerryKit, the library a Swift program
    /// imports, next to the `ferry get` it must match (issue 17). Gets of
    /// the big file only, with `--with-library`.
    case ferryLib = "ferry-lib"

    /// The programs the tool needs on PATH, and the Debian package of each.
    public var requiredPrograms: [(program: String, package: String)] {
        switch self {
        case .ferry, .ferrySCP, .paramiko, .asyncssh, .ferrySFTPBatch, .ferryLib: []
        case .ferryEach: [("sh", "dash")]
        case .sftp, .sftpTuned, .sftpBatch: [("sftp", "openssh-client"), ("ssh", "openssh-client")]
        case .scp, .scpLegacy: [("scp", "openssh-client"), ("ssh", "openssh-client")]
        case .rsync: [("rsync", "rsync"), ("ssh", "openssh-client")]
        case .rclone: [("rclone", "rclone")]
        }
    }

    /// True when the tool is a Python peer (needs the venv).
    public var isPythonPeer: Bool { self == .paramiko || self == .asyncssh }

    /// Whether the tool takes part in this kind of scenario at all.
    public func handles(_ workload: Workload, _ direction: Direction) -> Bool {
        switch (self, direction) {
        case (.ferrySFTPBatch, .sync), (.sftpBatch, .sync): false
        case (.ferryEach, .get): workload.isTree
        case (.ferryEach, _): false
        case (.ferryLib, .get): !workload.isTree
        case (.ferryLib, _): false
        case (.ferrySFTPBatch, _), (.sftpBatch, _): workload.isTree
        case (.rsync, .sync), (.ferry, .sync), (.rclone, .sync): true
        case (_, .sync): false
        // rclone copyto with --multi-thread-streams, on the big file only.
        case (.rclone, _): !workload.isTree
        case (.rsync, _): workload.isTree
        default: true
        }
    }
}

/// ToolContext is what building a command line needs besides the scenario.
public struct ToolContext: Sendable {
    /// The ssh_config file (host alias `bench`).
    public var sshConfig: String
    /// The ferry binary.
    public var ferry: String
    /// The Python interpreter of the peers' venv, when set up.
    public var python: String?
    /// Benchmarks/Peers/peer.py.
    public var peerScript: String
    /// The Examples `fetch` binary (the `ferry-lib` tool), when built.
    public var fetch: String?
    /// Where batch files are written.
    public var scratch: String
    /// Connection parameters for the Python peers.
    public var port: Int
    public var user: String
    public var identity: String
    public var knownHosts: String

    public init(sshConfig: String, ferry: String, fetch: String? = nil, python: String?, peerScript: String, scratch: String,
                port: Int, user: String, identity: String, knownHosts: String) {
        self.sshConfig = sshConfig
        self.ferry = ferry
        self.fetch = fetch
        self.python = python
        self.peerScript = peerScript
        self.scratch = scratch
        self.port = port
        self.user = user
        self.identity = identity
        self.knownHosts = knownHosts
    }
}

/// ToolCommand is one run's command line and standard input.
public struct ToolCommand: Sendable, Equatable {
    public var arguments: [String]
    /// A file to feed on stdin (sftp's batch), or nil for /dev/null.
    public var stdin: String?
}

extension Tool {
    /// The host alias in the harness's ssh_config.
    public static let hostAlias = "bench"

    /// The command that moves `source` to `destination` (each a local or a
    /// server path; for trees the destination does not exist beforehand and
    /// every tool creates it as a copy of the source, so outputs compare equal).
    public func command(
        for scenario: Scenario, source: String, destination: String, context: ToolContext
    ) throws -> ToolCommand {
        let recursive = scenario.workload.isTree
        let remote = Tool.hostAlias + ":"
        let (from, to) = scenario.uploads ? (source, remote + destination) : (remote + source, destination)
        if scenario.direction == .sync { return try syncCommand(from: from, to: to, context: context) }
        switch self {
        case .ferry, .ferrySCP:
            let verb = scenario.direction == .get ? "get" : "put"
            // rsync's spelling, bytes per second with a B suffix.
            let limit = scenario.rateLimit.map { ["--bwlimit", "\($0)B"] } ?? []
            return ToolCommand(
                arguments: [context.ferry, verb, "-q"] + (self == .ferrySCP ? ["--scp"] : []) + (recursive ? ["-r"] : [])
                    + limit + ["-F", context.sshConfig, from, to],
                stdin: nil)
        case .sftp, .sftpTuned:
            let verb = scenario.direction == .get ? "get" : "put"
            let batch = context.scratch + "/sftp-batch"
            let line = "\(verb)\(recursive ? " -r" : "") \(quoteForSFTP(source)) \(quoteForSFTP(destination))\n"
            try writeText(line, to: batch)
            // sftp -l takes Kbit/s (1024 bits).
            let tuning = (self == .sftpTuned ? ["-B", "261120", "-R", "256"] : [])
                + (scenario.rateLimit.map { ["-l", "\($0 * 8 / 1024)"] } ?? [])
            return ToolCommand(
                arguments: ["sftp", "-q"] + tuning + ["-F", context.sshConfig, "-b", "-", Tool.hostAlias],
                stdin: batch)
        case .scp, .scpLegacy:
            return ToolCommand(
                arguments: ["scp", "-q"] + (self == .scpLegacy ? ["-O"] : []) + (recursive ? ["-r"] : [])
                    + ["-F", context.sshConfig, from, to],
                stdin: nil)
        case .rclone:
            guard !recursive else { throw HarnessError("rclone runs only on the big file and in sync scenarios") }
            let config = try Self.rcloneConfig(context)
            return ToolCommand(arguments: ["rclone", "--config", config, "copyto", "--multi-thread-streams", "8",
                                           "--multi-thread-cutoff", "16M", from, to], stdin: nil)
        case .rsync:
            // Trailing slashes: copy the contents of source into destination.
            let (f, t) = scenario.direction == .get
                ? (remote + source + "/", destination + "/") : (source + "/", remote + destination + "/")
            return ToolCommand(arguments: ["rsync", "-a", "-e", "ssh -F \(context.sshConfig)", f, t], stdin: nil)
        case .ferrySFTPBatch, .sftpBatch:
            let batch = context.scratch + "/\(rawValue)-batch"
            try writeText(try Self.perFileBatch(scenario.direction, source: source, destination: destination), to: batch)
            if self == .sftpBatch {
                return ToolCommand(arguments: ["sftp", "-q", "-F", context.sshConfig, "-b", "-", Tool.hostAlias], stdin: batch)
            }
            return ToolCommand(arguments: [context.ferry, "sftp", "-q", "-F", context.sshConfig, "-b", batch, Tool.hostAlias],
                               stdin: nil)
        case .ferryEach:
            guard scenario.direction == .get else { throw HarnessError("\(rawValue) runs only gets") }
            return ToolCommand(arguments: ["sh", "-c", try Self.perFileGets(source: source, destination: destination,
                                                                             ferry: context.ferry, sshConfig: context.sshConfig)],
                               stdin: nil)
        case .ferryLib:
            guard scenario.direction == .get, !recursive, scenario.rateLimit == nil else {
                throw HarnessError("\(rawValue) runs only gets of one file, without a rate limit")
            }
            guard let fetch = context.fetch else { throw HarnessError("\(rawValue) needs the Examples fetch binary (--fetch)") }
            return ToolCommand(arguments: [fetch, "-F", context.sshConfig, Tool.hostAlias, source, destination], stdin: nil)
        case .paramiko, .asyncssh:
            guard let python = context.python else {
                throw HarnessError("\(rawValue) needs --with-python-peers")
            }
            var arguments = [python, context.peerScript, rawValue, scenario.direction == .get ? "get" : "put",
                             "--port", String(context.port), "--user", context.user,
                             "--identity", context.identity, "--known-hosts", context.knownHosts,
                             "--cipher", scenario.cipher.cipher]
            if let mac = scenario.cipher.mac { arguments += ["--mac", mac] }
            if recursive { arguments.append("-r") }
            return ToolCommand(arguments: arguments + [source, destination], stdin: nil)
        }
    }
}

extension Tool {
    /// The sync command from `from` to `to` (one of them `bench:path`):
    /// each tool makes the target identical, deleting what the source lacks.
    func syncCommand(from: String, to: String, context: ToolContext) throws -> ToolCommand {
        switch self {
        case .ferry:
            return ToolCommand(arguments: [context.ferry, "sync", "-q", "--delete", "-F", context.sshConfig, from, to], stdin: nil)
        case .rsync:
            return ToolCommand(arguments: ["rsync", "-a", "--delete", "-e", "ssh -F \(context.sshConfig)", from + "/", to + "/"],
                               stdin: nil)
        case .rclone:
            return ToolCommand(arguments: ["rclone", "--config", try Self.rcloneConfig(context), "sync", from, to], stdin: nil)
        default:
            throw HarnessError("\(rawValue) does not sync")
        }
    }

    /// rclone's config: the same server, user, key and known_hosts as the
    /// others (rclone cannot read ssh_config); it picks its own cipher (Go's
    /// first choice, aes128-gcm@openssh.com, which sshd offers). Its check
    /// of each copy by md5sum over exec is turned off (disable_hashcheck):
    /// one exec per file took over 200 s for 2000 files, and neither ferry
    /// nor rsync pays for such a step.
    static func rcloneConfig(_ context: ToolContext) throws -> String {
        let config = context.scratch + "/rclone.conf"
        try writeText("""
                [\(Tool.hostAlias)]
                type = sftp
                host = 127.0.0.1
                port = \(context.port)
                user = \(context.user)
                key_file = \(context.identity)
                known_hosts_file = \(context.knownHosts)
                disable_hashcheck = true

                """, to: config)
        return config
    }

    /// A batch that copies the tree at `source` to `destination` one file
    /// per line: the directories first (mkdir or lmkdir), then one get or
    /// put line per file. Both sides are on this machine, so the source
    /// tree is listed directly.
    static func perFileBatch(_ direction: Direction, source: String, destination: String) throws -> String {
        guard let names = FileManager.default.subpaths(atPath: source) else {
            throw HarnessError("cannot list \(source)")
        }
        var directories: [String] = []
        var files: [String] = []
        for name in names.sorted() {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: source + "/" + name, isDirectory: &isDirectory)
            if isDirectory.boolValue { directories.append(name) } else { files.append(name) }
        }
        let mkdir = direction == .get ? "lmkdir" : "mkdir"
        let verb = direction == .get ? "get" : "put"
        var lines = ["\(mkdir) \(quoteForSFTP(destination))"]
        lines += directories.map { "\(mkdir) \(quoteForSFTP(destination + "/" + $0))" }
        lines += files.map { "\(verb) \(quoteForSFTP(source + "/" + $0)) \(quoteForSFTP(destination + "/" + $0))" }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Tool {
    /// A shell script that makes the destination's directories, then runs
    /// one `ferry get` per file of the tree at `source` (listed directly:
    /// both sides are on this machine), stopping at the first failure.
    static func perFileGets(source: String, destination: String, ferry: String, sshConfig: String) throws -> String {
        guard let names = FileManager.default.subpaths(atPath: source) else {
            throw HarnessError("cannot list \(source)")
        }
        var directories = [destination]
        var files: [String] = []
        for name in names.sorted() {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: source + "/" + name, isDirectory: &isDirectory)
            if isDirectory.boolValue { directories.append(destination + "/" + name) } else { files.append(name) }
        }
        var commands = ["mkdir -p " + directories.map(quoteForShell).joined(separator: " ")]
        commands += files.map { name in
            [ferry, "get", "-q", "-F", sshConfig, Tool.hostAlias + ":" + source + "/" + name, destination + "/" + name]
                .map(quoteForShell).joined(separator: " ")
        }
        return commands.joined(separator: " && ")
    }
}

/// Quotes a word for sh: single quotes, each ' as '\''.
func quoteForShell(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Quotes a path for an sftp batch line.
func quoteForSFTP(_ path: String) -> String {
    "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
