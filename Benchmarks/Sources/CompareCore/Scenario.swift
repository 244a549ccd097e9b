import Foundation

/// Direction says which way the data moves, seen from the client.
public enum Direction: String, Sendable, Codable {
    /// Download: the server's data to a local path.
    case get
    /// Upload: local data to a path on the server.
    case put
    /// A directory sync (`ferry sync`, `rsync -a --delete`, `rclone sync`);
    /// which way and from what state is the scenario's `sync`. Without
    /// one: an upload of a tree already identical on the server.
    case sync
}

/// SyncCase says which way a sync scenario goes and what the target holds
/// before each run (restored, untimed, before every run).
public struct SyncCase: Sendable, Codable, Equatable {
    /// The target's state before a run.
    public enum State: String, Sendable, Codable {
        /// No target: everything is copied.
        case first
        /// An identical copy (same times): nothing is copied.
        case unchanged
        /// A copy in which 10% of the files differ (other bytes, other
        /// time): those are copied back.
        case changed
    }

    /// True when the local tree is the source and the server's the target.
    public var upload: Bool
    public var state: State

    public init(upload: Bool, state: State) {
        self.upload = upload
        self.state = state
    }

    /// "first", "no-change", "10% changed", then "up" or "down".
    public var label: String {
        let what = switch state {
        case .first: "first"
        case .unchanged: "no-change"
        case .changed: "10% changed"
        }
        return "\(what) \(upload ? "up" : "down")"
    }
}

/// Workload is the data a scenario moves.
public enum Workload: Sendable, Codable, Equatable {
    /// One file of this many bytes.
    case file(bytes: Int64)
    /// A tree of small files.
    case tree(DataSet.TreeShape)

    /// A short human label: "1 GiB file", "2000 files".
    public var label: String {
        switch self {
        case .file(let bytes): "\(formatBytes(bytes)) file"
        case .tree(let shape): "\(shape.files) files"
        }
    }

    /// True for a tree workload.
    public var isTree: Bool {
        if case .tree = self { return true }
        return false
    }
}

/// CipherSuite is the packet protection every tool of a scenario is held to,
/// through `Ciphers` and `MACs` in the shared ssh_config.
public struct CipherSuite: Sendable, Codable, Equatable, Hashable {
    /// The cipher name, as `ssh -Q cipher` prints it.
    public var cipher: String
    /// The MAC for non-AEAD ciphers; nil for AEAD ciphers (GCM, ChaCha20-Poly1305).
    public var mac: String?

    public init(cipher: String, mac: String? = nil) {
        self.cipher = cipher
        self.mac = mac
    }

    /// A short label: "aes128-gcm", "aes128-ctr+hmac-sha2-256-etm".
    public var label: String {
        let short = cipher.replacingOccurrences(of: "@openssh.com", with: "")
        guard let mac else { return short }
        return short + "+" + mac.replacingOccurrences(of: "@openssh.com", with: "")
    }

    /// The three suites of issue 6, the first being the one the main scenarios use.
    public static let standard: [CipherSuite] = [
        CipherSuite(cipher: "aes128-gcm@openssh.com"),
        CipherSuite(cipher: "chacha20-poly1305@openssh.com"),
        CipherSuite(cipher: "aes128-ctr", mac: "hmac-sha2-256-etm@openssh.com"),
    ]

    /// Parses "cipher" or "cipher+mac".
    public init?(parsing text: String) {
        let parts = text.split(separator: "+", maxSplits: 1).map(String.init)
        guard let first = parts.first, !first.isEmpty else { return nil }
        self.init(cipher: first, mac: parts.count > 1 ? parts[1] : nil)
    }
}

/// Scenario is one measured situation: a workload moved in one direction at
/// one added round-trip time under one cipher suite, by several tools.
public struct Scenario: Sendable, Codable, Equatable {
    /// What is moved.
    public var workload: Workload
    /// Which way.
    public var direction: Direction
    /// Added round-trip time in milliseconds (0 = direct to sshd).
    public var rttMilliseconds: Int
    /// The packet protection.
    public var cipher: CipherSuite
    /// The tools measured, in the order they alternate.
    public var tools: [Tool]
    /// Tools listed in the report as "not implemented yet" (not run).
    public var notImplemented: [Tool]
    /// For a sync scenario: which way, from what state (nil: the legacy
    /// unchanged upload).
    public var sync: SyncCase?
    /// A bandwidth limit every tool is given, bytes per second (ferry
    /// `--bwlimit`, sftp/scp `-l`): the row shows how close each comes
    /// to it. Nil: no limit.
    public var rateLimit: Int64?

    /// The delay proxy's rate cap, megabits per second (nil: none).
    public var rateMegabits: Double?

    public init(
        workload: Workload, direction: Direction, rttMilliseconds: Int, cipher: CipherSuite,
        tools: [Tool], notImplemented: [Tool] = [], sync: SyncCase? = nil, rateLimit: Int64? = nil
    ) {
        self.sync = sync
        self.rateLimit = rateLimit
        self.workload = workload
        self.direction = direction
        self.rttMilliseconds = rttMilliseconds
        self.cipher = cipher
        self.tools = tools
        self.notImplemented = notImplemented
    }

    /// "get 1 GiB file, 0 ms, aes128-gcm".
    public var name: String {
        let verb = direction == .sync ? "sync \(sync?.label ?? "(unchanged)")" : direction.rawValue
        let limit = rateLimit.map { ", limit \(formatBytes($0))/s" } ?? ""
        let cap = rateMegabits.map { String(format: " at %g Mbit/s", $0) } ?? ""
        return "\(verb) \(workload.label), \(rttMilliseconds) ms\(cap), \(cipher.label)\(limit)"
    }

    /// The achieved rate as a share of `rateLimit`: `bytes` moved in
    /// `seconds` (the whole run, connection included); nil without a limit.
    public func shareOfLimit(seconds: Double) -> Double? {
        guard let rateLimit, rateLimit > 0, seconds > 0 else { return nil }
        return Double(bytes) / seconds / Double(rateLimit)
    }

    /// True when the local tree is the source: put, and syncs up.
    public var uploads: Bool { direction == .put || (direction == .sync && (sync?.upload ?? true)) }

    /// The bytes one run moves.
    public var bytes: Int64 {
        switch workload {
        case .file(let bytes): bytes
        case .tree(let shape): Int64(shape.files) * Int64(shape.minBytes + shape.maxBytes) / 2
        }
    }
}

/// "1 GiB", "256 MiB", "40 KiB", "12 B" — binary units, for labels.
public func formatBytes(_ bytes: Int64) -> String {
    let units: [(Int64, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (size, name) in units where bytes >= size {
        let value = Double(bytes) / Double(size)
        return value == value.rounded() ? "\(Int64(value)) \(name)" : String(format: "%.1f", value) + " " + name
    }
    return "\(bytes) B"
}
