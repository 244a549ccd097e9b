import Benchmark
import NIOCore
@_spi(Internals) import SSHCore
import SSHCrypto

/// One upper-layer payload through the SSH transport, as every channel
/// packet goes: the client frames and seals it (`sendPayload`), the server
/// opens and unframes it (`receive` + `nextEvent`). The two transports ran
/// a real key exchange in memory first. Compared with PacketProtection this
/// adds the framing, padding, sequence numbers and event plumbing; the
/// malloc counters show what that costs per packet.
let benchmarks: @Sendable () -> Void = {
    for cipher in [CipherAlgorithm.aes128GCM, .chacha20Poly1305, .aes128CTR] {
        for payloadSize in [1024, 32 * 1024] {
            Benchmark(
                "\(cipher.rawValue) frame+seal, open+unframe \(payloadSize / 1024) KiB",
                configuration: .init(
                    metrics: [.throughput, .wallClock, .mallocCountTotal],
                    maxDuration: .seconds(2),
                    maxIterations: 5000,
                    thresholds: thresholds
                )
            ) { benchmark in
                var pair = try TransportHarness(cipher: cipher)
                let payload = [UInt8](repeating: 0x5a, count: payloadSize)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try pair.roundTrip(payload))
                }
                benchmark.stopMeasurement()
            }
        }
    }
}

/// A client and a server transport, established, with reused buffers.
struct TransportHarness {
    var client: SSHTransport
    var server: SSHTransport
    var toServer: ByteBuffer
    var toClient: ByteBuffer

    init(cipher: CipherAlgorithm) throws {
        var algorithms = AlgorithmPreferences()
        algorithms.ciphers = [cipher.rawValue]
        let hostKey = try SSHPrivateKey.generate(.ed25519)
        client = SSHTransport(configuration: TransportConfiguration(role: .client, algorithms: algorithms))
        server = SSHTransport(configuration: TransportConfiguration(role: .server(hostKeys: [hostKey]), algorithms: algorithms))
        toServer = ByteBuffer()
        toClient = ByteBuffer()
        try client.start(into: &toServer)
        try server.start(into: &toClient)
        for _ in 0..<50 where !(client.isEstablished && server.isEstablished && toServer.readableBytes == 0 && toClient.readableBytes == 0) {
            server.receive(&toServer)
            toServer.clear()
            while try server.nextEvent(output: &toClient) != nil {}
            client.receive(&toClient)
            toClient.clear()
            while let event = try client.nextEvent(output: &toServer) {
                if case .hostKeyNeedsVerification = event { try client.hostKeyAccepted(output: &toServer) }
            }
        }
        guard client.isEstablished, server.isEstablished else { throw HarnessError() }
        toServer.reserveCapacity(256 * 1024)
    }

    struct HarnessError: Error {}

    /// Sends `payload` from the client; returns its length as the server received it.
    mutating func roundTrip(_ payload: [UInt8]) throws -> Int {
        toServer.clear()
        try client.sendPayload(into: &toServer) { $0.writeBytes(payload) }
        server.receive(&toServer)
        guard case .payload(let received)? = try server.nextEvent(output: &toClient) else { throw HarnessError() }
        return received.readableBytes
    }
}

/// Regression thresholds for `baseline check`: time on a shared machine is
/// noisy, so only a large slowdown fails; allocations are deterministic, so
/// any extra allocation per operation fails.
var thresholds: [BenchmarkMetric: BenchmarkThresholds] { [
    .wallClock: .init(relative: [.p50: 35.0]),
    .throughput: .init(relative: [.p50: 35.0]),
    .mallocCountTotal: .init(relative: [:], absolute: [.p50: 0, .p90: 0]),
] }
