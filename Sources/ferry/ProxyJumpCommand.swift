import Foundation

/// ProxyJumpCommand turns `ProxyJump` / `-J` into the ProxyCommand that ssh
/// itself builds for it: this program, in `proxy -W host:port` mode, to the
/// last jump host, with the earlier hops passed on with `-J`. Each hop is
/// then a connection of its own, verified and authenticated as its own host.
enum ProxyJumpCommand {
    /// One `[user@]host[:port]` (or `ssh://[user@]host[:port]`) hop.
    struct Hop: Equatable {
        let user: String?
        let host: String
        let port: Int?

        init(_ text: String) throws {
            var rest = Substring(text)
            if rest.hasPrefix("ssh://") { rest = rest.dropFirst(6) }
            if let at = rest.lastIndex(of: "@") {
                user = String(rest[..<at])
                rest = rest[rest.index(after: at)...]
            } else {
                user = nil
            }
            var portText: Substring?
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw ProxyJumpError("bad jump host \"\(text)\"") }
                host = String(rest[rest.index(after: rest.startIndex)..<close])
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw ProxyJumpError("bad jump host \"\(text)\"") }
            } else if let colon = rest.lastIndex(of: ":") {
                host = String(rest[..<colon])
                portText = rest[rest.index(after: colon)...]
            } else {
                host = String(rest)
            }
            if let portText {
                guard let p = Int(portText), (1...65535).contains(p) else { throw ProxyJumpError("bad port in jump host \"\(text)\"") }
                port = p
            } else {
                port = nil
            }
            guard !host.isEmpty, !(user ?? "x").isEmpty, !host.hasPrefix("-") else { throw ProxyJumpError("bad jump host \"\(text)\"") }
        }
    }

    struct ProxyJumpError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The command line for `jump` (comma-separated hops) to reach host:port.
    static func command(jump: String, configFile: String?, verbosity: Int, quiet: Bool) throws -> String {
        let hops = try jump.split(separator: ",", omittingEmptySubsequences: false).map { try Hop(String($0)) }
        guard let last = hops.last else { throw ProxyJumpError("empty ProxyJump") }
        var args = [executablePath(), "proxy", "-W", "[%h]:%p"]
        if let user = last.user { args += ["-o", "User=\(user)"] }
        if let port = last.port { args += ["-P", String(port)] }
        let earlier = jump.split(separator: ",").dropLast()
        if !earlier.isEmpty { args += ["-J", earlier.joined(separator: ",")] }
        if let configFile { args += ["-F", configFile] }
        if verbosity > 0 { args.append("-" + String(repeating: "v", count: min(verbosity, 3))) }
        if quiet { args.append("-q") }
        args.append(last.host)
        // The tokens (%h, %p) must survive shell quoting: quote everything
        // else, and leave "[%h]:%p" for ProxyCommand token expansion.
        return args.map { $0 == "[%h]:%p" ? "'[%h]:%p'" : shellQuote($0) }.joined(separator: " ")
    }

    /// Quotes `s` for /bin/sh, and doubles `%` so token expansion leaves it alone.
    static func shellQuote(_ s: String) -> String {
        let escaped = s.replacingOccurrences(of: "%", with: "%%")
        if !escaped.isEmpty && escaped.allSatisfy({ $0.isLetter || $0.isNumber || "/._-=@:,+".contains($0) }) { return escaped }
        return "'" + escaped.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// This program's own path, so the proxy runs the same ferry.
    static func executablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments.first ?? "ferry"
    }
}
