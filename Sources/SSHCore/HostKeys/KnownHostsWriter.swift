import SSHCrypto

/// KnownHostsWriter formats and appends known_hosts lines the way ssh writes
/// them (hostfile.c write_host_entry): lower-cased names, then the key as
/// "type base64" with no comment; with hashing, each name on its own line
/// under a fresh 20-byte salt.
public enum KnownHostsWriter {
    /// Bytes OpenSSH refuses in a host name it would record
    /// (sshconnect.c: "invalid hostname …; will not record").
    static let unrecordableHostBytes = Set("@?*#[]|'\"\\".utf8)

    /// Whether ssh would record a key for this host name (as typed by the
    /// user, before `[host]:port` is formed): no wildcard, bracket, quote or
    /// other character that means something in a known_hosts file, and no
    /// blank, comma or control character that would break the line.
    public static func isRecordableHost(_ host: String) -> Bool {
        !host.isEmpty && host.utf8.allSatisfy { !unrecordableHostBytes.contains($0) && isNameByte($0) }
    }

    /// Whether `name` can stand in the host field of a line we write. Hashed
    /// names only need to be non-empty; plain ones must not start a comment,
    /// marker, hash or negation, nor contain blanks, commas, wildcards or
    /// control characters.
    static func isWritableName(_ name: String, hashed: Bool) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return false }
        if hashed { return true }
        return !"#@|!".utf8.contains(first)
            && bytes.allSatisfy { isNameByte($0) && $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: "?") }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte != 0x7f && byte != UInt8(ascii: ",")
    }

    /// The key part of a line: "type base64" (the comment is not written).
    public static func keyText(_ key: SSHPublicKey) -> String {
        key.keyType + " " + Base64.encode(key.blob)
    }

    /// The lines (without newlines) that record `key` for `names`: one line
    /// "name1,name2 key" when plain, one hashed line per name when hashed.
    /// Names are lower-cased. Throws `.invalidConfiguration` for a name that
    /// cannot be written safely.
    public static func lines(names: [String], key: SSHPublicKey, hashed: Bool) throws -> [String] {
        let names = names.map { String(decoding: $0.utf8.map(HostPatternList.lowercased), as: UTF8.self) }
        guard !names.isEmpty else { throw SSHError(.invalidConfiguration, "no host name to record the key under") }
        for name in names where !isWritableName(name, hashed: hashed) {
            throw SSHError(.invalidConfiguration, "cannot record a host key under the name \"\(KnownHostsFile.printable(name.utf8))\"")
        }
        let keyPart = keyText(key)
        guard hashed else { return [names.joined(separator: ",") + " " + keyPart] }
        return try names.map { name in
            do {
                return try HashedHostName.make(name: name) + " " + keyPart
            } catch {
                throw SSHError(.io, "cannot hash the host name for known_hosts: \(error)")
            }
        }
    }

    /// The line for one host and port: `host` for port 22, `[host]:port`
    /// otherwise, or the HostKeyAlias verbatim.
    public static func line(host: String, port: Int, hostKeyAlias: String? = nil,
                            key: SSHPublicKey, hashed: Bool) throws -> String {
        let name = KnownHosts.lookupName(host: host, port: port, hostKeyAlias: hostKeyAlias)
        guard let line = try lines(names: [name], key: key, hashed: hashed).first else {
            throw SSHError(.invalidConfiguration, "no host name to record the key under")
        }
        return line
    }

    /// Appends `lines` to the known_hosts file at `path` in one write,
    /// creating the file (mode 0600) if missing and, when `path` is inside
    /// `sshDirectory` (the user's ~/.ssh) and that directory is missing,
    /// creating it with mode 0700 as ssh does. A file that lacks a final
    /// newline gets one before our lines.
    public static func append(_ lines: [String], to path: String, sshDirectory: String? = nil) throws {
        guard !lines.isEmpty else { return }
        if let sshDirectory, parentDirectory(of: path) == trimmedDirectory(sshDirectory) {
            try KnownHostsFileSystem.createPrivateDirectoryIfMissing(trimmedDirectory(sshDirectory))
        }
        try KnownHostsFileSystem.append(lines.map { $0 + "\n" }.joined(), to: path)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func trimmedDirectory(_ directory: String) -> String {
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        return directory
    }
}
