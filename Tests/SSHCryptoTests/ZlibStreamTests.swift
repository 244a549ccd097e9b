import Testing
@testable import SSHCrypto

// MARK: - Test data

/// Deterministic pseudo-random bytes (xorshift), incompressible in practice.
private func noise(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out[i] = UInt8(truncatingIfNeeded: state >> 24)
    }
    return out
}

/// Payloads shaped like an SSH session: message bytes, text, SFTP data,
/// empty and one-byte payloads, incompressible and very repetitive data.
private func samplePackets() -> [[UInt8]] {
    var packets: [[UInt8]] = []
    packets.append([])
    packets.append([94])
    packets.append(Array("SSH_MSG_CHANNEL_DATA with some text that repeats, repeats, repeats".utf8))
    packets.append([])
    for i in 0..<40 {
        var payload = Array("ls -la /home/user/project-\(i % 7)\n".utf8)
        payload += noise(i * 37 % 500, seed: UInt64(i + 1))
        packets.append(payload)
    }
    packets.append(noise(32 * 1024, seed: 99))
    packets.append([UInt8](repeating: 0x41, count: 100_000))
    packets.append([0])
    packets.append(Array(repeating: Array("0123456789abcdef".utf8), count: 2000).flatMap { $0 })
    return packets
}

/// Compresses each packet separately on one stream.
private func compressPackets(_ packets: [[UInt8]], level: Int32 = 6) throws -> [[UInt8]] {
    let compressor = try ZlibCompressor(level: level)
    return try packets.map { packet in
        var out: [UInt8] = []
        try compressor.compress(packet, appendingTo: &out)
        return out
    }
}

// MARK: - Round trips

/// Every packet is decoded right after it is compressed, before the next one
/// exists, on one continuing stream per direction; the output arrays are
/// reused the way a transport would reuse them.
@Test func zlibPacketsDecodeAsTheyArrive() throws {
    let compressor = try ZlibCompressor()
    let decompressor = try ZlibDecompressor()
    var compressed: [UInt8] = []
    var plain: [UInt8] = []
    for (index, packet) in samplePackets().enumerated() {
        compressed.removeAll(keepingCapacity: true)
        plain.removeAll(keepingCapacity: true)
        try compressor.compress(packet, appendingTo: &compressed)
        try decompressor.decompress(compressed, appendingTo: &plain)
        #expect(plain == packet, "packet \(index) of \(packet.count) bytes")
    }
}

/// `appendingTo` appends: existing bytes in the output are kept.
@Test func zlibAppendsAfterExistingBytes() throws {
    let compressor = try ZlibCompressor()
    let decompressor = try ZlibDecompressor()
    var compressed: [UInt8] = [1, 2, 3, 4, 5]
    try compressor.compress(Array("hello".utf8), appendingTo: &compressed)
    #expect(compressed.starts(with: [1, 2, 3, 4, 5]))
    var plain: [UInt8] = [9]
    try decompressor.decompress(compressed[5...], appendingTo: &plain)
    #expect(plain == [9] + Array("hello".utf8))
}

@Test func zlibEmptyAndOneBytePayloads() throws {
    let packets: [[UInt8]] = [[], [], [0x5e], [], [0xff], []]
    let compressed = try compressPackets(packets)
    let decompressor = try ZlibDecompressor()
    for (packet, wire) in zip(packets, compressed) {
        var plain: [UInt8] = []
        try decompressor.decompress(wire, appendingTo: &plain)
        #expect(plain == packet)
    }
}

/// 256 KiB of noise grows a little when "compressed" and still fits a cap of
/// exactly its size.
@Test func zlibIncompressibleMaximumPacket() throws {
    let packet = noise(256 * 1024, seed: 7)
    let compressed = try compressPackets([packet])[0]
    #expect(compressed.count > packet.count)
    let decompressor = try ZlibDecompressor(maxOutputPerCall: 256 * 1024)
    var plain: [UInt8] = []
    try decompressor.decompress(compressed, appendingTo: &plain)
    #expect(plain == packet)
}

