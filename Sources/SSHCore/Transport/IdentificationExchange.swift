import NIOCore

/// IdentificationExchange reads the peer's identification string (RFC 4253
/// §4.2) from the start of the byte stream.
///
/// A server may send other lines before its `SSH-` line (a banner); those are
/// skipped, within limits (as OpenSSH: 1024 lines of at most 8192 bytes,
/// without NUL or a CR other than the one before LF), so a peer that streams
/// endless text or binary is refused rather than buffered without bound. What follows the identification line is
/// left in the buffer for the packet layer.
struct IdentificationExchange {
    /// Longest identification line (RFC 4253 §4.2: 255 including CR LF).
    static let maxVersionLineLength = 255
    /// Longest pre-identification line we skip, and how many of them.
    static let maxBannerLineLength = 8192
    static let maxBannerLines = 1024

    private var bannerLines = 0

    private static let lineTooLong = SSHError(
        .notSSH, "the server sent a line longer than \(maxBannerLineLength) bytes before its SSH identification: not an SSH server?")
    private static let invalidCharacters = SSHError(
        .notSSH, "the server sent a line with a NUL or a stray CR before its SSH identification: not an SSH server?")

    /// Our identification line, without CR LF.
    static func line(softwareVersion: String, comment: String? = nil) -> String {
        comment.map { "SSH-2.0-\(softwareVersion) \($0)" } ?? "SSH-2.0-\(softwareVersion)"
    }

    /// Consumes lines from `buffer` until the peer's identification line and
    /// returns it (without CR LF), or nil if more bytes are needed.
    mutating func parse(_ buffer: inout ByteBuffer) throws -> String? {
        while true {
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                // Room for the longest line and the CR before its LF.
                if view.count > Self.maxBannerLineLength + 1 { throw Self.lineTooLong }
                // Binary garbage is refused at once rather than after 1024 "lines".
                if view.contains(0) || view.dropLast().contains(UInt8(ascii: "\r")) { throw Self.invalidCharacters }
                return nil
            }
            let lineLength = newline - view.startIndex
            guard var line = buffer.readBytes(length: lineLength + 1) else { return nil }
            line.removeLast()
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.starts(with: Array("SSH-".utf8)) {
                guard line.count <= Self.maxVersionLineLength - 2 else {
                    throw SSHError(.notSSH, "the server's identification line is longer than 253 bytes")
                }
                guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
                    throw SSHError(.notSSH, "the server's identification line contains control or non-ASCII bytes")
                }
                let text = String(decoding: line, as: UTF8.self)
                guard text.hasPrefix("SSH-2.0-") || text.hasPrefix("SSH-1.99-") else {
                    throw SSHError(.notSSH, "the server speaks an unsupported protocol version (\(text)); ferry needs SSH-2.0")
                }
                return text
            }
            // Checked here too: the whole line may have arrived in one read.
            guard line.count <= Self.maxBannerLineLength else { throw Self.lineTooLong }
            // As OpenSSH: no NUL, and CR only right before the LF.
            if line.contains(0) || line.contains(UInt8(ascii: "\r")) { throw Self.invalidCharacters }
            bannerLines += 1
            if bannerLines > Self.maxBannerLines {
                throw SSHError(.notSSH, "the server sent \(Self.maxBannerLines) lines without an SSH identification: not an SSH server?")
            }
        }
    }
}
