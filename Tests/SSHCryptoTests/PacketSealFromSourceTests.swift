import Testing
@testable import SSHCrypto

/// `seal(_:filling:from:sequenceNumber:)`: a packet whose data bytes are
/// read from another buffer must come out byte for byte as the reference
/// vectors, for every construction (AES-GCM and chacha20-poly1305 encrypt
/// from the source; the others copy it in first), wherever the data starts
/// relative to the cipher's blocks.
@Suite struct PacketSealFromSourceTests {
    func protection(_ v: PacketVector) throws -> any PacketProtection { try v.makeProtection() }

    @Test("data sealed from its own buffer matches the reference", arguments: packetVectors)
    func sealFromSourceMatchesReference(_ v: PacketVector) throws {
        // Gaps that start on, just after and just before a 16-byte block
        // boundary, one of a single byte, one empty, one to the body's end.
        for (start, shortenBy) in [(5, 4), (6, 4), (14, 4), (15, 5), (16, 4), (21, 9), (9, 0)] {
            let sealer = try protection(v)
            for p in v.packets {
                let plain = hex(p.plain)
                let end = plain.count - shortenBy
                guard start <= end else { continue }
                let gap = start..<end
                var buffer = plain + [UInt8](repeating: 0, count: sealer.tagLength)
                // What is in the gap beforehand must not matter.
                for index in gap { buffer[index] = 0xA5 }
                let source = Array(plain[gap])
                try buffer.withUnsafeMutableBytes { packet in
                    try source.withUnsafeBytes {
                        try sealer.seal(packet, filling: gap, from: $0, sequenceNumber: p.sequenceNumber)
                    }
                }
                #expect(hexString(buffer) == p.sealed, "gap \(gap) of packet \(p.sequenceNumber)")
            }
        }
    }

    @Test("a gap outside the payload or of the wrong size is refused", arguments: packetVectors)
    func misfitGapsAreRefused(_ v: PacketVector) throws {
        let sealer = try protection(v)
        let p = v.packets[0]
        let plain = hex(p.plain)
        let body = plain.count
        let cases: [(Range<Int>, Int)] = [
            (0..<8, 8),  // over the length and padding_length fields
            (4..<9, 5),  // over padding_length
            (5..<(body + 1), body - 4),  // into the tag
            (5..<10, 4),  // the source is shorter than the gap
        ]
        for (gap, count) in cases {
            var buffer = plain + [UInt8](repeating: 0, count: sealer.tagLength)
            let source = [UInt8](repeating: 1, count: count)
            #expect(throws: CryptoError(.invalidLength, "")) {
                try buffer.withUnsafeMutableBytes { packet in
                    try source.withUnsafeBytes {
                        try sealer.seal(packet, filling: gap, from: $0, sequenceNumber: p.sequenceNumber)
                    }
                }
            }
        }
    }
}
