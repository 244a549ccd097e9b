/// The text forms of a public key that OpenSSH reads and prints.
extension SSHPublicKey {
    /// The fingerprint as `ssh-keygen -l` shows it: "SHA256:" followed by
    /// the unpadded Base64 of SHA-256(blob).
    public var fingerprintSHA256: String {
        "SHA256:" + Base64.encode(HashAlgorithm.sha256.hash(blob), padded: false)
    }

    /// The line of a `.pub` or authorized_keys file: "type base64 comment"
    /// (no comment part when the comment is empty, no trailing newline).
    public var openSSHLine: String {
        let head = keyType + " " + Base64.encode(blob)
        return comment.isEmpty ? head : head + " " + comment
    }

    /// Longest line accepted; a 16384-bit RSA key line is under 3 KiB.
    static let maxLineLength = 16 * 1024

    /// Parses "type base64 [comment]" as in a `.pub` file or an
    /// authorized_keys line without options. Surrounding whitespace is
    /// ignored; the comment is the rest of the line, trimmed. The type word
    /// must match the type inside the blob.
    public init(openSSHLine line: String) throws {
        let bytes = Array(line.utf8)
        guard bytes.count <= Self.maxLineLength else {
            throw CryptoError(.invalidKey, "public key line of \(bytes.count) bytes is too long")
        }
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }
        var index = 0
        func skipBlanks() { while index < bytes.count, isBlank(bytes[index]) { index += 1 } }
        func word() -> ArraySlice<UInt8> {
            let start = index
            while index < bytes.count, !isBlank(bytes[index]) { index += 1 }
            return bytes[start..<index]
        }
        skipBlanks()
        let typeWord = word()
        skipBlanks()
        let encoded = word()
        skipBlanks()
        var end = bytes.count
        while end > index, isBlank(bytes[end - 1]) { end -= 1 }
        let commentBytes = bytes[index..<end]

        guard !typeWord.isEmpty else { throw CryptoError(.invalidKey, "public key line is empty") }
        guard let declared = SSHKeyType(rawValue: String(decoding: typeWord, as: UTF8.self)) else {
            throw CryptoError(.unsupportedAlgorithm, "unsupported public key type \"\(Self.printable(typeWord))\"")
        }
        guard !encoded.isEmpty else {
            throw CryptoError(.invalidKey, "public key line has no key data after \"\(declared.rawValue)\"")
        }
        guard let blob = Base64.decode(encoded) else {
            throw CryptoError(.invalidKey, "public key data is not valid Base64")
        }
        try self.init(blob: blob)
        guard type == declared else {
            throw CryptoError(.invalidKey, "public key line says \(declared.rawValue) but the key is \(type.rawValue)")
        }
        comment = String(decoding: commentBytes, as: UTF8.self)
    }
}
