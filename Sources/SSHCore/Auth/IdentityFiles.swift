import Foundation
import SSHCrypto

/// IdentityFiles finds and loads the private keys a client offers, in
/// OpenSSH's order: files named with `-i` / IdentityFile, else the defaults
/// `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`.
public enum IdentityFiles {
    public static let defaultNames = ["id_ed25519", "id_ecdsa", "id_rsa"]

    /// One identity that could not be used, and why (for `-v` and warnings).
    public struct Skipped: Sendable {
        public let path: String
        public let reason: String
    }

    /// Expands a leading `~` or `~/` to the user's home directory.
    public static func expandTilde(_ path: String, home: String = NSHomeDirectory()) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + String(path.dropFirst(1)) }
        return path
    }

    /// Loads `explicit` files, or the defaults when none were named. Missing
    /// default files are silently passed over; a missing or unusable named
    /// file is reported in `skipped`, as ssh warns and goes on.
    public static func load(explicit: [String], home: String = NSHomeDirectory()) -> (keys: [SSHPrivateKey], skipped: [Skipped]) {
        let named = !explicit.isEmpty
        let paths = named ? explicit.map { expandTilde($0, home: home) } : defaultNames.map { "\(home)/.ssh/\($0)" }
        var keys: [SSHPrivateKey] = []
        var skipped: [Skipped] = []
        for path in paths {
            guard FileManager.default.fileExists(atPath: path) else {
                if named { skipped.append(Skipped(path: path, reason: "no such identity: \(path): No such file or directory")) }
                continue
            }
            do {
                guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
                    skipped.append(Skipped(path: path, reason: "cannot read \(path)"))
                    continue
                }
                let text = String(decoding: data, as: UTF8.self)
                keys.append(try OpenSSHPrivateKeyFile.decode(text))
            } catch let error as CryptoError {
                skipped.append(Skipped(path: path, reason: "\(path): \(error.message)"))
            } catch {
                skipped.append(Skipped(path: path, reason: "\(path): \(error)"))
            }
        }
        return (keys, skipped)
    }
}
