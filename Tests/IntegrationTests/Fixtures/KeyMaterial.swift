import Foundation

/// SSHKeyType is a key algorithm and size the fixtures generate, for host
/// keys and for client keys.
enum SSHKeyType: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// Ed25519 (RFC 8709).
    case ed25519
    /// ECDSA on NIST P-256 (RFC 5656).
    case ecdsaP256
    /// ECDSA on NIST P-384.
    case ecdsaP384
    /// ECDSA on NIST P-521.
    case ecdsaP521
    /// RSA with a 3072-bit modulus (signed with rsa-sha2-256/512, RFC 8332).
    case rsa3072

    var description: String { rawValue }

    /// The key's type name in public-key blobs and known_hosts lines.
    var keyTypeName: String {
        switch self {
        case .ed25519: "ssh-ed25519"
        case .ecdsaP256: "ecdsa-sha2-nistp256"
        case .ecdsaP384: "ecdsa-sha2-nistp384"
        case .ecdsaP521: "ecdsa-sha2-nistp521"
        case .rsa3072: "ssh-rsa"
        }
    }

    /// The strongest signature algorithm for this key (what to put in
    /// HostKeyAlgorithms to make a server use it).
    var signatureAlgorithm: String {
        self == .rsa3072 ? "rsa-sha2-512" : keyTypeName
    }

    fileprivate var sshKeygenArguments: [String] {
        switch self {
        case .ed25519: ["-t", "ed25519"]
        case .ecdsaP256: ["-t", "ecdsa", "-b", "256"]
        case .ecdsaP384: ["-t", "ecdsa", "-b", "384"]
        case .ecdsaP521: ["-t", "ecdsa", "-b", "521"]
        case .rsa3072: ["-t", "rsa", "-b", "3072"]
        }
    }

    fileprivate var dropbearkeyArguments: [String] {
        switch self {
        case .ed25519: ["-t", "ed25519"]
        case .ecdsaP256: ["-t", "ecdsa", "-s", "256"]
        case .ecdsaP384: ["-t", "ecdsa", "-s", "384"]
        case .ecdsaP521: ["-t", "ecdsa", "-s", "521"]
        case .rsa3072: ["-t", "rsa", "-s", "3072"]
        }
    }
}

/// SSHPublicKey is a public key as OpenSSH writes it: type name and base64
/// blob.
struct SSHPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The key type name ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa").
    var keyTypeName: String
    /// The base64 of the public-key blob (RFC 4253 §6.6).
    var base64: String

    /// "<type> <base64>", the form of authorized_keys and known_hosts lines.
    var openSSHLine: String { "\(keyTypeName) \(base64)" }
    /// The public-key blob.
    var blob: [UInt8] { Data(base64Encoded: base64).map { [UInt8]($0) } ?? [] }

    var description: String { openSSHLine }

    /// Parses the first "<type> <base64> [comment]" line of `text` whose type
    /// is a key type (skips other lines, like dropbearkey's chatter).
    init?(parsing text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2,
                  fields[0].hasPrefix("ssh-") || fields[0].hasPrefix("ecdsa-"),
                  Data(base64Encoded: String(fields[1])) != nil else { continue }
            self.init(keyTypeName: String(fields[0]), base64: String(fields[1]))
            return
        }
        return nil
    }

    init(keyTypeName: String, base64: String) {
        self.keyTypeName = keyTypeName
        self.base64 = base64
    }
}

/// GeneratedKey is a key pair made by a key generator, held in memory so
/// that one generation serves every fixture of the test process.
struct GeneratedKey: Sendable {
    /// Which key this is.
    var type: SSHKeyType
    /// The private key file's bytes (OpenSSH "openssh-key-v1" format from
    /// ssh-keygen, or dropbear's own format from dropbearkey).
    var privateKeyFile: [UInt8]
    /// The public key.
    var publicKey: SSHPublicKey
}

/// KeyGenerator is the program that made a key, which fixes its file format.
enum KeyGenerator: String, Sendable {
    /// OpenSSH's ssh-keygen: keys for sshd and for clients.
    case sshKeygen = "ssh-keygen"
    /// Dropbear's dropbearkey: dropbear reads only its own format.
    case dropbearkey
}

/// KeyMaterial generates keys, and caches one key per generator and type for
/// the whole test process: RSA 3072 takes about a second to generate, and a
/// fresh host key per server proves nothing the cached one does not (each
/// server has its own port, hence its own known_hosts entries). Tests that
/// need a key no fixture uses call `generate` directly.
actor KeyMaterial {
    static let shared = KeyMaterial()

    private var cache: [String: Task<GeneratedKey, Error>] = [:]

    /// The process-wide key of this generator and type.
    func key(_ type: SSHKeyType, by generator: KeyGenerator) async throws -> GeneratedKey {
        let name = "\(generator.rawValue)-\(type.rawValue)"
        if let task = cache[name] { return try await task.value }
        let task = Task { try await Self.generate(type, by: generator) }
        cache[name] = task
        do {
            return try await task.value
        } catch {
            cache[name] = nil
            throw error
        }
    }

    /// A new key, never cached.
    static func generate(_ type: SSHKeyType, by generator: KeyGenerator) async throws -> GeneratedKey {
        let scratch = try FixtureDirectory.create(prefix: "keygen")
        defer { scratch.remove() }
        let path = scratch.file("key")
        let publicText: String
        switch generator {
        case .sshKeygen:
            guard FixtureCommand.locate("ssh-keygen") != nil else {
                throw FixtureError.missingBinary("ssh-keygen", package: "openssh-client")
            }
            try await FixtureCommand.check(
                "ssh-keygen", ["-q"] + type.sshKeygenArguments + ["-N", "", "-C", "ferry-fixture", "-f", path])
            publicText = scratch.read("key.pub") ?? ""
        case .dropbearkey:
            guard FixtureCommand.locate("dropbearkey") != nil else {
                throw FixtureError.missingBinary("dropbearkey", package: "dropbear-bin")
            }
            try await FixtureCommand.check("dropbearkey", type.dropbearkeyArguments + ["-f", path])
            publicText = try await FixtureCommand.check("dropbearkey", ["-y", "-f", path]).stdout
        }
        guard let publicKey = SSHPublicKey(parsing: publicText), publicKey.keyTypeName == type.keyTypeName,
              let privateKey = FileManager.default.contents(atPath: path) else {
            throw FixtureError("\(generator.rawValue) made no usable \(type) key; public part:\n\(publicText)")
        }
        return GeneratedKey(type: type, privateKeyFile: [UInt8](privateKey), publicKey: publicKey)
    }
}

/// ClientKey is a client key pair written into a fixture's directory.
struct ClientKey: Sendable {
    /// The key's type.
    var type: SSHKeyType
    /// The private key file (OpenSSH format, no passphrase, mode 0600).
    var privateKeyPath: String
    /// The public key (also in `privateKeyPath + ".pub"`).
    var publicKey: SSHPublicKey
}

/// The known_hosts text naming `keys` as the keys of 127.0.0.1:`port`
/// ("[127.0.0.1]:port type base64" lines, as ssh writes them for a
/// non-default port).
func knownHostsText(host: String, port: Int, keys: [SSHPublicKey]) -> String {
    let name = port == 22 ? host : "[\(host)]:\(port)"
    return keys.map { "\(name) \($0.openSSHLine)\n" }.joined()
}