@Test func zlibHighlyCompressibleData() throws {
    let packet = [UInt8](repeating: 0, count: 200_000)
    let compressed = try compressPackets([packet, packet])
    #expect(compressed[0].count < 1000)
    #expect(compressed[1].count < compressed[0].count + 100)
    let decompressor = try ZlibDecompressor()
    for wire in compressed {
        var plain: [UInt8] = []
        try decompressor.decompress(wire, appendingTo: &plain)
        #expect(plain == packet)
    }
}

/// Every level, including stored (0), interoperates with the decompressor.
@Test(arguments: [Int32(-1), 0, 1, 9])
func zlibCompressionLevels(level: Int32) throws {
    let packets = samplePackets()
    let compressed = try compressPackets(packets, level: level)
    let decompressor = try ZlibDecompressor()
    for (packet, wire) in zip(packets, compressed) {
        var plain: [UInt8] = []
        try decompressor.decompress(wire, appendingTo: &plain)
        #expect(plain == packet)
    }
}

/// Once the reused arrays have grown, further packets do not move them: the
/// steady state reallocates nothing on our side.
@Test func zlibReusedOutputsStopGrowing() throws {
    let compressor = try ZlibCompressor()
    let decompressor = try ZlibDecompressor()
    var compressed: [UInt8] = []
    var plain: [UInt8] = []
    compressed.reserveCapacity(64 * 1024)
    plain.reserveCapacity(256 * 1024 + 1)
    let packets = (0..<50).map { noise(8192, seed: UInt64($0 % 5 + 1)) }
    let compressedBase = compressed.withUnsafeBufferPointer { $0.baseAddress }
    let plainBase = plain.withUnsafeBufferPointer { $0.baseAddress }
    for packet in packets {
        compressed.removeAll(keepingCapacity: true)
        plain.removeAll(keepingCapacity: true)
        try compressor.compress(packet, appendingTo: &compressed)
        try decompressor.decompress(compressed, appendingTo: &plain)
        #expect(plain == packet)
    }
    #expect(compressed.withUnsafeBufferPointer { $0.baseAddress } == compressedBase)
    #expect(plain.withUnsafeBufferPointer { $0.baseAddress } == plainBase)
}

// MARK: - Hostile input

/// 10 MB of zeros compress to about 10 KB; against a 256 KiB cap the
/// decompressor stops, restores the output, and refuses any further use.
@Test func zlibBombIsRefused() throws {
    let bomb = try compressPackets([[UInt8](repeating: 0, count: 10_000_000)])[0]
    #expect(bomb.count < 20_000)
    let decompressor = try ZlibDecompressor(maxOutputPerCall: 256 * 1024)
    var plain: [UInt8] = [7, 7]
    #expect(throws: CryptoError(.compression, "")) {
        try decompressor.decompress(bomb, appendingTo: &plain)
    }
    #expect(plain == [7, 7])
    #expect(plain.capacity < 300 * 1024)
    #expect(throws: CryptoError(.compression, "")) {
        try decompressor.decompress([UInt8](), appendingTo: &plain)
    }
}

/// A packet that inflates to exactly the cap passes; one byte more fails.
@Test func zlibCapBoundary() throws {
    let cap = 10_000
    let exact = try compressPackets([[UInt8](repeating: 3, count: cap)])[0]
    var plain: [UInt8] = []
    try ZlibDecompressor(maxOutputPerCall: cap).decompress(exact, appendingTo: &plain)
    #expect(plain.count == cap)

    let over = try compressPackets([[UInt8](repeating: 3, count: cap + 1)])[0]
    #expect(throws: CryptoError(.compression, "")) {
        var out: [UInt8] = []
        try ZlibDecompressor(maxOutputPerCall: cap).decompress(over, appendingTo: &out)
    }
}

