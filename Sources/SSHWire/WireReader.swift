/// WireReader decodes the SSH data types of RFC 4251 §5 from a byte array.
///
/// Every read checks the remaining length before touching memory and throws a
/// `WireError` when the input is short or malformed, so no input can make it
/// trap. Strings are returned as slices of the underlying array (no copy); the
/// caller copies only what it keeps.
public struct WireReader: Sendable {
    /// The bytes being read; indices `position..<end` are still unread.
    public let bytes: [UInt8]
    /// Index of the next unread byte.
    public private(set) var position: Int
    /// One past the last byte this reader may read.
    public let end: Int

    /// Largest string a reader accepts unless told otherwise; SSH packets
    /// never carry more than this (OpenSSH caps packets at 256 KiB).
    public static let defaultMaxStringLength = 1 << 20

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
        self.end = bytes.count
    }

    /// A reader over `bytes[range]`; the range is clamped to the array.
    public init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        let lower = max(0, min(range.lowerBound, bytes.count))
        self.position = lower
        self.end = max(lower, min(range.upperBound, bytes.count))
    }

    public init(_ slice: ArraySlice<UInt8>) {
        self.init(Array(slice))
    }

    /// Number of bytes not read yet.
    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }

    /// Throws `trailingBytes` unless everything was read.
    public func expectEnd(_ what: @autoclosure () -> String = "message") throws {
        if position != end {
            throw WireError(.trailingBytes, "\(what()) has \(end - position) unexpected trailing byte(s)")
        }
    }

    private func need(_ count: Int, _ what: @autoclosure () -> String) throws {
        if count < 0 || count > end - position {
            throw WireError(.truncated, "truncated \(what()): need \(count) byte(s), \(end - position) left")
        }
    }

    public mutating func readByte() throws -> UInt8 {
        try need(1, "byte")
        defer { position += 1 }
        return bytes[position]
    }

    /// RFC 4251: any non-zero value is TRUE.
    public mutating func readBool() throws -> Bool {
        try need(1, "boolean")
        defer { position += 1 }
        return bytes[position] != 0
    }

    public mutating func readUInt32() throws -> UInt32 {
        try need(4, "uint32")
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[position + i]) }
        position += 4
        return v
    }

    public mutating func readUInt64() throws -> UInt64 {
        try need(8, "uint64")
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[position + i]) }
        position += 8
        return v
    }

    /// Reads `count` raw bytes as a slice of the underlying array.
    public mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        try need(count, "data")
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// Reads the rest of the input.
    public mutating func readRemaining() -> ArraySlice<UInt8> {
        defer { position = end }
        return bytes[position..<end]
    }

    /// Reads an SSH `string` (uint32 length + bytes) as a slice.
    public mutating func readString(maxLength: Int = WireReader.defaultMaxStringLength) throws -> ArraySlice<UInt8> {
        let start = position
        let length = try readUInt32()
        if Int(length) > maxLength {
            position = start
            throw WireError(.tooLong, "string of \(length) bytes exceeds the limit of \(maxLength)")
        }
        do {
            return try readBytes(Int(length))
        } catch {
            position = start
            throw WireError(.truncated, "truncated string: declares \(length) byte(s), \(end - position - 4) left")
        }
    }

    /// Reads an SSH `string` and decodes it as UTF-8.
    public mutating func readUTF8(maxLength: Int = WireReader.defaultMaxStringLength) throws -> String {
        let raw = try readString(maxLength: maxLength)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw WireError(.invalidText, "string is not valid UTF-8")
        }
        return text
    }

    /// Reads a non-negative `mpint` and returns its magnitude as big-endian
    /// bytes without leading zeros (empty for zero).
    ///
    /// Negative values are rejected: SSH never needs them where ferry reads
    /// mpints (public keys, DH values, signatures). A redundant leading zero is
    /// rejected as RFC 4251 requires, unless `allowNonCanonical` (some
    /// implementations pad ECDSA signature components).
    public mutating func readMPInt(maxBytes: Int = 2049, allowNonCanonical: Bool = false) throws -> [UInt8] {
        let raw = try readString(maxLength: maxBytes)
        guard let first = raw.first else { return [] }
        if first & 0x80 != 0 {
            throw WireError(.negativeInteger, "mpint is negative")
        }
        var body = raw[...]
        if first == 0 {
            guard raw.count > 1 else {
                throw WireError(.nonCanonicalInteger, "mpint zero must be encoded with no bytes")
            }
            let second = raw[raw.startIndex + 1]
            if second & 0x80 == 0 && !allowNonCanonical {
                throw WireError(.nonCanonicalInteger, "mpint has a redundant leading zero byte")
            }
            body = body.drop(while: { $0 == 0 })
        }
        return Array(body)
    }

    /// Reads a `name-list`: comma-separated US-ASCII names, none empty.
    public mutating func readNameList(maxLength: Int = 64 * 1024, maxCount: Int = 1024) throws -> [String] {
        let raw = try readString(maxLength: maxLength)
        if raw.isEmpty { return [] }
        var names: [String] = []
        var current: [UInt8] = []
        for byte in raw {
            if byte == UInt8(ascii: ",") {
                guard !current.isEmpty else {
                    throw WireError(.invalidNameList, "name-list contains an empty name")
                }
                names.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
                if names.count >= maxCount {
                    throw WireError(.invalidNameList, "name-list has more than \(maxCount) names")
                }
            } else if byte <= 0x20 || byte >= 0x7f {
                throw WireError(.invalidNameList, "name-list contains a byte outside printable US-ASCII")
            } else {
                current.append(byte)
            }
        }
        guard !current.isEmpty else {
            throw WireError(.invalidNameList, "name-list ends with an empty name")
        }
        names.append(String(decoding: current, as: UTF8.self))
        return names
    }
}
