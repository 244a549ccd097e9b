/// SeededGenerator is SplitMix64: a tiny, fast generator whose output depends
/// only on its seed, on every platform and Swift version (the standard
/// library's generator is neither seedable nor stable). The data sets are
/// built from it, so the same seed gives byte-identical files everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `range`, by the generator's own rule (not the standard
    /// library's `random(in:using:)`, whose algorithm may change).
    public mutating func next(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % span)
    }

    /// Fills `buffer` with pseudo-random bytes (8 at a time, little-endian).
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset + 8 <= buffer.count {
            buffer.storeBytes(of: next().littleEndian, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        if offset < buffer.count {
            var last = next().littleEndian
            withUnsafeBytes(of: &last) { bytes in
                for i in 0..<(buffer.count - offset) { buffer[offset + i] = bytes[i] }
            }
        }
    }
}