/// The same cap applies per call, not per connection.
@Test func zlibCapIsPerPacket() throws {
    let cap = 4096
    let packets = (0..<20).map { _ in [UInt8](repeating: 1, count: cap) }
    let compressed = try compressPackets(packets)
    let decompressor = try ZlibDecompressor(maxOutputPerCall: cap)
    for wire in compressed {
        var plain: [UInt8] = []
        try decompressor.decompress(wire, appendingTo: &plain)
        #expect(plain.count == cap)
    }
}

@Test func zlibBadHeaderThrowsAndPoisonsTheStream() throws {
    let decompressor = try ZlibDecompressor()
    var plain: [UInt8] = []
    #expect(throws: CryptoError(.compression, "")) {
        try decompressor.decompress([0x00, 0x01, 0x02, 0x03], appendingTo: &plain)
    }
    // A valid first packet is refused too: the stream is dead.
    let good = try compressPackets([Array("hello".utf8)])[0]
    #expect(throws: CryptoError(.compression, "")) {
        try decompressor.decompress(good, appendingTo: &plain)
    }
    #expect(plain.isEmpty)
}

/// A stream with a preset dictionary (FDICT set in the header) is refused.
@Test func zlibPresetDictionaryIsRefused() throws {
    // CMF 0x78, FLG 0xBB (FDICT, check bits valid), dictionary id.
    let header: [UInt8] = [0x78, 0xBB, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00]
    #expect(throws: CryptoError(.compression, "")) {
        var plain: [UInt8] = []
        try ZlibDecompressor().decompress(header, appendingTo: &plain)
    }
}

/// A peer that finishes the stream (Z_FINISH) has broken SSH's one-stream
/// contract; the end is reported as an error rather than silently accepted.
@Test func zlibStreamEndIsRefused() throws {
    let finished = try runTool(
        "python3", ["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(b'bye'))"])
    try #require(finished.status == 0, "python3 failed: \(finished.errorText)")
    #expect(throws: CryptoError(.compression, "")) {
        var plain: [UInt8] = []
        try ZlibDecompressor().decompress(finished.output, appendingTo: &plain)
    }
}

/// Flipped bits and truncations never trap, and once the stream throws,
/// every later call throws. Damage zlib cannot tell may even decode to the
/// original: the padding bits before a sync flush's stored-block header,
/// and a truncated flush trailer of the last packet, carry no data (the
/// MAC, not zlib, is what guards integrity). The damage is drawn from a
/// seeded generator so that a run can be repeated.
@Test func zlibCorruptedPacketsNeverTrap() throws {
    let packets = [Array("first packet, first packet, first packet".utf8),
                   Array(repeating: Array("second packet body ".utf8), count: 50).flatMap { $0 },
                   noise(3000, seed: 5) + [UInt8](repeating: 9, count: 3000)]
    let compressed = try compressPackets(packets)
    var generator = SeededDamage(state: 0x5EED_2026)
    var threw = 0
    for trial in 0..<300 {
        let victim = trial % packets.count
        var damaged = compressed
        if trial % 2 == 0 {
            let index = Int.random(in: 0..<damaged[victim].count, using: &generator)
            damaged[victim][index] ^= UInt8.random(in: 1...255, using: &generator)
        } else {
            damaged[victim] = Array(damaged[victim].prefix(Int.random(in: 0..<damaged[victim].count,
                                                                        using: &generator)))
        }
        let decompressor = try ZlibDecompressor(maxOutputPerCall: 64 * 1024)
        var failed = false
        for wire in damaged {
            var plain: [UInt8] = []
            do {
                try decompressor.decompress(wire, appendingTo: &plain)
                #expect(!failed, "a failed stream must keep failing")
            } catch let error as CryptoError {
                #expect(error.code == .compression)
                failed = true
            }
        }
        if failed { threw += 1 }
    }
    // Most damage is caught by zlib itself (bad codes, distances, headers).
    #expect(threw > 100)
}

