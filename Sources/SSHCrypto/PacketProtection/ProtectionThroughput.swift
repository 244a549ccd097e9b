/// ProtectionThroughput measures how fast a packet protection seals and opens
/// packets of a given size in this process — the figure behind `ferry speed`
/// and the Benchmarks comparison with `openssl speed`.
///
/// Each iteration seals a packet and opens it again in place (restoring the
/// plaintext), with the two halves timed separately, so sequence numbers,
/// CTR positions and GCM counters advance exactly as on a live connection.
public enum ProtectionThroughput {
    /// Throughput of one configuration, in megabytes (10^6 bytes) of payload per second.
    public struct Result: Sendable {
        public let cipher: CipherAlgorithm
        public let mac: MACAlgorithm?
        public let payloadSize: Int
        public let packets: Int
        public let sealMBps: Double
        public let openMBps: Double
    }

    public static func measure(
        cipher: CipherAlgorithm, mac: MACAlgorithm?, payloadSize: Int,
        duration: Duration = .milliseconds(500)
    ) throws -> Result {
        let key = SecureBytes(try SecureRandom.bytes(cipher.keyLength))
        let iv = SecureBytes(try SecureRandom.bytes(cipher.ivLength))
        let macKey = try mac.map { SecureBytes(try SecureRandom.bytes($0.keyLength)) }
        let sealer = try PacketProtectionFactory.make(cipher: cipher, mac: cipher.isAEAD ? nil : mac, key: key, iv: iv, macKey: macKey)
        let opener = try PacketProtectionFactory.make(cipher: cipher, mac: cipher.isAEAD ? nil : mac, key: key, iv: iv, macKey: macKey)

        let padding = sealer.paddingLength(forPayloadLength: payloadSize)
        let packetLength = 1 + payloadSize + padding
        var buffer = [UInt8](repeating: 0x5a, count: 4 + packetLength + sealer.tagLength)
        buffer[0] = UInt8(truncatingIfNeeded: packetLength >> 24)
        buffer[1] = UInt8(truncatingIfNeeded: packetLength >> 16)
        buffer[2] = UInt8(truncatingIfNeeded: packetLength >> 8)
        buffer[3] = UInt8(truncatingIfNeeded: packetLength)
        buffer[4] = UInt8(padding)

        let clock = ContinuousClock()
        var sealTime = Duration.zero
        var openTime = Duration.zero
        var packets = 0
        var sequence: UInt32 = 0
        try buffer.withUnsafeMutableBytes { packet in
            let prefix = UnsafeMutableRawBufferPointer(rebasing: packet[0..<opener.lengthPrefixSize])
            while sealTime + openTime < duration || packets < 8 {
                let t0 = clock.now
                try sealer.seal(packet, sequenceNumber: sequence)
                let t1 = clock.now
                _ = try opener.decryptLength(prefix, sequenceNumber: sequence)
                try opener.open(packet, sequenceNumber: sequence)
                let t2 = clock.now
                sealTime += t1 - t0
                openTime += t2 - t1
                packets += 1
                sequence &+= 1
            }
        }
        func mbps(_ d: Duration) -> Double {
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            return seconds > 0 ? Double(payloadSize) * Double(packets) / seconds / 1e6 : 0
        }
        return Result(cipher: cipher, mac: mac, payloadSize: payloadSize, packets: packets,
                      sealMBps: mbps(sealTime), openMBps: mbps(openTime))
    }
}
