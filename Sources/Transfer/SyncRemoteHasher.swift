import SFTP
import SSHCore

/// SyncRemoteHasher hashes remote files for `sync --checksum` by running
/// `sha256sum` (else `shasum -a 256`, else `sha1sum`) on the server over
/// exec, one command per batch of files, so the file never crosses the
/// link. The first tool that exists is kept; a server that refuses exec,
/// or has none of them, makes it answer nil, and the files are read over
/// SFTP instead.
///
/// Names go to the shell single-quoted (a `'` as `'\''`); a name that is
/// not UTF-8 cannot be put on a command line and is left to SFTP. The
/// output is matched to the files by order, so any command that does not
/// exit 0 with one line per file (an unreadable file) leaves the whole
/// batch to SFTP rather than guess.
public struct SyncRemoteHasher: RemoteHashing {
    let client: SSHClient
    private let state = SyncLocked(State())

    private struct State {
        var tool: Tool?
        var unavailable = false
    }

    /// A remote hashing command and what it computes.
    struct Tool: Sendable {
        let command: String
        let algorithm: SyncHashAlgorithm
    }

    static let tools = [Tool(command: "sha256sum", algorithm: .sha256), Tool(command: "shasum -a 256", algorithm: .sha256),
                        Tool(command: "sha1sum", algorithm: .sha1)]

    public init(client: SSHClient) { self.client = client }

    public func digests(of paths: [SFTPPath]) async -> (algorithm: SyncHashAlgorithm, digests: [[UInt8]?])? {
        let (known, unavailable) = state.update { ($0.tool, $0.unavailable) }
        if unavailable { return nil }
        let quoted = paths.map { String(validating: $0.bytes, as: UTF8.self).map(Self.quote) }
        let usable = quoted.indices.filter { quoted[$0] != nil }
        var digests = [[UInt8]?](repeating: nil, count: paths.count)
        let candidates = known.map { [$0] } ?? Self.tools
        for tool in candidates {
            guard !usable.isEmpty else { return (tool.algorithm, digests) }
            let command = tool.command + " -- " + usable.compactMap { quoted[$0] }.joined(separator: " ")
            let output: (stdout: [UInt8], stderr: [UInt8], exit: RemoteExit)
            do { output = try await client.exec(command, timeout: .seconds(600)) } catch {
                state.update { $0.unavailable = true }
                return nil
            }
            if output.exit == .status(127) { continue }  // no such command: the next tool
            state.update { $0.tool = tool }
            guard output.exit == .status(0), let lines = Self.parse(output.stdout, tool.algorithm), lines.count == usable.count else {
                return (tool.algorithm, digests)
            }
            for (index, digest) in zip(usable, lines) { digests[index] = digest }
            return (tool.algorithm, digests)
        }
        state.update { $0.unavailable = true }
        return nil
    }

    /// `text` single-quoted for a POSIX shell.
    static func quote(_ text: String) -> String {
        var quoted = "'"
        for character in text {
            if character == "'" { quoted += "'\\''" } else { quoted.append(character) }
        }
        return quoted + "'"
    }

    /// The digests of `sha256sum`-style output, one per line: hex digest,
    /// two characters, the name; a line for a name holding `\` or a
    /// newline starts with `\` and escapes the name, so it stays one line.
    /// Nil when any line is not of that form.
    static func parse(_ output: [UInt8], _ algorithm: SyncHashAlgorithm) -> [[UInt8]]? {
        let hexLength = algorithm == .sha256 ? 64 : 40
        var digests: [[UInt8]] = []
        for line in output.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var hex = line[...]
            if hex.first == UInt8(ascii: "\\") { hex = hex.dropFirst() }
            guard hex.count >= hexLength else { return nil }
            var digest: [UInt8] = []
            digest.reserveCapacity(hexLength / 2)
            var index = hex.startIndex
            for _ in 0..<(hexLength / 2) {
                guard let high = Self.nibble(hex[index]), let low = Self.nibble(hex[index + 1]) else { return nil }
                digest.append(high << 4 | low)
                index += 2
            }
            digests.append(digest)
        }
        return digests
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