/// xorshift64: the damage of `zlibCorruptedPacketsNeverTrap`, repeatable.
private struct SeededDamage: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

/// Random bytes as a first packet: errors, never a trap.
@Test func zlibRandomInputNeverTraps() throws {
    for seed in 1...300 {
        let garbage = noise(seed * 7 % 400, seed: UInt64(seed))
        var plain: [UInt8] = []
        _ = try? ZlibDecompressor(maxOutputPerCall: 64 * 1024).decompress([0x78, 0x9c] + garbage, appendingTo: &plain)
        #expect(plain.count <= 64 * 1024)
    }
}

@Test func zlibRejectsBadParameters() {
    #expect(throws: CryptoError(.compression, "")) { try ZlibCompressor(level: 10) }
    #expect(throws: CryptoError(.compression, "")) { try ZlibCompressor(level: -2) }
    #expect(throws: CryptoError(.invalidLength, "")) { try ZlibDecompressor(maxOutputPerCall: 0) }
    #expect(throws: CryptoError(.invalidLength, "")) { try ZlibDecompressor(maxOutputPerCall: (1 << 30) + 1) }
}

// MARK: - Interop with Python's zlib

/// Frames packets as uint32 length + bytes for the Python helper.
private func frame(_ packets: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    for packet in packets {
        let n = UInt32(packet.count)
        out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        out += packet
    }
    return out
}

private func unframe(_ bytes: [UInt8]) throws -> [[UInt8]] {
    var packets: [[UInt8]] = []
    var index = 0
    while index < bytes.count {
        try #require(index + 4 <= bytes.count)
        let n = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
        index += 4
        try #require(index + n <= bytes.count)
        packets.append(Array(bytes[index..<index + n]))
        index += n
    }
    return packets
}

/// Reads framed packets on stdin; "compress" runs them through one
/// compressobj(6) with Z_PARTIAL_FLUSH per packet (what OpenSSH sends),
/// "decompress" through one decompressobj, packet by packet.
private let pythonHelper = """
import sys, zlib
data = sys.stdin.buffer.read()
packets, i = [], 0
while i < len(data):
    n = int.from_bytes(data[i:i+4], 'big'); i += 4
    packets.append(data[i:i+n]); i += n
out = []
if sys.argv[1] == 'compress':
    c = zlib.compressobj(6)
    for p in packets:
        out.append(c.compress(p) + c.flush(zlib.Z_PARTIAL_FLUSH))
else:
    d = zlib.decompressobj()
    for p in packets:
        out.append(d.decompress(p))
sys.stdout.buffer.write(b''.join(len(o).to_bytes(4, 'big') + o for o in out))
"""

/// Packets compressed by Python's zlib decode with ours, each on arrival
/// (Python's empty packets still carry flush bits; they decode to nothing).
@Test func zlibDecompressesPythonPartialFlushPackets() throws {
    let packets = samplePackets()
    let result = try runTool("python3", ["-c", pythonHelper, "compress"], input: frame(packets))
    try #require(result.status == 0, "python3 failed (\(result.status)): \(result.errorText)")
    let compressed = try unframe(result.output)
    try #require(compressed.count == packets.count)
    let decompressor = try ZlibDecompressor()
    for (packet, wire) in zip(packets, compressed) {
        var plain: [UInt8] = []
        try decompressor.decompress(wire, appendingTo: &plain)
        #expect(plain == packet)
    }
}

/// Our packets decode with Python's zlib, each as a separate decompress call.
@Test func zlibPacketsDecompressWithPython() throws {
    let packets = samplePackets()
    let compressed = try compressPackets(packets)
    let result = try runTool("python3", ["-c", pythonHelper, "decompress"], input: frame(compressed))
    try #require(result.status == 0, "python3 failed (\(result.status)): \(result.errorText)")
    let decoded = try unframe(result.output)
    #expect(decoded == packets)
}
