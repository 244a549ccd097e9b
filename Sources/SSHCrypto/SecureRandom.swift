import CLibcrypto

/// SecureRandom draws bytes from libcrypto's CSPRNG (seeded by the OS).
public enum SecureRandom {
    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        guard buffer.count <= Int(Int32.max) else {
            throw CryptoError(.invalidLength, "random request of \(buffer.count) bytes is too large")
        }
        try check(RAND_bytes(base.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)), "RAND_bytes")
    }

    /// Returns `count` random bytes.
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(count, 0))
        try out.withUnsafeMutableBytes { try fill($0) }
        return out
    }

    /// A uniformly random integer in `0..<upperBound` (upperBound > 0).
    public static func uniform(_ upperBound: UInt32) throws -> UInt32 {
        guard upperBound > 1 else { return 0 }
        let limit = UInt32.max - UInt32.max % upperBound
        while true {
            var value: UInt32 = 0
            try withUnsafeMutableBytes(of: &value) { try fill($0) }
            if value < limit { return value % upperBound }
        }
    }
}
