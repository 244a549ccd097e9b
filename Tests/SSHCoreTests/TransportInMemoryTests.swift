import NIOCore
import SSHCrypto
import Testing
@_spi(Internals) @testable import SSHCore

@Suite struct TransportInMemoryTests {
    static let kexMethods = KeyExchangeAlgorithm.allCases
    static let ciphers: [(String, String?)] = CipherAlgorithm.allCases.flatMap { c in
        c.isAEAD ? [(c.rawValue, nil)] : MACAlgorithm.allCases.map { (c.rawValue, $0.rawValue) }
    }

    func establish(_ prefs: AlgorithmPreferences) throws -> TransportPair {
        var pair = try TransportPair(clientAlgorithms: prefs, serverAlgorithms: AlgorithmPreferences(
            keyExchange: KeyExchangeAlgorithm.allCases.map(\.rawValue),
            hostKey: SignatureAlgorithm.allCases.map(\.rawValue),
            ciphers: CipherAlgorithm.allCases.map(\.rawValue),
            macs: MACAlgorithm.allCases.map(\.rawValue),
            compression: ["none", "zlib@openssh.com", "zlib"]))
        try pair.pump()
        #expect(pair.client.isEstablished && pair.server.isEstablished)
        #expect(pair.client.sessionID != nil && pair.client.sessionID == pair.server.sessionID)
        return pair
    }

    @Test("every key exchange method", arguments: kexMethods)
    func keyExchange(_ method: KeyExchangeAlgorithm) throws {
        var prefs = AlgorithmPreferences()
        prefs.keyExchange = [method.rawValue]
        var pair = try establish(prefs)
        #expect(TransportPair.completedExchanges(pair.clientEvents).first?.keyExchange == method)
        try pair.clientSends([50, 1, 2, 3])
        try pair.serverSends([60, 4, 5])
        try pair.pump()
        #expect(TransportPair.payloads(pair.serverEvents) == [[50, 1, 2, 3]])
        #expect(TransportPair.payloads(pair.clientEvents) == [[60, 4, 5]])
    }

    @Test("every host key algorithm", arguments: SignatureAlgorithm.allCases)
    func hostKeyAlgorithm(_ algorithm: SignatureAlgorithm) throws {
        var prefs = AlgorithmPreferences()
        prefs.hostKey = [algorithm.rawValue]
        let pair = try establish(prefs)
        #expect(pair.client.negotiated?.hostKey == algorithm)
        #expect(pair.client.serverHostKey?.type == algorithm.keyType)
    }

    @Test("every cipher and MAC", arguments: 0..<ciphers.count)
    func cipherAndMAC(_ index: Int) throws {
        let (cipher, mac) = Self.ciphers[index]
        var prefs = AlgorithmPreferences()
        prefs.ciphers = [cipher]
        if let mac { prefs.macs = [mac] }
        var pair = try establish(prefs)
        #expect(pair.client.negotiated?.cipherClientToServer.rawValue == cipher)
        #expect(pair.client.negotiated?.macServerToClient?.rawValue == mac)
        for size in [0, 1, 100, 40_000, 200_000] {
            try pair.clientSends([94] + [UInt8](repeating: UInt8(size % 251), count: size))
        }
        try pair.pump()
        #expect(TransportPair.payloads(pair.serverEvents).map(\.count) == [1, 2, 101, 40_001, 200_001])
    }

    @Test func strictKexIsNegotiatedBetweenFerries() throws {
        let pair = try establish(AlgorithmPreferences())
        #expect(pair.client.strictKeyExchange && pair.server.strictKeyExchange)
    }

    @Test("rekeying in the middle of a flow keeps every message", arguments: [UInt64(64 * 1024), 1 << 20])
    func rekeyMidStream(_ limit: UInt64) throws {
        var pair = try TransportPair(rekeyLimit: limit)
        try pair.pump()
        var sent: [[UInt8]] = []
        for i in 0..<400 {
            let message = [UInt8(94)] + [UInt8](repeating: UInt8(i % 256), count: 5000 + i)
            sent.append(message)
            try pair.clientSends(message)
            if i % 7 == 0 { try pair.serverSends([99, UInt8(i % 256)]) }
            if i % 3 == 0 { try pair.pump() }
        }
        try pair.pump()
        #expect(TransportPair.payloads(pair.serverEvents) == sent)
        let rekeys = TransportPair.completedExchanges(pair.clientEvents).count
        #expect(rekeys > 1, "a \(limit)-byte limit over ~2 MB must rekey")
        #expect(pair.client.sessionID == pair.server.sessionID)
    }

