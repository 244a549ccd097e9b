/// HMAC (RFC 2104) with the inner and outer pads hashed once at key setup.
///
/// Each message then costs two copies of a small C struct and the hashing
/// itself: no heap allocation, which is what the per-packet MAC needs.
public struct HMAC: @unchecked Sendable {
    // @unchecked: the stored states are plain C structs, copied by value.
    public let algorithm: HashAlgorithm
    private let inner: HashState
    private let outer: HashState

    public init<K: ContiguousBytes>(_ algorithm: HashAlgorithm, key: K) {
        self.algorithm = algorithm
        let blockSize = algorithm.blockSize
        var block = [UInt8](repeating: 0, count: blockSize)
        key.withUnsafeBytes { k in
            if k.count > blockSize {
                var d = Digest(algorithm)
                d.update(k)
                block.withUnsafeMutableBytes { d.finalize(into: $0) }
            } else {
                block.withUnsafeMutableBytes { $0.copyMemory(from: k) }
            }
        }
        var ipad = block.map { $0 ^ 0x36 }
        var opad = block.map { $0 ^ 0x5c }
        var i = HashState(algorithm)
        ipad.withUnsafeBytes { i.update($0) }
        var o = HashState(algorithm)
        opad.withUnsafeBytes { o.update($0) }
        inner = i
        outer = o
        block.wipe()
        ipad.wipe()
        opad.wipe()
    }

    /// Output size in bytes.
    public var length: Int { algorithm.digestSize }

    /// The MAC of the concatenation of `parts`.
    public func authenticate(_ parts: [UInt8]...) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        out.withUnsafeMutableBytes { out in
            var state = inner
            for part in parts { part.withUnsafeBytes { state.update($0) } }
            finish(&state, into: out)
        }
        return out
    }

    /// The per-packet MAC: HMAC(key, uint32 sequenceNumber ‖ data) written
    /// into `out` (exactly `length` bytes).
    @inline(__always)
    func authenticatePacket(sequenceNumber: UInt32, _ data: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        var state = inner
        withUnsafeBytes(of: sequenceNumber.bigEndian) { state.update($0) }
        state.update(data)
        finish(&state, into: out)
    }

    @inline(__always)
    private func finish(_ state: inout HashState, into out: UnsafeMutableRawBufferPointer) {
        // 64 bytes is the largest digest; a tuple keeps it on the stack.
        var digest: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { buffer in
            state.finalize(into: buffer)
            var o = outer
            o.update(UnsafeRawBufferPointer(rebasing: buffer[0..<algorithm.digestSize]))
            o.finalize(into: out)
        }
    }
}
