/// Base64 is the RFC 4648 alphabet as OpenSSH uses it: public key lines,
/// fingerprints (unpadded), and the armor of private key files.
///
/// Decoding is strict — no characters outside the alphabet, padding only at
/// the end, unused trailing bits zero (like OpenSSH's b64_pton) — and never
/// traps on any input. Whitespace is the caller's business.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>, padded: Bool = true) -> String {
        // Copies are wiped: the input may be a private key file.
        var input = Array(bytes)
        defer { input.wipe() }
        var out: [UInt8] = []
        defer { out.wipe() }
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest > 0 {
            let v = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            if rest == 2 { out.append(alphabet[Int(v >> 6 & 63)]) }
            if padded { out.append(contentsOf: Array("==".utf8).prefix(3 - rest)) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded or unpadded text; nil if it is not valid Base64.
    /// The result may hold a secret (a key file): the caller wipes it.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var body = Array(text)
        defer { body.wipe() }
        var padding = 0
        while padding < 2, body.last == UInt8(ascii: "=") {
            body.removeLast()
            padding += 1
        }
        if padding > 0 && (body.count + padding) % 4 != 0 { return nil }
        if body.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(body.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for c in body {
            let value = decodeTable[Int(c)]
            if value == 0xff { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        // Leftover bits must be zero, or two encodings would decode the same.
        if accumulator != 0 {
            out.wipe()
            return nil
        }
        accumulator = 0
        return out
    }

    public static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8)) }
}
