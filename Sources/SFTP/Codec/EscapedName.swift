/// EscapedName renders a file name's bytes as text for people: valid UTF-8
/// as it is, every byte that is not part of valid UTF-8 as `\xNN`.
///
/// File names on Linux are bytes, and a server may list names in any
/// encoding. Replacing invalid bytes with U+FFFD (what `String(decoding:)`
/// does) would print two different names the same way; escaping shows what
/// is really there. Only for display: paths always travel as bytes.
public enum EscapedName {
    public static func render(_ bytes: some Sequence<UInt8>) -> String {
        let bytes = Array(bytes)
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var out = ""
        out.reserveCapacity(bytes.count + 8)
        var index = 0
        while index < bytes.count {
            let length = validSequenceLength(bytes, at: index)
            if length == 0 {
                let digits = Array("0123456789abcdef")
                out += "\\x" + String([digits[Int(bytes[index] >> 4)], digits[Int(bytes[index] & 0x0F)]])
                index += 1
            } else {
                out += String(decoding: bytes[index..<(index + length)], as: UTF8.self)
                index += length
            }
        }
        return out
    }

    /// The length of the well-formed UTF-8 sequence at `index` (RFC 3629:
    /// no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
    static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            let (lo, hi): (UInt8, UInt8) = offset == 1 ? (low, high) : (0x80, 0xBF)
            guard byte >= lo, byte <= hi else { return 0 }
        }
        return length
    }
}
