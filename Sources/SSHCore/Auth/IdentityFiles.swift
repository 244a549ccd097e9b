import Foundation
import SSHCrypto

/// IdentityFiles finds and loads the private keys a client offers, in
/// OpenSSH's order: files named with `-i` / IdentityFile, else the defaults
/// `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`. Beside each key it looks for
/// `<key>-cert.pub`, and it pairs `CertificateFile` certificates with the
/// keys they certify, as ssh does.
public enum IdentityFiles {
    public static let defaultNames = ["id_ed25519", "id_ecdsa", "id_rsa"]

    /// Largest key or certificate file read; real ones are a few KiB.
    static let maxFileSize = 1 << 20

    /// One identity that could not be used, and why (for `-v` and warnings).
    public struct Skipped: Sendable {
        public let path: String
        public let reason: String
        /// The key file is readable by others (`KeyFilePermissions`):
        /// `reason` is ssh's UNPROTECTED PRIVATE KEY FILE warning, which ssh
        /// shows for every key file, named or default.
        public var refusedForPermissions = false
    }

    /// A loaded private key, and the certificate it is presented with (if any).
    public struct Identity: Sendable {
        /// The private key file it came from.
        public let path: String
        public let key: SSHPrivateKey
        /// A certificate for `key`: the request carries it instead of the bare public key.
        public let certificate: SSHCertificate?

        /// What UserAuthClient offers for this identity.
        public var credential: UserAuthClient.Credential {
            if let certificate { return .certificate(key, certificate) }
            return .publicKey(key)
        }
    }

    /// Asked for the passphrase of an encrypted key file, with its path;
    /// nil skips that key (the user declined). Called again after a wrong
    /// passphrase, up to the caller's limit.
    public typealias PassphraseProvider = @Sendable (_ path: String) async throws -> SecureBytes?

    /// The key files to try: `explicit`, or the defaults when none were named.
    static func paths(explicit: [String], home: String) -> [String] {
        explicit.isEmpty ? defaultNames.map { "\(home)/.ssh/\($0)" } : explicit.map { ConfigTokens.expandTilde($0, home: home) }
    }

    /// Loads unencrypted keys only (encrypted ones are reported in
    /// `skipped`); see the async overload to ask for passphrases. Missing
    /// default files are silently passed over; a missing or unusable named
    /// file is reported in `skipped`, as ssh warns and goes on.
    public static func load(explicit: [String], home: String = NSHomeDirectory()) -> (keys: [SSHPrivateKey], skipped: [Skipped]) {
        var keys: [SSHPrivateKey] = []
        var skipped: [Skipped] = []
        for path in paths(explicit: explicit, home: home) {
            do {
                guard let text = try readFile(path, required: !explicit.isEmpty, privateKey: true) else { continue }
                keys.append(try PrivateKeyFile.decode(text, passphrase: nil))
            } catch {
                skipped.append(skip(path, error))
            }
        }
        return (keys, skipped)
    }

    /// Loads keys as ssh does: an encrypted file's passphrase is asked of
    /// `passphrase` (never for a plain file), again after a wrong one up to
    /// `maxPassphraseAttempts` times; each key comes with its
    /// `<key>-cert.pub` certificate first, then bare, and each of
    /// `certificateFiles` is paired with the loaded key it certifies.
    ///
    /// - Returns: identities in the order to offer them; `skipped` says why
    ///   a file was not used (missing named file, wrong passphrase, corrupt
    ///   file, a certificate for no loaded key…).
    public static func load(explicit: [String], certificateFiles: [String] = [], home: String = NSHomeDirectory(),
                            passphrase: PassphraseProvider?, maxPassphraseAttempts: Int = 3) async
        -> (identities: [Identity], skipped: [Skipped]) {
        var identities: [Identity] = []
        var skipped: [Skipped] = []
        var keys: [(path: String, key: SSHPrivateKey)] = []
        for path in paths(explicit: explicit, home: home) {
            do {
                guard let text = try readFile(path, required: !explicit.isEmpty, privateKey: true) else { continue }
                if let key = try await decrypt(text, path: path, passphrase: passphrase, attempts: maxPassphraseAttempts) {
                    keys.append((path, key))
                } else {
                    skipped.append(Skipped(path: path, reason: "\(path): no passphrase given; key skipped"))
                }
            } catch {
                skipped.append(skip(path, error))
            }
        }
        var certificates: [String: [SSHCertificate]] = [:]
        for (path, key) in keys {
            let beside = path + "-cert.pub"
            if let certificate = loadCertificate(beside, for: key, required: false, skipped: &skipped) {
                certificates[path, default: []].append(certificate)
            }
        }
        for file in certificateFiles.map({ ConfigTokens.expandTilde($0, home: home) }) {
            guard let certificate = loadCertificate(file, for: nil, required: true, skipped: &skipped) else { continue }
            guard let owner = keys.first(where: { $0.key.publicKey == certificate.publicKey }) else {
                skipped.append(Skipped(path: file, reason: "\(file): certificate is for \(certificate.publicKey.fingerprintSHA256), which no loaded key matches"))
                continue
            }
            if !(certificates[owner.path]?.contains(certificate) ?? false) {
                certificates[owner.path, default: []].append(certificate)
            }
        }
        for (path, key) in keys {
            for certificate in certificates[path] ?? [] {
                identities.append(Identity(path: path, key: key, certificate: certificate))
            }
            identities.append(Identity(path: path, key: key, certificate: nil))
        }
        return (identities, skipped)
    }

