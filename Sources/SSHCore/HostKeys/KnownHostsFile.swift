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
    /// Whether the file existed when it was loaded (true for parsed text).
    public let exists: Bool

    /// Lines whose syntax is right; their keys are built on demand.
    let records: [KnownHostsRecord]
    /// Lines already known to be unusable from their syntax alone.
    let syntaxErrors: [KnownHostsSkippedLine]

    /// Parses the bytes of a file.
    public init(path: String, contents: some Collection<UInt8>) {
        self.path = path
        self.exists = true
        var records: [KnownHostsRecord] = []
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
            case .record(let record): records.append(record)
            case .skipped(let reason): skipped.append(KnownHostsSkippedLine(location: location, reason: reason))
            }
            start = newline + 1
        }
        self.records = records
        self.syntaxErrors = skipped
    }

    /// Parses text (convenience for tests and in-memory files).
    public init(path: String, text: String) {
        self.init(path: path, contents: Array(text.utf8))
    }

    /// An empty stand-in for a file that does not exist.
    init(missing path: String) {
        self.path = path
        self.exists = false
        self.records = []
        self.syntaxErrors = []
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

    /// Every usable line, in file order. This builds every key in the file;
    /// to look a host up, `entries(matching:)` builds only the keys of the
    /// lines that apply.
    public var entries: [KnownHostsEntry] {
        records.compactMap { $0.validated().entry }
    }

    /// Every line that is neither a comment nor usable, in file order
    /// (building every key to find the invalid ones).
    public var skippedLines: [KnownHostsSkippedLine] {
        let invalidKeys = records.compactMap { record -> KnownHostsSkippedLine? in
            guard case .invalid(let reason) = record.validated() else { return nil }
            return KnownHostsSkippedLine(location: record.location, reason: reason)
        }
        return (syntaxErrors + invalidKeys).sorted { $0.location.line < $1.location.line }
    }

    /// The usable entries whose host field applies to `name` (any marker), in
    /// file order — what `ssh-keygen -F name` lists. Lines that apply but
    /// hold an invalid key are left out, as ssh leaves them out.
    public func entries(matching name: String) -> [KnownHostsEntry] {
        records.filter { $0.matches(name) }.compactMap { $0.validated().entry }
    }

    /// Usable entries with no marker whose key is `key`, under any name.
    func entries(holding key: SSHPublicKey) -> [KnownHostsEntry] {
        records.filter { $0.marker == .none && $0.blob == key.blob }.compactMap { $0.validated().entry }
    }

    // MARK: - One line

    /// What one line turned out to be.
    enum Line {
        /// Blank or `#` comment.
        case comment
        /// A line whose syntax is right.
        case record(KnownHostsRecord)
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
        func word() -> ArraySlice<UInt8> {
            let start = index
            while index < line.endIndex, !isBlank(line[index]) { index += 1 }
            return line[start..<index]
        }
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
            let markerWord = line[index..<end]
            guard markerWord.count > 1, markerWord.count <= maxMarkerLength,
                  let found = KnownHostsMarker(rawValue: String(decoding: markerWord, as: UTF8.self)),
                  found != .none
            else { return .skipped(.invalidMarker) }
            marker = found
            index = end
            skipBlanks()
        }

        // Host field, up to the first blank.
        let hostField = word()
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

        // "type base64 [comment]", as in a .pub file.
        let typeWord = word()
        guard let keyType = SSHKeyType(rawValue: String(decoding: typeWord, as: UTF8.self)) else {
            return .skipped(.unsupportedKeyType(printable(typeWord)))
        }
        skipBlanks()
        let encoded = word()
        guard !encoded.isEmpty else { return .skipped(.invalidKey("no key data after \(keyType.rawValue)")) }
        guard let blob = Base64.decode(encoded) else { return .skipped(.invalidKey("key data is not valid Base64")) }
        skipBlanks()
        var end = line.endIndex
        while end > index, isBlank(line[end - 1]) { end -= 1 }
        let comment = String(decoding: line[index..<end], as: UTF8.self)

        return .record(KnownHostsRecord(
            marker: marker,
            hostField: String(decoding: hostField, as: UTF8.self),
            hosts: hosts,
            keyType: keyType,
            blob: blob,
            comment: comment,
            location: location))
    }

    /// Bytes from a file shown in a message: printable ASCII, at most 64.
    static func printable(_ bytes: some Collection<UInt8>) -> String {
        let shown = bytes.prefix(64).map { $0 >= 0x20 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }
        return String(decoding: shown, as: UTF8.self) + (bytes.count > 64 ? "…" : "")
    }
}
