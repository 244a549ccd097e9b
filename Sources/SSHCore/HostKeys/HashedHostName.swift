import SSHCrypto

/// HashedHostName is a known_hosts host field written by `HashKnownHosts yes`
/// or `ssh-keygen -H`: `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, so the
/// file does not reveal which hosts the user connects to.
///
/// Matching recomputes the field from the salt and compares the whole text,
/// as OpenSSH's hostfile.c does: one hashed field stands for exactly one
/// name (`host` or `[host]:port`), with no lists or wildcards.
struct HashedHostName: Sendable, Hashable {
    /// The prefix of a hashed field ("version 1": HMAC-SHA1).
    static let magic = Array("|1|".utf8)
    /// Salt and HMAC are both SHA-1 sized.
    static let saltLength = 20
    /// OpenSSH refuses a Base64 salt longer than this.
    static let maxEncodedSaltLength = 1024

    let salt: [UInt8]
    /// The field exactly as written.
    let field: [UInt8]

    /// Parses a field that starts with `|`; nil if it is not a well-formed
    /// `|1|salt|hash` field with a 20-byte salt (OpenSSH's extract_salt
    /// rejects those as a "bad host hash").
    init?(field: some Collection<UInt8>) {
        let field = Array(field)
        guard field.starts(with: Self.magic) else { return nil }
        let rest = field[Self.magic.count...]
        guard let delimiter = rest.firstIndex(of: UInt8(ascii: "|")) else { return nil }
        let encodedSalt = rest[rest.startIndex..<delimiter]
        guard !encodedSalt.isEmpty, encodedSalt.count <= Self.maxEncodedSaltLength,
              let salt = Base64.decode(encodedSalt), salt.count == Self.saltLength
        else { return nil }
        self.salt = salt
        self.field = field
    }

    /// Whether this field is the hash of `name` (compared byte for byte, not
    /// lower-cased: callers hash the name in the form it is written in).
    func matches(_ name: some Collection<UInt8>) -> Bool {
        Self.encode(name: Array(name), salt: salt).elementsEqual(field)
    }

    /// The hashed field for `name` with `salt`.
    static func encode(name: [UInt8], salt: [UInt8]) -> [UInt8] {
        let mac = HMAC(.sha1, key: salt).authenticate(name)
        return magic + Array(Base64.encode(salt).utf8) + [UInt8(ascii: "|")] + Array(Base64.encode(mac).utf8)
    }

    /// The hashed field for `name` with a fresh random salt.
    static func make(name: String) throws -> String {
        let salt = try SecureRandom.bytes(saltLength)
        return String(decoding: encode(name: Array(name.utf8), salt: salt), as: UTF8.self)
    }
}
