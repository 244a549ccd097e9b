/// The `-cert.pub` text form of a certificate: "type base64 [comment]", as
/// `ssh-keygen -s` writes it.
extension SSHCertificate {
    /// The line of a `-cert.pub` file (no trailing newline).
    public var openSSHLine: String {
        let head = certificateType + " " + Base64.encode(blob)
        return comment.isEmpty ? head : head + " " + comment
    }

    /// Parses the first non-blank, non-comment line of a `-cert.pub` file.
    /// The type word must be the certificate type inside the blob.
    ///
    /// - Throws: `.unsupportedAlgorithm` for a certificate type ferry does
    ///   not know, `.invalidKey` for anything malformed.
    public init(openSSHLine text: String) throws {
        guard text.utf8.count <= Self.maxBlobLength * 2 else {
            throw CryptoError(.invalidKey, "certificate file of \(text.utf8.count) bytes is too large")
        }
        let line = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingBlanks }
            .first { !$0.isEmpty && !$0.hasPrefix("#") } ?? ""
        let words = line.split(maxSplits: 2, whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2 else {
            throw CryptoError(.invalidKey, "certificate line needs a type and Base64 data")
        }
        guard let blob = Base64.decode(Array(words[1].utf8)) else {
            throw CryptoError(.invalidKey, "certificate data is not valid Base64")
        }
        try self.init(blob: blob)
        guard words[0] == certificateType else {
            throw CryptoError(.invalidKey, "certificate line says \(SSHPublicKey.printable(words[0].utf8)) but the certificate is \(certificateType)")
        }
        comment = words.count > 2 ? String(words[2].trimmingBlanks) : ""
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line ends.
    var trimmingBlanks: Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        let text = Substring(self)
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else {
            return ""
        }
        return text[first...last]
    }
}
