import NIOCore
import SSHCrypto
import Testing
@testable import SSHCore

/// `PacketFramer.writePacket(into:trailing:_:)` leaves a channel's data out
/// of the packet until the protection seals it from where it lies. The
/// receiving framer must read back exactly the payload a copying writer
/// would have sent, under every construction and with compression, and the
/// data's own buffer must be left as it was.
@Suite struct PacketFramerTrailingDataTests {
    static let constructions: [(CipherAlgorithm, MACAlgorithm?)] = [
        (.aes128GCM, nil), (.aes256GCM, nil), (.chacha20Poly1305, nil),
        (.aes128CTR, .hmacSHA256ETM), (.aes256CTR, .hmacSHA512),
    ]

    static func pair(_ cipher: CipherAlgorithm, _ mac: MACAlgorithm?) throws -> (any PacketProtection, any PacketProtection) {
        func make() throws -> any PacketProtection {
            try PacketProtectionFactory.make(
                cipher: cipher, mac: mac,
                key: SecureBytes((0..<cipher.keyLength).map { UInt8($0) }),
                iv: SecureBytes((0..<cipher.ivLength).map { UInt8(100 + $0) }),
                macKey: mac.map { m in SecureBytes((0..<m.keyLength).map { UInt8(truncatingIfNeeded: 200 + $0) }) })
        }
        return (try make(), try make())
    }

    @Test("the receiver reads what a copying writer would have sent",
          arguments: constructions.indices, [false, true])
    func roundTrip(_ index: Int, _ compressed: Bool) throws {
        let (cipher, mac) = Self.constructions[index]
        let (seal, open) = try Self.pair(cipher, mac)
        var sender = PacketFramer(maximumPacketLength: 1 << 18, allocator: ByteBufferAllocator())
        var receiver = PacketFramer(maximumPacketLength: 1 << 18, allocator: ByteBufferAllocator())
        sender.outboundProtection = seal
        receiver.inboundProtection = open
        if compressed {
            sender.compressor = try ZlibCompressor()
            receiver.decompressor = try ZlibDecompressor()
        }
        // A block the data is sliced from, as an upload's read block is.
        let block = ByteBuffer(bytes: (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
        var out = ByteBuffer()
        var expected: [[UInt8]] = []
        // Data lengths around block and packet boundaries, one empty, and a
        // control message without data between them.
        for (n, length) in [1, 15, 16, 17, 32_768, 0, 65_000, 3].enumerated() {
            let data = block.getSlice(at: n * 7, length: length)!
            let head: [UInt8] = [94, 0, 0, 0, UInt8(n), 0, 0, UInt8(length >> 8), UInt8(length & 0xFF)]
            try sender.writePacket(into: &out, trailing: data) { $0.writeBytes(head) }
            expected.append(head + Array(data.readableBytesView))
            if n == 3 {
                try sender.writePacket(into: &out) { $0.writeBytes([2, 0, 0, 0, 0]) }
                expected.append([2, 0, 0, 0, 0])
            }
        }
        #expect(block.readableBytes == 100_000)
        #expect(block.getBytes(at: 1000, length: 4) == (1000..<1004).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
        receiver.append(&out)
        var received: [[UInt8]] = []
        while let payload = try receiver.nextPayload() { received.append(Array(payload.readableBytesView)) }
        #expect(received == expected)
        #expect(receiver.bufferedByteCount == 0)
    }
}
