import CLibcrypto

/// SecureBytes holds a secret (a key, a shared secret, a password) in memory
/// that is wiped when the last reference goes away.
///
/// Swift arrays may be copied and freed without being cleared; secrets live
/// here instead so their lifetime ends with a zeroing.
public final class SecureBytes: @unchecked Sendable {
    // Immutable after init: safe to share between threads.
    private let storage: UnsafeMutableRawBufferPointer

    /// Copies `bytes`; the caller should wipe its own copy (see `Array.wipe()`).
    public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        UnsafeMutableRawBufferPointer(rebasing: storage[0..<bytes.count]).copyBytes(from: bytes)
        count = bytes.count
    }

    /// Fills `count` bytes by calling `body` once on the storage.
    public init(count: Int, initializer body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        storage = .allocate(byteCount: max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        self.count = count
        // Every stored property is set, so if `body` throws, Swift releases the
        // half-made object and deinit wipes and frees the storage. Freeing it
        // here as well would be a double free.
        try body(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    public let count: Int

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// A copy as an ordinary array, for APIs that need one; wipe it after use.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// A new SecureBytes holding `self[range]`; the range is clamped.
    public func slice(_ range: Range<Int>) -> SecureBytes {
        let lower = max(0, min(range.lowerBound, count))
        let upper = max(lower, min(range.upperBound, count))
        return withUnsafeBytes { SecureBytes($0[lower..<upper]) }
    }

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }
}

extension Array where Element == UInt8 {
    /// Overwrites the array's bytes with zeros in a way the optimizer keeps.
    public mutating func wipe() {
        withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }
}

/// Compares two byte sequences in time that depends only on their lengths.
public func constantTimeEquals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    return CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
}

public func constantTimeEquals<A: ContiguousBytes, B: ContiguousBytes>(_ a: A, _ b: B) -> Bool {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in constantTimeEquals(pa, pb) } }
}

/// Types whose bytes can be borrowed contiguously (arrays, slices, SecureBytes).
public protocol ContiguousBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}
extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension SecureBytes: ContiguousBytes {}
