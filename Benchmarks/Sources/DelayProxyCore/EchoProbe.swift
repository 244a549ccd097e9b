import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore

/// EchoProbe measures a path to an echo server (direct, or through the
/// proxy) with blocking sockets: ping-pong round trips and a bulk echo whose
/// returned bytes are checked against what was sent.
public enum EchoProbe {
    /// RoundTrips summarises ping-pong round-trip times, in nanoseconds.
    public struct RoundTrips: Sendable {
        /// Every sample, sorted ascending.
        public var sorted: [Int64]
        /// The smallest sample.
        public var minimum: Int64 { sorted.first ?? 0 }
        /// The median sample.
        public var median: Int64 { percentile(50) }
        /// The p-th percentile sample (nearest rank).
        public func percentile(_ p: Double) -> Int64 {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(rank, 0), sorted.count - 1)]
        }
    }

    /// Sends `count` messages of `size` bytes one at a time, each after the
    /// previous echo came back, and times each round trip (after `warmup`).
    public static func pingPong(port: Int, count: Int, size: Int = 64, warmup: Int = 20) throws -> RoundTrips {
        let socket = try LoopbackSocket.connect(port: port)
        defer { socket.close() }
        var message = [UInt8](repeating: 0, count: max(1, size))
        var reply = [UInt8](repeating: 0, count: message.count)
        var samples: [Int64] = []
        samples.reserveCapacity(count)
        for i in 0..<(warmup + count) {
            message[0] = UInt8(truncatingIfNeeded: i)
            let start = NIODeadline.now()
            try message.withUnsafeBytes { try socket.send($0) }
            try reply.withUnsafeMutableBytes { try socket.receiveExactly(into: $0) }
            let elapsed = (NIODeadline.now() - start).nanoseconds
            guard reply == message else { throw DelayProxyError(message: "ping-pong: echo differs at round \(i)") }
            if i >= warmup { samples.append(elapsed) }
        }
        return RoundTrips(sorted: samples.sorted())
    }

    /// Bulk is the outcome of one bulk echo.
    public struct Bulk: Sendable {
        /// Bytes sent (and received back).
        public var bytes: Int
        /// From the first byte sent to EOF received.
        public var nanoseconds: Int64
        /// Bytes per second, one way.
        public var bytesPerSecond: Double { Double(bytes) / max(Double(nanoseconds) / 1e9, 1e-9) }
    }

    /// Sends `total` bytes of a seeded pseudo-random stream in chunks whose
    /// sizes are drawn from `chunkSizes` (1 ... 256 KiB by default), then EOF;
    /// reads the echo to EOF on this thread and checks every byte and the
    /// length. Throws on any difference.
    public static func bulkEcho(
        port: Int,
        total: Int,
        seed: UInt64 = 0x5EED,
        chunkSizes: ClosedRange<Int> = 256 * 1024...256 * 1024
    ) throws -> Bulk {
        let socket = try LoopbackSocket.connect(port: port)
        defer { socket.close() }
        let writerDone = DispatchSemaphore(value: 0)
        let writerError = ErrorBox()
        let start = NIODeadline.now()
        DispatchQueue.global().async {
            defer { writerDone.signal() }
            do {
                var stream = PatternStream(seed: seed)
                var sizes = SplitMix64(seed: seed ^ 0xC0FFEE)
                var chunk = [UInt8](repeating: 0, count: chunkSizes.upperBound)
                var sent = 0
                while sent < total {
                    let span = UInt64(chunkSizes.upperBound - chunkSizes.lowerBound + 1)
                    let n = min(total - sent, chunkSizes.lowerBound + Int(sizes.next() % span))
                    try chunk.withUnsafeMutableBytes { buffer in
                        let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                        stream.fill(part)
                        try socket.send(UnsafeRawBufferPointer(part))
                    }
                    sent += n
                }
                socket.shutdownWrite()
            } catch {
                writerError.set(error)
                socket.shutdownWrite()
            }
        }
        var expected = PatternStream(seed: seed)
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var want = [UInt8](repeating: 0, count: buffer.count)
        var mismatch: Int?
        while true {
            let n = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
            if n == 0 { break }
            want.withUnsafeMutableBytes { expected.fill(UnsafeMutableRawBufferPointer(rebasing: $0[0..<n])) }
            let same = buffer.withUnsafeBytes { got in
                want.withUnsafeBytes { memcmp(got.baseAddress!, $0.baseAddress!, n) == 0 }
            }
            if mismatch == nil, !same {
                mismatch = received + ((0..<n).first { buffer[$0] != want[$0] } ?? 0)
            }
            received += n
        }
        let elapsed = (NIODeadline.now() - start).nanoseconds
        writerDone.wait()
        if let error = writerError.get() { throw error }
        if let mismatch { throw DelayProxyError(message: "bulk echo: byte \(mismatch) differs") }
        guard received == total else {
            throw DelayProxyError(message: "bulk echo: received \(received) of \(total) bytes")
        }
        return Bulk(bytes: total, nanoseconds: elapsed)
    }
}

/// PatternStream is a deterministic byte stream (SplitMix64 output), so a
/// receiver can check bytes without keeping a copy of what was sent.
struct PatternStream {
    private var generator: SplitMix64
    private var word: UInt64 = 0
    private var left = 0

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var i = 0
        let count = buffer.count
        // Drain the current word, then whole words, then the tail byte-wise.
        while i < count && left > 0 {
            buffer[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            left -= 1
            i += 1
        }
        while count - i >= 8 {
            buffer.storeBytes(of: generator.next().littleEndian, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            if left == 0 {
                word = generator.next()
                left = 8
            }
            buffer[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            left -= 1
            i += 1
        }
    }
}

/// SplitMix64 is a tiny seeded generator (not for secrets), so test data
/// can be reproduced from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// Creates a generator with the given seed.
    public init(seed: UInt64) { state = seed }
    /// The next 64 pseudo-random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// ErrorBox carries an error out of a writer thread.
final class ErrorBox: Sendable {
    private let box = NIOLockedValueBox<(any Error)?>(nil)
    func set(_ error: any Error) { box.withLockedValue { $0 = error } }
    func get() -> (any Error)? { box.withLockedValue { $0 } }
}
