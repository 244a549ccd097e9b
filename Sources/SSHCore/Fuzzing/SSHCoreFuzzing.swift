import NIOCore
import SSHCrypto

/// SSHCoreFuzzing gives the libFuzzer targets in `Fuzz/` a narrow way into
/// parsers that stay internal to SSHCore (the packet framer, KEXINIT,
/// EXT_INFO). It is SPI, not API: only a module that writes
/// `@_spi(Fuzzing) import SSHCore` sees it, and nothing here is reachable
/// from ferry's own code paths.
@_spi(Fuzzing) public enum SSHCoreFuzzing {
    /// Feeds `bytes` to a packet framer whose inbound direction is protected
    /// by `protection` (optionally with zlib decompression, as after
    /// `zlib@openssh.com` is enabled) in chunks whose sizes come from
    /// `chunkSizes` (cycled; 0 means "the rest"), and pulls every payload.
    /// Returns how many payloads came out; throws what the framer throws.
    @discardableResult
    public static func framePackets(
        _ bytes: [UInt8], chunkSizes: [Int], protection: any PacketProtection,
        decompress: Bool, maximumPacketLength: Int = 256 * 1024 + 4096
    ) throws -> Int {
        let allocator = ByteBufferAllocator()
        var framer = PacketFramer(maximumPacketLength: maximumPacketLength, allocator: allocator)
        framer.inboundProtection = protection
        if decompress { framer.decompressor = try ZlibDecompressor(maxOutputPerCall: maximumPacketLength) }
        var payloads = 0
        var offset = 0
        var chunk = 0
        while offset < bytes.count {
            let wanted = chunkSizes.isEmpty ? 0 : chunkSizes[chunk % chunkSizes.count]
            chunk += 1
            let size = wanted <= 0 ? bytes.count - offset : min(wanted, bytes.count - offset)
            var buffer = allocator.buffer(capacity: size)
            buffer.writeBytes(bytes[offset..<(offset + size)])
            offset += size
            framer.append(&buffer)
            while let payload = try framer.nextPayload() {
                payloads += 1
                _ = payload.readableBytes
            }
        }
        return payloads
    }

    /// Decodes an SSH_MSG_KEXINIT payload and runs the negotiation on it as
    /// both sides' offer (the whole-transport target negotiates it against
    /// ferry's real offer).
    public static func decodeKexInit(_ payload: [UInt8]) throws {
        let message = try KexInitMessage.decode(payload)
        _ = AlgorithmOffer(message)
        _ = NegotiatedAlgorithms.guessIsCorrect(client: message, server: message)
        _ = try NegotiatedAlgorithms.negotiate(client: message, server: message)
    }

    /// Decodes an SSH_MSG_EXT_INFO payload.
    @discardableResult
    public static func decodeExtInfo(_ payload: [UInt8]) throws -> Int {
        try SSHTransport.decodeExtInfo(payload).count
    }
}
