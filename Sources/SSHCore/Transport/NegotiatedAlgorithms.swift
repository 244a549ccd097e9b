import SSHCrypto

/// The algorithms both sides agreed on in one key exchange.
public struct NegotiatedAlgorithms: Sendable, Equatable {
    public let keyExchange: KeyExchangeAlgorithm
    public let hostKey: SignatureAlgorithm
    public let cipherClientToServer: CipherAlgorithm
    public let cipherServerToClient: CipherAlgorithm
    /// Nil where the cipher is an AEAD (its MAC is implicit).
    public let macClientToServer: MACAlgorithm?
    public let macServerToClient: MACAlgorithm?
    public let compressionClientToServer: CompressionAlgorithm
    public let compressionServerToClient: CompressionAlgorithm

    /// RFC 4253 §7.1: for each category the chosen algorithm is the first on
    /// the client's list that the server also lists.
    static func negotiate(client: KexInitMessage, server: KexInitMessage) throws -> NegotiatedAlgorithms {
        func pick(_ what: String, _ c: [String], _ s: [String]) throws -> String {
            guard let name = c.first(where: { s.contains($0) }) else {
                throw SSHError(.noCommonAlgorithm,
                    "no matching \(what) found: client offers \(c.joined(separator: ",")), server offers \(s.joined(separator: ","))")
            }
            return name
        }
        let kexOffers = client.keyExchange.filter { KeyExchangeAlgorithm(rawValue: $0) != nil }
        guard let kex = KeyExchangeAlgorithm(rawValue: try pick("key exchange method", kexOffers, server.keyExchange)),
              let hostKey = SignatureAlgorithm(rawValue: try pick("host key type", client.hostKey, server.hostKey)),
              let cipherCS = CipherAlgorithm(rawValue: try pick("cipher", client.ciphersClientToServer, server.ciphersClientToServer)),
              let cipherSC = CipherAlgorithm(rawValue: try pick("cipher", client.ciphersServerToClient, server.ciphersServerToClient)),
              let compCS = CompressionAlgorithm(rawValue: try pick("compression method", client.compressionClientToServer, server.compressionClientToServer)),
              let compSC = CompressionAlgorithm(rawValue: try pick("compression method", client.compressionServerToClient, server.compressionServerToClient))
        else {
            throw SSHError(.noCommonAlgorithm, "the negotiated algorithm is not implemented by ferry")
        }
        func mac(_ cipher: CipherAlgorithm, _ c: [String], _ s: [String]) throws -> MACAlgorithm? {
            if cipher.isAEAD { return nil }
            guard let m = MACAlgorithm(rawValue: try pick("MAC", c, s)) else {
                throw SSHError(.noCommonAlgorithm, "the negotiated MAC is not implemented by ferry")
            }
            return m
        }
        return NegotiatedAlgorithms(
            keyExchange: kex, hostKey: hostKey,
            cipherClientToServer: cipherCS, cipherServerToClient: cipherSC,
            macClientToServer: try mac(cipherCS, client.macsClientToServer, server.macsClientToServer),
            macServerToClient: try mac(cipherSC, client.macsServerToClient, server.macsServerToClient),
            compressionClientToServer: compCS, compressionServerToClient: compSC)
    }

    /// RFC 4253 §7: did the peer guess the method and host key algorithm right?
    static func guessIsCorrect(client: KexInitMessage, server: KexInitMessage) -> Bool {
        client.keyExchange.first == server.keyExchange.first && client.hostKey.first == server.hostKey.first
    }

    /// Bits of security the derived keys must carry, for sizing DH exponents
    /// and the group-exchange request (as OpenSSH computes `we_need`).
    var neededSecurityBits: Int {
        var need = 0
        for cipher in [cipherClientToServer, cipherServerToClient] {
            need = max(need, cipher.keyLength, cipher.ivLength)
        }
        for mac in [macClientToServer, macServerToClient].compactMap({ $0 }) {
            need = max(need, mac.keyLength)
        }
        return need * 8
    }
}
