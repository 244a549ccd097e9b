/// PEMArmor reads and writes the "-----BEGIN LABEL-----" text wrapping that
/// OpenSSH uses for private keys (and SSHSIG signatures): Base64 lines
/// between two marker lines.
enum PEMArmor {
    /// Largest armored text accepted: far above any real key (a 16384-bit
    /// RSA key file is about 12 KiB).
    static let maxTextLength = 1 << 20

    static func begin(_ label: String) -> String { "-----BEGIN \(label)-----" }
    static func end(_ label: String) -> String { "-----END \(label)-----" }

    /// Wraps `data` with OpenSSH's 70-column lines, each ending in "\n".
    static func encode(_ data: some Collection<UInt8>, label: String) -> String {
        var body = Array(Base64.encode(data).utf8)
        defer { body.wipe() }
        var text = begin(label) + "\n"
        var start = 0
        while start < body.count {
            let stop = min(start + 70, body.count)
            text += String(decoding: body[start..<stop], as: UTF8.self) + "\n"
            start = stop
        }
        return text + end(label) + "\n"
    }

    /// The bytes between the markers. Blank lines before the BEGIN line and
    /// anything after the END line are ignored; whitespace inside is skipped.
    /// The result may be a secret: the caller wipes it.
    ///
    /// - Throws: `.invalidKeyFile` when the markers are missing or the
    ///   Base64 is invalid.
    static func decode(_ text: String, label: String) throws -> [UInt8] {
        var bytes = Array(text.utf8)
        defer { bytes.wipe() }
        guard bytes.count <= maxTextLength else {
            throw CryptoError(.invalidKeyFile, "key file of \(bytes.count) bytes is too large")
        }
        let beginMarker = Array(begin(label).utf8)
        let endMarker = Array(end(label).utf8)
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }

        var index = 0
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        guard bytes[index...].starts(with: beginMarker) else {
            throw CryptoError(.invalidKeyFile, "not a \(label) file: it does not start with \"\(begin(label))\"")
        }
        index += beginMarker.count
        var body: [UInt8] = []
        body.reserveCapacity(bytes.count)
        defer { body.wipe() }
        while true {
            guard index < bytes.count else {
                throw CryptoError(.invalidKeyFile, "\(label) file is truncated: \"\(end(label))\" is missing")
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "-") {
                guard bytes[index...].starts(with: endMarker) else {
                    throw CryptoError(.invalidKeyFile, "\(label) file has an unexpected \"-\" line")
                }
                break
            }
            if !isSpace(byte) { body.append(byte) }
            index += 1
        }
        guard let decoded = Base64.decode(body) else {
            throw CryptoError(.invalidKeyFile, "\(label) file body is not valid Base64")
        }
        return decoded
    }

    /// The body of a block that may carry RFC 1421 header lines
    /// ("Proc-Type: 4,ENCRYPTED", "DEK-Info: …") before its Base64; nil if
    /// the markers are missing or the Base64 is invalid. The caller wipes it.
    static func decodeWithHeaders(_ text: String, label: String) -> [UInt8]? {
        var bytes = Array(text.utf8)
        defer { bytes.wipe() }
        guard bytes.count <= maxTextLength,
              let start = bytes.firstRange(of: Array(begin(label).utf8)),
              let stop = bytes[start.upperBound...].firstRange(of: Array(end(label).utf8)) else { return nil }
        var body: [UInt8] = []
        defer { body.wipe() }
        for line in bytes[start.upperBound..<stop.lowerBound].split(separator: 0x0a) where !line.contains(UInt8(ascii: ":")) {
            body.append(contentsOf: line.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0d })
        }
        return Base64.decode(body)
    }
}