    /// The key of `text`, asking for a passphrase only if it is encrypted;
    /// nil when the provider declined.
    private static func decrypt(_ text: String, path: String, passphrase: PassphraseProvider?, attempts: Int) async throws -> SSHPrivateKey? {
        guard try PrivateKeyFile.isEncrypted(text) else { return try PrivateKeyFile.decode(text, passphrase: nil) }
        guard let passphrase else {
            throw CryptoError(.wrongPassphrase, "the key is encrypted and no passphrase can be asked for here")
        }
        var lastError: Error = CryptoError(.wrongPassphrase, "incorrect passphrase")
        for _ in 0..<max(1, attempts) {
            guard let secret = try await passphrase(path) else { return nil }
            do {
                return try PrivateKeyFile.decode(text, passphrase: secret)
            } catch let error as CryptoError where error.code == .wrongPassphrase {
                lastError = error
            }
        }
        throw lastError
    }

    /// A certificate file's certificate; nil (and a `skipped` entry unless
    /// the file is simply absent and optional) when unusable. With `key`,
    /// the certificate must certify it.
    private static func loadCertificate(_ path: String, for key: SSHPrivateKey?, required: Bool, skipped: inout [Skipped]) -> SSHCertificate? {
        do {
            guard let text = try readFile(path, required: required, privateKey: false) else { return nil }
            let certificate = try SSHCertificate(openSSHLine: text)
            guard certificate.kind == .user else {
                skipped.append(Skipped(path: path, reason: "\(path): a host certificate cannot authenticate a user"))
                return nil
            }
            if let key, certificate.publicKey != key.publicKey {
                skipped.append(Skipped(path: path, reason: "\(path): certificate does not match its private key"))
                return nil
            }
            return certificate
        } catch {
            skipped.append(Skipped(path: path, reason: reason(path, error)))
            return nil
        }
    }

    /// The file's text; nil when it is absent and not `required`. A private
    /// key file is refused when others may read it (`KeyFilePermissions`),
    /// judged on the descriptor read from, not by a second look at the path.
    private static func readFile(_ path: String, required: Bool, privateKey: Bool) throws -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let error = errno
            if error == ENOENT {
                if required { throw FileProblem(message: "no such identity: \(path): No such file or directory") }
                return nil
            }
            throw FileProblem(message: "cannot read \(path): \(String(cString: strerror(error)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw FileProblem(message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if privateKey, let warning = KeyFilePermissions.refusal(path: path, mode: status.st_mode, owner: status.st_uid) {
            throw FileProblem(message: warning, badPermissions: true)
        }
        guard status.st_size <= maxFileSize else {
            throw FileProblem(message: "\(path) is too large (\(status.st_size) bytes) to be a key file")
        }
        // Read to EOF, but never past the limit (the file may have grown since fstat).
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while bytes.count <= maxFileSize {
            let n = chunk.withUnsafeMutableBytes { buffer in
                buffer.baseAddress.map { read(descriptor, $0, buffer.count) } ?? 0
            }
            if n > 0 {
                bytes.append(contentsOf: chunk[..<n])
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw FileProblem(message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard bytes.count <= maxFileSize else {
            throw FileProblem(message: "\(path) is too large (more than \(maxFileSize) bytes) to be a key file")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private struct FileProblem: Error {
        let message: String
        var badPermissions = false
    }

    /// The `Skipped` entry for a file that failed with `error`.
    private static func skip(_ path: String, _ error: Error) -> Skipped {
        Skipped(path: path, reason: reason(path, error), refusedForPermissions: (error as? FileProblem)?.badPermissions ?? false)
    }

    private static func reason(_ path: String, _ error: Error) -> String {
        switch error {
        case let problem as FileProblem: problem.message
        case let error as CryptoError: "\(path): \(error.message)"
        default: "\(path): \(error)"
        }
    }
}