    @Test func peerInitiatedRekey() throws {
        var pair = try TransportPair()
        try pair.pump()
        try pair.server.initiateRekey(into: &pair.toClient)
        try pair.clientSends([94, 1])  // queued behind the client's KEXINIT reply
        try pair.pump()
        try pair.clientSends([94, 2])
        try pair.pump()
        #expect(TransportPair.completedExchanges(pair.serverEvents).count == 2)
        #expect(TransportPair.payloads(pair.serverEvents) == [[94, 1], [94, 2]])
    }

    @Test("compression", arguments: ["zlib", "zlib@openssh.com"])
    func compression(_ method: String) throws {
        var prefs = AlgorithmPreferences()
        prefs.compression = [method]
        var pair = try TransportPair(clientAlgorithms: prefs, serverAlgorithms: AlgorithmPreferences(compression: ["none", "zlib@openssh.com", "zlib"]))
        try pair.pump()
        #expect(pair.client.negotiated?.compressionClientToServer.rawValue == method)
        try pair.client.authenticationSucceeded()
        try pair.server.authenticationSucceeded()
        let text = [UInt8](repeating: 0x61, count: 100_000)
        try pair.clientSends([94] + text)
        let before = pair.toServer.readableBytes
        #expect(before < 10_000, "100 kB of 'a' must compress")
        try pair.serverSends([95] + text)
        try pair.pump()
        #expect(TransportPair.payloads(pair.serverEvents) == [[94] + text])
        #expect(TransportPair.payloads(pair.clientEvents) == [[95] + text])
    }

    /// OpenSSH and dropbear start a fresh zlib stream at every NEWKEYS; a
    /// sender that kept its deflate state across a rekey made sshd's
    /// (and, receiving, ferry's) inflate fail with "invalid distance code".
    @Test("compression restarts its zlib stream at every rekey", arguments: ["zlib", "zlib@openssh.com"])
    func compressionRestartsAtRekey(_ method: String) throws {
        var prefs = AlgorithmPreferences()
        prefs.compression = [method]
        var pair = try TransportPair(clientAlgorithms: prefs, serverAlgorithms: AlgorithmPreferences(compression: ["none", "zlib@openssh.com", "zlib"]))
        try pair.pump()
        try pair.client.authenticationSucceeded()
        try pair.server.authenticationSucceeded()
        // 16 KiB that do not compress, but would as a back-reference to an
        // earlier copy still in the deflate window.
        var generator = SystemRandomNumberGenerator()
        let message = [UInt8(94)] + (0..<16_384).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try pair.clientSends(message)
        try pair.pump()
        try pair.client.initiateRekey(into: &pair.toServer)
        try pair.pump()
        #expect(TransportPair.completedExchanges(pair.clientEvents).count == 2)
        try pair.clientSends(message)
        #expect(pair.toServer.readableBytes > 16_000, "the copy after the rekey must not refer to the old stream")
        try pair.pump()
        #expect(TransportPair.payloads(pair.serverEvents) == [message, message])
    }

    @Test func noCommonCipherIsAClearError() throws {
        var prefs = AlgorithmPreferences()
        prefs.ciphers = ["aes128-ctr"]
        var pair = try TransportPair(clientAlgorithms: prefs, serverAlgorithms: AlgorithmPreferences(ciphers: ["aes256-gcm@openssh.com"]))
        #expect(throws: SSHError(.noCommonAlgorithm, "")) { try pair.pump() }
    }

    @Test func rejectedHostKeyStopsBeforeNewKeys() throws {
        var pair = try TransportPair(verifier: { key in
            throw SSHError(.hostKeyRejected, "no thanks: \(key.fingerprintSHA256)")
        })
        #expect(throws: SSHError(.hostKeyRejected, "")) { try pair.pump() }
        #expect(!pair.client.isEstablished)
    }

    @Test func queuedPayloadsBeforeEstablishmentAreSentAfter() throws {
        var pair = try TransportPair()
        try pair.clientSends([5, 0, 0, 0, 12] + Array("ssh-userauth".utf8))
        try pair.pump()
        #expect(TransportPair.payloads(pair.serverEvents).count == 1)
    }
}
