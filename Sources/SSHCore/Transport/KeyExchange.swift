import SSHCrypto
import SSHWire

/// KeyExchange runs one key-exchange method (the messages numbered 30–49)
/// after KEXINITs have been exchanged and algorithms negotiated, for either
/// role. It takes payloads in and gives payloads out; the transport around it
/// owns KEXINIT, NEWKEYS and the switch to the new keys.
struct KeyExchange {
    /// Which side of the exchange we are, with what that side needs.
    enum Role {
        /// The client: verifies the server's signature over H.
        case client
        /// The server: signs H with the host key matching the negotiated algorithm.
        case server(hostKeys: [SSHPrivateKey])
    }

    /// Where the exchange stands.
    private enum Step {
        /// Client: sent INIT (or GEX_INIT), awaiting the server's reply.
        case awaitingReply(any KeyAgreement, clientPublic: [UInt8])
        /// Client: sent GEX_REQUEST, awaiting the group.
        case awaitingGroup
        /// Server: awaiting the client's INIT (or GEX_REQUEST / GEX_INIT).
        case awaitingInit
        /// Finished (successfully or not); further messages are errors.
        case done
    }

    /// What a finished exchange produced.
    struct Outcome {
        let secrets: ExchangeSecrets
        /// The server's host key (for the client to verify against known_hosts).
        let hostKey: SSHPublicKey
    }

    /// Group-exchange request bounds (RFC 4419 §3; OpenSSH's DH_GRP_MIN/MAX).
    static let groupExchangeMinimum: UInt32 = 2048
    static let groupExchangeMaximum: UInt32 = 8192

    let role: Role
    let negotiated: NegotiatedAlgorithms
    let hashInput: ExchangeHashInput
    private var step: Step
    private var groupExchange: (min: UInt32, preferred: UInt32, max: UInt32, p: [UInt8], g: [UInt8])?
    private var gexRequest: (min: UInt32, preferred: UInt32, max: UInt32)?
    private var serverGroup: DiffieHellmanGroup?

    var method: KeyExchangeAlgorithm { negotiated.keyExchange }

    init(role: Role, negotiated: NegotiatedAlgorithms, hashInput: ExchangeHashInput) {
        self.role = role
        self.negotiated = negotiated
        self.hashInput = hashInput
        switch role {
        case .client: step = .awaitingGroup
        case .server: step = .awaitingInit
        }
    }

    /// OpenSSH's dh_estimate: modulus size for a given security level.
    static func groupBits(forSecurityBits bits: Int) -> UInt32 {
        if bits <= 112 { return 2048 }
        if bits <= 128 { return 3072 }
        if bits <= 192 { return 7680 }
        return 8192
    }

    /// The client's first message (INIT or GEX_REQUEST); nil for the server.
    mutating func start() throws -> [UInt8]? {
        guard case .client = role else { return nil }
        if method.isGroupExchange {
            let preferred = min(Self.groupExchangeMaximum, Self.groupBits(forSecurityBits: negotiated.neededSecurityBits))
            gexRequest = (Self.groupExchangeMinimum, preferred, Self.groupExchangeMaximum)
            step = .awaitingGroup
            var w = WireWriter()
            w.writeByte(MessageNumber.kexDHGexRequest.rawValue)
            w.writeUInt32(Self.groupExchangeMinimum)
            w.writeUInt32(preferred)
            w.writeUInt32(Self.groupExchangeMaximum)
            return w.bytes
        }
        guard let agreement = try method.makeAgreement(securityBits: negotiated.neededSecurityBits) else {
            throw SSHError(.protocolError, "\(method.rawValue) has no fixed group")
        }
        step = .awaitingReply(agreement, clientPublic: agreement.publicValue)
        return initMessage(MessageNumber.kexECDHInit.rawValue, agreement.publicValue)
    }

    private func initMessage(_ number: UInt8, _ publicValue: [UInt8]) -> [UInt8] {
        var w = WireWriter()
        w.writeByte(number)
        if method.usesMPIntPublicValues { w.writeMPInt(publicValue) } else { w.writeString(publicValue) }
        return w.bytes
    }

