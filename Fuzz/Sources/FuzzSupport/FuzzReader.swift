/// FuzzReader takes structured choices (flags, small lengths) from the front
/// of a fuzz input, so one input can both pick a code path and carry the
/// bytes for it. Reading past the end yields zeros, never a trap.
public struct FuzzReader {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remaining: Int { max(0, bytes.count - offset) }

    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func uint16() -> Int { Int(byte()) << 8 | Int(byte()) }

    /// Up to `count` bytes.
    public mutating func take(_ count: Int) -> [UInt8] {
        let n = max(0, min(count, remaining))
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// Everything left.
    public mutating func rest() -> [UInt8] { take(remaining) }

    /// A chunk whose length is a leading uint16.
    public mutating func chunk() -> [UInt8] { take(uint16()) }

    /// Splits what is left at `separator` bytes (like lines).
    public mutating func split(on separator: UInt8) -> [[UInt8]] {
        rest().split(separator: separator, omittingEmptySubsequences: false).map(Array.init)
    }
}
