import SSHCrypto

/// KnownHostsFile is one known_hosts file, parsed the way OpenSSH's
/// hostfile.c reads it (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"):
///
///     # comment
///     host1,host2,192.0.2.7 ssh-ed25519 AAAA… optional comment
///     [host]:2222 ecdsa-sha2-nistp256 AAAA…
///     |1|c2FsdA…=|aGFzaA…= ssh-rsa AAAA…
///     *.example.com,!bad.example.com ssh-ed25519 AAAA…
///     @revoked * ssh-rsa AAAA…
///     @cert-authority *.example.com ssh-ed25519 AAAA…
///
/// Blank lines and `#` comments are ignored. A line that cannot be used —
/// a bad marker, no key, a malformed hash, a key type ferry does not parse,
/// bad Base64 — is skipped and listed in `skippedLines`, never fatal: one
/// stale line must not make every other host unverifiable. No input traps.
public struct KnownHostsFile: Sendable {
    /// The path the lines came from (used in every location and message).
    public let path: String
    /// Usable lines, in file order.
    public let entries: [KnownHostsEntry]
    /// Lines that were neither comments nor usable, in file order.
    public let skippedLines: [KnownHostsSkippedLine]
    /// Whether the file existed when it was loaded (true for parsed text).
    public let exists: Bool

    /// Parses the bytes of a file.
    public init(path: String, contents: some Collection<UInt8>) {
        self.path = path
        self.exists = true
        var entries: [KnownHostsEntry] = []
        var skipped: [KnownHostsSkippedLine] = []
        let bytes = Array(contents)
        var start = 0
        var number = 0
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            number += 1
            let location = KnownHostsLocation(path: path, line: number)
            switch Self.parseLine(bytes[start..<newline], location: location) {
            case .comment: break
            case .entry(let entry): entries.append(entry)
            case .skipped(let reason): skipped.append(KnownHostsSkippedLine(location: location, reason: reason))
            }
            start = newline + 1
        }
        self.entries = entries
        self.skippedLines = skipped
    }

    /// Parses text (convenience for tests and in-memory files).
    public init(path: String, text: String) {
        self.init(path: path, contents: Array(text.utf8))
    }

    /// An empty stand-in for a file that does not exist.
    init(missing path: String) {
        self.path = path
        self.exists = false
        self.entries = []
        self.skippedLines = []
    }

    /// Reads and parses the file at `path`. A missing file is an empty file
    /// (`exists == false`), as it is to ssh; a file that exists but cannot be
    /// read (permissions, a directory, too large) throws `SSHError(.io)`.
    public static func load(path: String) throws -> KnownHostsFile {
        guard let bytes = try KnownHostsFileSystem.read(path: path) else {
            return KnownHostsFile(missing: path)
        }
        return KnownHostsFile(path: path, contents: bytes)
    }

    /// The entries whose host field applies to `name` (any marker), in file
    /// order — what `ssh-keygen -F name` lists.
    public func entries(matching name: String) -> [KnownHostsEntry] {
        entries.filter { $0.matches(name) }
    }

    // MARK: - One line

    /// What one line turned out to be.
    enum Line {
        /// Blank or `#` comment.
        case comment
        /// A usable entry.
        case entry(KnownHostsEntry)
        /// An unusable line and why.
        case skipped(KnownHostsSkippedLine.Reason)
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// Longest marker word OpenSSH accepts (its buffer is 32 bytes).
    static let maxMarkerLength = 31

    static func parseLine(_ raw: ArraySlice<UInt8>, location: KnownHostsLocation) -> Line {
        // C string semantics: OpenSSH stops at a NUL. A CR before the newline
        // (a file edited on Windows) is dropped rather than glued to the key.
        var line = raw
        if let nul = line.firstIndex(of: 0) { line = line[line.startIndex..<nul] }
        if line.last == 0x0d { line = line.dropLast() }

        var index = line.startIndex
        func skipBlanks() { while index < line.endIndex, isBlank(line[index]) { index += 1 } }
        skipBlanks()
        guard index < line.endIndex, line[index] != UInt8(ascii: "#") else { return .comment }

        // Markers (hostfile.c check_markers): at most one, ended by a blank.
        var marker = KnownHostsMarker.none
        while index < line.endIndex, line[index] == UInt8(ascii: "@") {
            guard marker == .none else { return .skipped(.invalidMarker) }
            let rest = line[index...]
            guard let end = rest.firstIndex(of: 0x20) ?? rest.firstIndex(of: 0x09) else {
                return .skipped(.invalidMarker)
            }
            let word = line[index..<end]
            guard word.count > 1, word.count <= maxMarkerLength,
                  let found = KnownHostsMarker(rawValue: String(decoding: word, as: UTF8.self)),
                  found != .none
            else { return .skipped(.invalidMarker) }
            marker = found
            index = end
            skipBlanks()
        }

        // Host field, up to the first blank.
        let hostStart = index
        while index < line.endIndex, !isBlank(line[index]) { index += 1 }
        let hostField = line[hostStart..<index]
        skipBlanks()
        guard !hostField.isEmpty, index < line.endIndex, line[index] != UInt8(ascii: "#") else {
            return .skipped(.missingKey)
        }

        let hosts: KnownHostsEntry.Hosts
        if hostField.first == UInt8(ascii: "|") {
            guard let hashed = HashedHostName(field: hostField) else { return .skipped(.badHostHash) }
            hosts = .hashed(hashed)
        } else {
            hosts = .patterns(HostPatternList(hostField))
        }

        let keyText = String(decoding: line[index...], as: UTF8.self)
        let key: SSHPublicKey
        do {
            key = try SSHPublicKey(openSSHLine: keyText)
        } catch let error as CryptoError where error.code == .unsupportedAlgorithm {
            var typeEnd = index
            while typeEnd < line.endIndex, !isBlank(line[typeEnd]) { typeEnd += 1 }
            return .skipped(.unsupportedKeyType(printable(line[index..<typeEnd])))
        } catch {
            return .skipped(.invalidKey("\(error)"))
        }
        return .entry(KnownHostsEntry(
            marker: marker,
            hostField: String(decoding: hostField, as: UTF8.self),
            key: key,
            location: location,
            hosts: hosts))
    }

    /// Bytes from a file shown in a message: printable ASCII, at most 64.
    static func printable(_ bytes: some Collection<UInt8>) -> String {
        let shown = bytes.prefix(64).map { $0 >= 0x20 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }
        return String(decoding: shown, as: UTF8.self) + (bytes.count > 64 ? "…" : "")
    }
}