    private func readPublicValue(_ r: inout WireReader) throws -> [UInt8] {
        if method.usesMPIntPublicValues { return try r.readMPInt(maxBytes: 8192 / 8 + 1) }
        return Array(try r.readString(maxLength: 1024))
    }

    /// Handles one KEX-method message; returns the payload to send back (if
    /// any) and, once the exchange is complete, its outcome.
    mutating func receive(_ payload: [UInt8]) throws -> (reply: [UInt8]?, outcome: Outcome?) {
        do {
            return try receiveMessage(payload)
        } catch let error as WireError {
            step = .done
            throw SSHError(.protocolError, "malformed \(method.rawValue) message: \(error.message)")
        } catch let error as CryptoError where error.code == .invalidPublicValue {
            step = .done
            throw SSHError(.protocolError, "invalid \(method.rawValue) public value from the peer: \(error.message)")
        }
    }

    private mutating func receiveMessage(_ payload: [UInt8]) throws -> (reply: [UInt8]?, outcome: Outcome?) {
        var r = WireReader(payload)
        let number = try r.readByte()
        switch (role, step) {
        case (.client, .awaitingGroup) where method.isGroupExchange && number == MessageNumber.kexDHGexGroup.rawValue:
            let p = try r.readMPInt(maxBytes: Int(Self.groupExchangeMaximum) / 8 + 1)
            let g = try r.readMPInt(maxBytes: Int(Self.groupExchangeMaximum) / 8 + 1)
            try r.expectEnd("SSH_MSG_KEX_DH_GEX_GROUP")
            guard let request = gexRequest else { throw SSHError(.protocolError, "unexpected SSH_MSG_KEX_DH_GEX_GROUP") }
            let group: DiffieHellmanGroup
            let agreement: DiffieHellmanKeyAgreement
            do {
                group = try DiffieHellmanGroup(p: p, g: g, minimumBits: Int(request.min), maximumBits: Int(request.max))
                // A group that passes the checks can still be one where no
                // exponent gives a valid public value (p = 2^2048 − 1, g = 2).
                agreement = try DiffieHellmanKeyAgreement(group: group, securityBits: negotiated.neededSecurityBits)
            } catch let error as CryptoError {
                throw SSHError(.protocolError, "the server's group-exchange group is unacceptable: \(error.message)")
            }
            groupExchange = (request.min, request.preferred, request.max, group.p, group.g)
            step = .awaitingReply(agreement, clientPublic: agreement.publicValue)
            return (initMessage(MessageNumber.kexDHGexInit.rawValue, agreement.publicValue), nil)

        case (.client, .awaitingReply(let agreement, let clientPublic))
            where number == (method.isGroupExchange ? MessageNumber.kexDHGexReply.rawValue : MessageNumber.kexECDHReply.rawValue):
            let hostKeyBlob = Array(try r.readString(maxLength: 16384))
            let serverPublic = try readPublicValue(&r)
            let signature = Array(try r.readString(maxLength: 16384))
            try r.expectEnd("key exchange reply")
            step = .done
            let hostKey: SSHPublicKey
            do {
                hostKey = try SSHPublicKey(blob: hostKeyBlob)
            } catch let error as CryptoError {
                throw SSHError(.protocolError, "the server's host key is malformed: \(error.message)")
            }
            guard hostKey.type == negotiated.hostKey.keyType else {
                throw SSHError(.protocolError, "the server sent a \(hostKey.keyType) host key but \(negotiated.hostKey.rawValue) was negotiated")
            }
            let shared = try agreement.sharedSecret(peerPublicValue: serverPublic)
            let h = hashInput.hash(method.hash, hostKey: hostKeyBlob, groupExchange: groupExchange,
                                   clientPublic: clientPublic, serverPublic: serverPublic,
                                   publicValuesAreMPInts: method.usesMPIntPublicValues, sharedSecret: shared)
            do {
                try hostKey.verify(signature: signature, for: h, allowed: [negotiated.hostKey])
            } catch let error as CryptoError {
                throw SSHError(.hostKeySignatureInvalid,
                    "the server's \(negotiated.hostKey.rawValue) signature over the key exchange does not verify (\(error.message)): the connection may be intercepted")
            }
            return (nil, Outcome(secrets: ExchangeSecrets(sharedSecret: shared, exchangeHash: h, hash: method.hash), hostKey: hostKey))

        case (.server(let hostKeys), .awaitingInit) where method.isGroupExchange && number == MessageNumber.kexDHGexRequest.rawValue:
            let minimum = try r.readUInt32(), preferred = try r.readUInt32(), maximum = try r.readUInt32()
            try r.expectEnd("SSH_MSG_KEX_DH_GEX_REQUEST")
            guard minimum <= preferred, preferred <= maximum, maximum >= 2048 else {
                throw SSHError(.protocolError, "group-exchange request \(minimum)/\(preferred)/\(maximum) is inconsistent")
            }
            let candidates: [DiffieHellmanGroup] = [.group14, .group16, .group18].filter { UInt32($0.bits) >= minimum && UInt32($0.bits) <= maximum }
            guard let group = candidates.first(where: { UInt32($0.bits) >= preferred }) ?? candidates.last else {
                throw SSHError(.noCommonAlgorithm, "no group between \(minimum) and \(maximum) bits")
            }
            _ = hostKeys
            gexRequest = (minimum, preferred, maximum)
            groupExchange = (minimum, preferred, maximum, group.p, group.g)
            serverGroup = group
            var w = WireWriter()
            w.writeByte(MessageNumber.kexDHGexGroup.rawValue)
            w.writeMPInt(group.p)
            w.writeMPInt(group.g)
            return (w.bytes, nil)

        case (.server(let hostKeys), .awaitingInit)
            where number == (method.isGroupExchange ? MessageNumber.kexDHGexInit.rawValue : MessageNumber.kexECDHInit.rawValue):
            let clientPublic = try readPublicValue(&r)
            try r.expectEnd("key exchange init")
            step = .done
            let agreement: any KeyAgreement
            if method.isGroupExchange {
                guard let group = serverGroup else { throw SSHError(.protocolError, "SSH_MSG_KEX_DH_GEX_INIT before the group") }
                agreement = try DiffieHellmanKeyAgreement(group: group, securityBits: negotiated.neededSecurityBits)
            } else {
                guard let a = try method.makeAgreement(securityBits: negotiated.neededSecurityBits) else {
                    throw SSHError(.protocolError, "\(method.rawValue) has no fixed group")
                }
                agreement = a
            }
            guard let hostKey = hostKeys.first(where: { $0.type == negotiated.hostKey.keyType }) else {
                throw SSHError(.noCommonAlgorithm, "no host key for \(negotiated.hostKey.rawValue)")
            }
            let shared = try agreement.sharedSecret(peerPublicValue: clientPublic)
            let h = hashInput.hash(method.hash, hostKey: hostKey.publicKey.blob, groupExchange: groupExchange,
                                   clientPublic: clientPublic, serverPublic: agreement.publicValue,
                                   publicValuesAreMPInts: method.usesMPIntPublicValues, sharedSecret: shared)
            let signature = try hostKey.sign(h, algorithm: negotiated.hostKey)
            var w = WireWriter(capacity: 1024)
            w.writeByte(method.isGroupExchange ? MessageNumber.kexDHGexReply.rawValue : MessageNumber.kexECDHReply.rawValue)
            w.writeString(hostKey.publicKey.blob)
            if method.usesMPIntPublicValues { w.writeMPInt(agreement.publicValue) } else { w.writeString(agreement.publicValue) }
            w.writeString(signature)
            return (w.bytes, Outcome(secrets: ExchangeSecrets(sharedSecret: shared, exchangeHash: h, hash: method.hash), hostKey: hostKey.publicKey))

        default:
            step = .done
            throw SSHError(.protocolError, "unexpected message \(number) during \(method.rawValue) key exchange")
        }
    }
}
