import NIOCore
import SSHCrypto

/// PacketFramer is the binary packet protocol (RFC 4253 §6) for one
/// connection: it turns received bytes into payloads and payloads into
/// protected packets, with per-direction sequence numbers, packet protection
/// and optional compression.
///
/// Received packets are verified and decrypted in place inside the inbound
/// buffer and payloads are handed out as slices of it, so the data path makes
/// no copy and no allocation per packet. Outbound payloads are written by the
/// caller straight into the packet being built.
struct PacketFramer {
    /// Protection applied to what we receive; replaced at each NEWKEYS.
    var inboundProtection: any PacketProtection = PlaintextProtection()
    /// Protection applied to what we send; replaced at each NEWKEYS.
    var outboundProtection: any PacketProtection = PlaintextProtection()
    /// Sequence number of the next packet received / sent (RFC 4253 §6.4).
    var inboundSequence: UInt32 = 0
    var outboundSequence: UInt32 = 0
    /// Largest `packet_length` accepted from the peer.
    let maximumPacketLength: Int
    var decompressor: ZlibDecompressor?
    var compressor: ZlibCompressor?

    /// Bytes and packets since the last key exchange, for rekeying.
    var bytesInSinceKex: UInt64 = 0
    var bytesOutSinceKex: UInt64 = 0
    var packetsInSinceKex: UInt64 = 0
    var packetsOutSinceKex: UInt64 = 0

    private var inbound: ByteBuffer
    /// `packet_length` of the packet being assembled, once decrypted.
    private var pendingLength: UInt32?
    private var compressionScratch: [UInt8] = []
    private var decompressionScratch: [UInt8] = []
    /// Random bytes for packets' padding, drawn 4 KiB at a time: one call
    /// into libcrypto's RNG (which checks for a fork with a getpid system
    /// call each time) per dozens of packets instead of one per packet.
    private var paddingPool: [UInt8] = []
    private var paddingPoolUsed = 0
    static let paddingPoolSize = 4096

    init(maximumPacketLength: Int, allocator: ByteBufferAllocator) {
        self.maximumPacketLength = maximumPacketLength
        self.inbound = allocator.buffer(capacity: 64 * 1024)
    }

    /// Bytes received but not yet turned into packets.
    var bufferedByteCount: Int { inbound.readableBytes }

    /// Appends received bytes.
    mutating func append(_ bytes: inout ByteBuffer) {
        if inbound.readableBytes == 0 {
            inbound.clear()
        } else if inbound.readerIndex > 256 * 1024 && inbound.readerIndex > inbound.readableBytes {
            inbound.discardReadBytes()
        }
        inbound.writeBuffer(&bytes)
    }

    /// Gives `body` the unread input (the identification exchange reads from it).
    mutating func withInbound<R>(_ body: (inout ByteBuffer) throws -> R) rethrows -> R {
        try body(&inbound)
    }

    /// The next payload, or nil if no complete packet has arrived yet.
    mutating func nextPayload() throws -> ByteBuffer? {
        let protection = inboundProtection
        let length: UInt32
        if let pending = pendingLength {
            length = pending
        } else {
            guard inbound.readableBytes >= protection.lengthPrefixSize else { return nil }
            let sequence = inboundSequence
            length = try inbound.withUnsafeMutableReadableBytes { bytes in
                try protection.decryptLength(
                    UnsafeMutableRawBufferPointer(rebasing: bytes[0..<protection.lengthPrefixSize]), sequenceNumber: sequence)
            }
            do {
                try protection.validatePacketLength(length, maximum: maximumPacketLength)
            } catch let error as CryptoError {
                throw SSHError(.protocolError, "bad packet length from the server: \(error.message)")
            }
            pendingLength = length
        }
        let total = 4 + Int(length) + protection.tagLength
        guard inbound.readableBytes >= total else { return nil }
        let sequence = inboundSequence
        do {
            try inbound.withUnsafeMutableReadableBytes { bytes in
                try protection.open(UnsafeMutableRawBufferPointer(rebasing: bytes[0..<total]), sequenceNumber: sequence)
            }
        } catch let error as CryptoError where error.code == .authenticationFailed {
            throw SSHError(.integrityFailure, "corrupted MAC on input (packet \(sequence)): \(error.message)")
        }
        pendingLength = nil
        let packetStart = inbound.readerIndex
        guard let padding = inbound.getInteger(at: packetStart + 4, as: UInt8.self),
              padding >= 4, Int(padding) < Int(length) else {
            throw SSHError(.protocolError, "invalid padding in packet \(sequence) from the server")
        }
        let payloadLength = Int(length) - 1 - Int(padding)
        guard var payload = inbound.getSlice(at: packetStart + 5, length: payloadLength) else {
            throw SSHError(.protocolError, "packet \(sequence) is shorter than its header says")
        }
        inbound.moveReaderIndex(forwardBy: total)
        inboundSequence &+= 1
        bytesInSinceKex &+= UInt64(total)
        packetsInSinceKex &+= 1
        if let decompressor {
            decompressionScratch.removeAll(keepingCapacity: true)
            do {
                try payload.withUnsafeReadableBytes { try decompressor.decompress($0, appendingTo: &decompressionScratch) }
            } catch let error as CryptoError {
                throw SSHError(.protocolError, "cannot decompress packet \(sequence): \(error.message)")
            }
            payload.clear()
            payload.writeBytes(decompressionScratch)
        }
        return payload
    }

