import NIOCore
import SSHCrypto
@_spi(Internals) @testable import SSHCore

/// A client and a server transport wired back to back in memory: bytes one
/// writes are fed to the other, with events collected per side.
struct TransportPair {
    var client: SSHTransport
    var server: SSHTransport
    var clientEvents: [TransportEvent] = []
    var serverEvents: [TransportEvent] = []
    /// Bytes in flight in each direction (for tampering tests).
    var toServer = ByteBuffer()
    var toClient = ByteBuffer()
    let verifier: @Sendable (SSHPublicKey) throws -> Void

    static let hostKeys: [SSHPrivateKey] = {
        [try? SSHPrivateKey.generate(.ed25519), try? SSHPrivateKey.generate(.ecdsaP256),
         try? SSHPrivateKey.generate(.ecdsaP384), try? SSHPrivateKey.generate(.ecdsaP521),
         try? SSHPrivateKey.generate(.rsa, bits: 2048)].compactMap { $0 }
    }()

    init(clientAlgorithms: AlgorithmPreferences = AlgorithmPreferences(),
         serverAlgorithms: AlgorithmPreferences = AlgorithmPreferences(),
         rekeyLimit: UInt64? = nil,
         verifier: @escaping @Sendable (SSHPublicKey) throws -> Void = { _ in }) throws {
        self.verifier = verifier
        var serverPrefs = serverAlgorithms
        serverPrefs.keyExchange = serverPrefs.keyExchange.isEmpty ? KeyExchangeAlgorithm.allCases.map(\.rawValue) : serverPrefs.keyExchange
        client = SSHTransport(configuration: TransportConfiguration(
            role: .client, algorithms: clientAlgorithms, rekeyLimitBytes: rekeyLimit))
        server = SSHTransport(configuration: TransportConfiguration(
            role: .server(hostKeys: Self.hostKeys), algorithms: serverPrefs, rekeyLimitBytes: rekeyLimit))
        try client.start(into: &toServer)
        try server.start(into: &toClient)
    }

    /// Moves bytes both ways until neither side has anything to say.
    mutating func pump(maxRounds: Int = 100) throws {
        for _ in 0..<maxRounds {
            if toServer.readableBytes == 0 && toClient.readableBytes == 0 { return }
            var s = toServer; toServer = ByteBuffer()
            server.receive(&s)
            while let e = try server.nextEvent(output: &toClient) { serverEvents.append(e) }
            var c = toClient; toClient = ByteBuffer()
            client.receive(&c)
            while let e = try client.nextEvent(output: &toServer) {
                clientEvents.append(e)
                if case .hostKeyNeedsVerification(let key) = e {
                    try verifier(key)
                    try client.hostKeyAccepted(output: &toServer)
                }
            }
        }
    }

    /// Sends an upper-layer payload from the client.
    mutating func clientSends(_ bytes: [UInt8]) throws {
        try client.sendPayload(into: &toServer) { $0.writeBytes(bytes) }
    }

    mutating func serverSends(_ bytes: [UInt8]) throws {
        try server.sendPayload(into: &toClient) { $0.writeBytes(bytes) }
    }

    static func payloads(_ events: [TransportEvent]) -> [[UInt8]] {
        events.compactMap { if case .payload(let b) = $0 { return Array(b.readableBytesView) } else { return nil } }
    }

    static func completedExchanges(_ events: [TransportEvent]) -> [NegotiatedAlgorithms] {
        events.compactMap { if case .keyExchangeCompleted(let n, _) = $0 { return n } else { return nil } }
    }
}
