/// SCPRecordParser turns one record line (newline removed) into an
/// `SCPRecord`, strictly: anything OpenSSH's sink would call a "protocol
/// screwup" is an `SCPError.badRecord`, and more besides (a mode above
/// 07777, times beyond what a local file can hold). Names are returned as
/// sent; whether they may be used is `SCPName`'s decision.
public enum SCPRecordParser {
    public static func parse<Line: Collection<UInt8>>(_ line: Line) throws -> SCPRecord {
        var cursor = Cursor(Array(line))
        guard let type = cursor.next() else { throw SCPError(.badRecord, "empty record line") }
        switch type {
        case UInt8(ascii: "C"), UInt8(ascii: "D"):
            let what = type == UInt8(ascii: "C") ? "file" : "directory"
            let mode = try cursor.mode(what)
            try cursor.expect(UInt8(ascii: " "), "\(what) record: mode not followed by a space")
            let size = try cursor.number(upTo: SCPProtocol.maxFileSize, "\(what) record: size")
            try cursor.expect(UInt8(ascii: " "), "\(what) record: size not followed by a space")
            let name = cursor.rest
            return type == UInt8(ascii: "C") ? .file(mode: mode, size: size, name: name) : .directory(mode: mode, name: name)
        case UInt8(ascii: "E"):
            guard cursor.atEnd else { throw SCPError(.badRecord, "end-of-directory record with trailing bytes") }
            return .endDirectory
        case UInt8(ascii: "T"):
            let modification = try cursor.number(upTo: UInt64(UInt32.max), "times record: modification time")
            try cursor.expect(UInt8(ascii: " "), "times record: modification time not delimited")
            _ = try cursor.number(upTo: 999_999, "times record: modification microseconds")
            try cursor.expect(UInt8(ascii: " "), "times record: microseconds not delimited")
            let access = try cursor.number(upTo: UInt64(UInt32.max), "times record: access time")
            try cursor.expect(UInt8(ascii: " "), "times record: access time not delimited")
            _ = try cursor.number(upTo: 999_999, "times record: access microseconds")
            guard cursor.atEnd else { throw SCPError(.badRecord, "times record with trailing bytes") }
            return .times(SCPTimes(modification: UInt32(modification), access: UInt32(access)))
        default:
            throw SCPError(.badRecord, "unknown record type \(describe(type))")
        }
    }

    static func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16)
    }

    /// Reads a record line left to right; every read checks before it
    /// converts, so no digit string overflows and nothing traps.
    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var rest: [UInt8] { index < bytes.count ? Array(bytes[index...]) : [] }

        mutating func next() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func expect(_ byte: UInt8, _ message: String) throws {
            guard next() == byte else { throw SCPError(.badRecord, message) }
        }

        /// 3 to 6 octal digits, at most 07777 (OpenSSH sends `%04o`).
        mutating func mode(_ what: String) throws -> UInt32 {
            var value: UInt32 = 0
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[index]), digits < 6 {
                value = value << 3 | UInt32(bytes[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            guard digits >= 3 else { throw SCPError(.badRecord, "\(what) record: bad mode") }
            guard value <= 0o7777 else {
                throw SCPError(.badRecord, "\(what) record: mode 0\(String(value, radix: 8)) outside 07777")
            }
            return value
        }

        /// Decimal digits (no sign, at least one) whose value is at most `limit`.
        mutating func number(upTo limit: UInt64, _ what: String) throws -> UInt64 {
            var value: UInt64 = 0
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                let digit = UInt64(bytes[index] - UInt8(ascii: "0"))
                guard value <= (limit - digit) / 10 else { throw SCPError(.badRecord, "\(what) out of range") }
                value = value * 10 + digit
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw SCPError(.badRecord, "\(what) missing or negative") }
            return value
        }
    }
}
