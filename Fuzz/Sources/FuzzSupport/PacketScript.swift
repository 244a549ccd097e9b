import SSHCrypto
@_spi(Fuzzing) import SSHCore

/// PacketScript turns a fuzz input into bytes "from the server" for the
/// packet framer under one packet protection with fixed keys, and runs them.
///
/// Random ciphertext almost never passes a MAC, so most inputs would only
/// exercise the length checks. The input is therefore a script: after a
/// flags byte, records that are either raw bytes (spliced in as they are:
/// truncated packets, garbage lengths, flipped tags) or packets sealed with
/// the same keys, whose `packet_length`, padding byte and body the fuzzer
/// chooses. The sealed ones pass the MAC, so the padding and payload checks
/// and zlib decompression behind it are reached too.
///
/// Layout: `flags` (bit 0: zlib inbound; bits 1-3: variant, e.g. which MAC;
/// bits 4-7: chunk size for feeding), then records `kind` (even: sealed,
/// odd: raw), `uint16 length`, `length` bytes. A sealed record's first byte
/// is added to the true padding_length (0: a well-formed packet), its second
/// picks a deliberately short or misaligned packet_length (low 2 bits), the
/// rest is the payload.
public enum PacketScript {
    public static let key = [UInt8](repeating: 0x4b, count: 64)
    public static let iv = [UInt8](repeating: 0x1f, count: 16)
    public static let macKey = [UInt8](repeating: 0x3c, count: 64)

    /// Builds the two directions (sealer, opener) of one protection.
    public typealias Factory = (_ variant: Int) throws -> (seal: any PacketProtection, open: any PacketProtection)

    public static func make(cipher: CipherAlgorithm, mac: MACAlgorithm?) throws -> (seal: any PacketProtection, open: any PacketProtection) {
        func one() throws -> any PacketProtection {
            try PacketProtectionFactory.make(
                cipher: cipher, mac: mac,
                key: SecureBytes(key.prefix(cipher.keyLength)), iv: SecureBytes(iv.prefix(cipher.ivLength)),
                macKey: mac.map { SecureBytes(macKey.prefix($0.keyLength)) })
        }
        return (try one(), try one())
    }

    public static func run(_ input: [UInt8], factory: Factory) {
        var reader = FuzzReader(input)
        let flags = reader.byte()
        let decompress = flags & 1 != 0
        let variant = Int(flags >> 1) & 7
        let chunkSize = Int(flags >> 4)
        guard let (sealer, opener) = try? factory(variant) else { return }
        let stream = buildStream(&reader, sealer: sealer)
        // Chunk sizes: 0 means "all at once"; otherwise 1..15 bytes at a time
        // then the rest, which exercises reassembly across appends.
        let chunks = chunkSize == 0 ? [0] : [chunkSize, 1, chunkSize * 7]
        _ = try? SSHCoreFuzzing.framePackets(stream, chunkSizes: chunks, protection: opener, decompress: decompress)
    }

    /// The bytes of the records left in `reader`: raw ones as they are,
    /// the others sealed by `sealer` in sequence.
    public static func buildStream(_ reader: inout FuzzReader, sealer: any PacketProtection) -> [UInt8] {
        var stream: [UInt8] = []
        var sequence: UInt32 = 0
        while !reader.isAtEnd {
            let kind = reader.byte()
            let body = reader.chunk()
            if kind & 1 == 1 {
                stream += body
                continue
            }
            if let packet = seal(body, with: sealer, sequence: sequence) {
                stream += packet
                sequence &+= 1
            }
        }
        return stream
    }

    /// A packet with the fuzzer's padding byte and payload, aligned as the
    /// protection needs and sealed, or nil if the protection refuses it.
    static func seal(_ record: [UInt8], with protection: any PacketProtection, sequence: UInt32) -> [UInt8]? {
        var reader = FuzzReader(record)
        let paddingByte = reader.byte()
        let tweak = Int(reader.byte() & 3)
        let payload = reader.rest()
        let headerAligned = protection.lengthIsAuthenticatedData ? 0 : 4
        var length = 1 + payload.count + 4
        let block = protection.blockSize
        length += (block - (headerAligned + length) % block) % block
        // A tweak makes a length that is too short or misaligned on purpose.
        if tweak == 1 { length = max(0, length - block) }
        if tweak == 2 { length += 1 }
        var packet = [UInt8](repeating: 0, count: 4 + length + protection.tagLength)
        packet[0] = UInt8(truncatingIfNeeded: length >> 24)
        packet[1] = UInt8(truncatingIfNeeded: length >> 16)
        packet[2] = UInt8(truncatingIfNeeded: length >> 8)
        packet[3] = UInt8(truncatingIfNeeded: length)
        let copied = payload.prefix(max(0, length - 1))
        // The padding byte is an offset from the true padding length, so 0
        // makes a well-formed packet and anything else a lying one.
        if length > 0 { packet[4] = UInt8(truncatingIfNeeded: length - 1 - copied.count + Int(paddingByte)) }
        for (i, byte) in copied.enumerated() { packet[5 + i] = byte }
        do {
            try packet.withUnsafeMutableBytes { try protection.seal($0, sequenceNumber: sequence) }
        } catch {
            // The sealer refuses lengths it cannot align; send them unsealed
            // so the opener sees them anyway.
            return packet
        }
        return packet
    }
}