    /// Appends one packet to `out`, whose payload `writePayload` writes,
    /// followed by the readable bytes of `trailing`.
    ///
    /// `trailing` (a channel's data) is not copied into `out` first: its
    /// place is left open and the protection encrypts it straight from
    /// `trailing` into the packet (`PacketProtection.seal(_:filling:from:
    /// sequenceNumber:)`), one pass over bulk data instead of two. With
    /// compression on it is copied in, as the compressor needs the payload
    /// whole.
    mutating func writePacket(into out: inout ByteBuffer, trailing: ByteBuffer? = nil,
                              _ writePayload: (inout ByteBuffer) throws -> Void) throws {
        let protection = outboundProtection
        let start = out.writerIndex
        out.writeInteger(UInt32(0))  // packet_length, patched below
        out.writeInteger(UInt8(0))  // padding_length, patched below
        try writePayload(&out)
        // Where `trailing` goes, relative to `start`, while it is not yet written.
        var gap: Range<Int>?
        if let trailing, trailing.readableBytes > 0 {
            if compressor != nil {
                out.writeImmutableBuffer(trailing)
            } else {
                let count = trailing.readableBytes
                // Room for the padding and tag too, grown as writes grow a
                // buffer (to a power of two), not to the byte: an exact
                // reservation would be outgrown by the padding at once.
                let needed = out.writerIndex + count + 255 + 64
                if out.capacity < needed { out.reserveCapacity(1 << (Int.bitWidth - (needed - 1).leadingZeroBitCount)) }
                let gapStart = out.writerIndex - start
                out.moveWriterIndex(forwardBy: count)
                gap = gapStart..<(gapStart + count)
            }
        }
        var payloadLength = out.writerIndex - start - 5
        if let compressor {
            compressionScratch.removeAll(keepingCapacity: true)
            let offset = start + 5 - out.readerIndex
            try out.withUnsafeReadableBytes { bytes in
                try compressor.compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + payloadLength)]),
                                        appendingTo: &compressionScratch)
            }
            out.moveWriterIndex(to: start + 5)
            out.writeBytes(compressionScratch)
            payloadLength = compressionScratch.count
        }
        let padding = protection.paddingLength(forPayloadLength: payloadLength)
        let packetLength = 1 + payloadLength + padding
        guard packetLength <= Int(UInt32.max) else {
            throw SSHError(.protocolError, "payload of \(payloadLength) bytes is too large for one packet")
        }
        if paddingPool.count - paddingPoolUsed < padding {
            // Refilled in place: one array for the framer's life.
            if paddingPool.count < max(Self.paddingPoolSize, padding) {
                paddingPool = [UInt8](repeating: 0, count: max(Self.paddingPoolSize, padding))
            }
            try paddingPool.withUnsafeMutableBytes { try SecureRandom.fill($0) }
            paddingPoolUsed = 0
        }
        out.writeBytes(paddingPool[paddingPoolUsed..<(paddingPoolUsed + padding)])
        paddingPoolUsed += padding
        out.writeRepeatingByte(0, count: protection.tagLength)
        out.setInteger(UInt32(packetLength), at: start)
        out.setInteger(UInt8(padding), at: start + 4)
        let total = 4 + packetLength + protection.tagLength
        let sequence = outboundSequence
        let offset = start - out.readerIndex
        try out.withUnsafeMutableReadableBytes { bytes in
            let packet = UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + total)])
            if let gap, let trailing {
                try trailing.withUnsafeReadableBytes { source in
                    try protection.seal(packet, filling: gap, from: source, sequenceNumber: sequence)
                }
            } else {
                try protection.seal(packet, sequenceNumber: sequence)
            }
        }
        outboundSequence &+= 1
        bytesOutSinceKex &+= UInt64(total)
        packetsOutSinceKex &+= 1
    }
}
