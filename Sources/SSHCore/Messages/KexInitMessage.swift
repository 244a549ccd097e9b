import SSHWire

/// SSH_MSG_KEXINIT (RFC 4253 §7.1). The raw payload is kept because both
/// sides' KEXINITs go into the exchange hash exactly as sent.
struct KexInitMessage: Equatable {
    var cookie: [UInt8]
    var keyExchange: [String]
    var hostKey: [String]
    var ciphersClientToServer: [String]
    var ciphersServerToClient: [String]
    var macsClientToServer: [String]
    var macsServerToClient: [String]
    var compressionClientToServer: [String]
    var compressionServerToClient: [String]
    var languagesClientToServer: [String] = []
    var languagesServerToClient: [String] = []
    var firstKexPacketFollows = false

    func encode() -> [UInt8] {
        var w = WireWriter(capacity: 1024)
        w.writeByte(MessageNumber.kexInit.rawValue)
        w.writeRaw(cookie)
        for list in [keyExchange, hostKey, ciphersClientToServer, ciphersServerToClient,
                     macsClientToServer, macsServerToClient, compressionClientToServer,
                     compressionServerToClient, languagesClientToServer, languagesServerToClient] {
            w.writeNameList(list)
        }
        w.writeBool(firstKexPacketFollows)
        w.writeUInt32(0)
        return w.bytes
    }

    static func decode(_ payload: [UInt8]) throws -> KexInitMessage {
        var r = WireReader(payload)
        guard try r.readByte() == MessageNumber.kexInit.rawValue else {
            throw SSHError(.protocolError, "expected SSH_MSG_KEXINIT")
        }
        let cookie = Array(try r.readBytes(16))
        var lists: [[String]] = []
        for _ in 0..<10 { lists.append(try r.readNameList()) }
        let follows = try r.readBool()
        _ = try r.readUInt32()
        return KexInitMessage(
            cookie: cookie, keyExchange: lists[0], hostKey: lists[1],
            ciphersClientToServer: lists[2], ciphersServerToClient: lists[3],
            macsClientToServer: lists[4], macsServerToClient: lists[5],
            compressionClientToServer: lists[6], compressionServerToClient: lists[7],
            languagesClientToServer: lists[8], languagesServerToClient: lists[9],
            firstKexPacketFollows: follows)
    }
}
