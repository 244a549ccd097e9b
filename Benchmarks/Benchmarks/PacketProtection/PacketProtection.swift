import Benchmark
import SSHCrypto

/// Seal + open of one SSH packet per protection and payload size: the
/// per-packet cost of every byte a transfer moves. Throughput is in packets;
/// the malloc counters must stay at zero (no per-packet heap allocation).
let benchmarks: @Sendable () -> Void = {
    let configurations: [(CipherAlgorithm, MACAlgorithm?)] = [
        (.chacha20Poly1305, nil),
        (.aes128GCM, nil),
        (.aes256GCM, nil),
        (.aes128CTR, .hmacSHA256ETM),
        (.aes256CTR, .hmacSHA512ETM),
        (.aes128CTR, .hmacSHA256),
    ]
    for (cipher, mac) in configurations {
        for payloadSize in [32 * 1024, 256 * 1024] {
            let name = (mac.map { "\(cipher.rawValue) \($0.rawValue)" } ?? cipher.rawValue) + " seal+open \(payloadSize / 1024) KiB"
            Benchmark(
                name,
                configuration: .init(
                    metrics: [.throughput, .wallClock, .mallocCountTotal],
                    maxDuration: .seconds(2),
                    maxIterations: 2000
                )
            ) { benchmark in
                let harness = try PacketHarness(cipher: cipher, mac: mac, payloadSize: payloadSize)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    try harness.sealAndOpen()
                }
                benchmark.stopMeasurement()
            }
        }
    }

    // Control: proves the allocation counter is live (must read 1 per iteration).
    Benchmark("control: one heap allocation per iteration",
              configuration: .init(metrics: [.mallocCountTotal], maxIterations: 1000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Array<UInt8>(repeating: 1, count: 4096))
        }
    }
}

/// A sealer/opener pair and one packet buffer, reused for every iteration.
final class PacketHarness {
    let sealer: any PacketProtection
    let opener: any PacketProtection
    let packet: UnsafeMutableRawBufferPointer
    var sequence: UInt32 = 0

    init(cipher: CipherAlgorithm, mac: MACAlgorithm?, payloadSize: Int) throws {
        let key = SecureBytes(try SecureRandom.bytes(cipher.keyLength))
        let iv = SecureBytes(try SecureRandom.bytes(cipher.ivLength))
        let macKey = try mac.map { SecureBytes(try SecureRandom.bytes($0.keyLength)) }
        sealer = try PacketProtectionFactory.make(cipher: cipher, mac: mac, key: key, iv: iv, macKey: macKey)
        opener = try PacketProtectionFactory.make(cipher: cipher, mac: mac, key: key, iv: iv, macKey: macKey)
        let padding = sealer.paddingLength(forPayloadLength: payloadSize)
        let packetLength = 1 + payloadSize + padding
        packet = .allocate(byteCount: 4 + packetLength + sealer.tagLength, alignment: 16)
        packet.initializeMemory(as: UInt8.self, repeating: 0x5a)
        packet.storeBytes(of: UInt32(packetLength).bigEndian, toByteOffset: 0, as: UInt32.self)
        packet[4] = UInt8(padding)
    }

    deinit { packet.deallocate() }

    @inline(__always)
    func sealAndOpen() throws {
        try sealer.seal(packet, sequenceNumber: sequence)
        _ = try opener.decryptLength(UnsafeMutableRawBufferPointer(rebasing: packet[0..<opener.lengthPrefixSize]), sequenceNumber: sequence)
        try opener.open(packet, sequenceNumber: sequence)
        sequence &+= 1
    }
}
