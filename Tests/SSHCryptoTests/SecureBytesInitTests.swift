import Testing
@testable import SSHCrypto

/// A throwing initializer body must not free the storage twice (deinit runs
/// for a fully initialized object whose init throws); key agreements rely on
/// this when a peer value is refused mid-derivation.
@Test func secureBytesInitializerThatThrowsFreesOnce() {
    struct Refused: Error {}
    for _ in 0..<100 {
        #expect(throws: Refused.self) {
            _ = try SecureBytes(count: 32) { buffer in
                buffer.storeBytes(of: 0xAB, toByteOffset: 0, as: UInt8.self)
                throw Refused()
            }
        }
    }
}
