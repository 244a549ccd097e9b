import NIOCore
import SSHCrypto
import SSHWire

/// SSHTransport is the SSH transport layer protocol (RFC 4253) as a sans-I/O
/// state machine: received bytes go in, events and bytes to send come out.
/// It owns the identification exchange, key exchanges (the first and every
/// rekey, started by either side), the packet framer, strict KEX, EXT_INFO and
/// the generic messages (IGNORE, DEBUG, UNIMPLEMENTED, DISCONNECT).
///
/// The layers above send through `sendPayload`, which queues their messages
/// while a key exchange is in progress, as RFC 4253 §7.1 requires.
@_spi(Internals) public struct SSHTransport {
    public let configuration: TransportConfiguration
    private var framer: PacketFramer
    private var identification = IdentificationExchange()
    private let ourIdentification: String
    public private(set) var peerIdentification: String?

    /// H of the first exchange: identifies this connection (RFC 4253 §7.2).
    public private(set) var sessionID: [UInt8]?
    /// The server's host key, fixed by the first exchange.
    public private(set) var serverHostKey: SSHPublicKey?
    /// The algorithms of the key exchange in force.
    public private(set) var negotiated: NegotiatedAlgorithms?
    /// What the peer listed in its latest KEXINIT.
    public private(set) var peerOffer: AlgorithmOffer?
    /// True once strict KEX was agreed in the first KEXINIT exchange.
    public private(set) var strictKeyExchange = false
    /// True when the peer advertised RFC 8308 extension negotiation.
    private var peerWantsExtInfo = false
    /// Client side: the server's first KEXINIT offered `ext-info-s`, so its
    /// EXT_INFO (RFC 8308 §2.4) follows its first NEWKEYS at once; the
    /// client waits for it before signing with an RSA key.
    public private(set) var peerOffersExtensionInfo = false

    // The exchange in progress, if any.
    private var ourKexInit: [UInt8]?
    private var peerKexInit: [UInt8]?
    private var kex: KeyExchange?
    private var pendingOutcome: KeyExchange.Outcome?
    private var sentNewKeys = false
    private var receivedNewKeys = false
    private var ignoreNextKexPacket = false
    private var completedExchanges = 0
    private var queuedPayloads: [ByteBuffer] = []
    private var pendingEvents: [TransportEvent] = []
    private var lastKexTime: ContinuousClock.Instant = .now
    private var delayedCompressionEnabled = false
    /// Set while the owner decides about the server's host key.
    public private(set) var awaitingHostKeyDecision = false
    private let allocator: ByteBufferAllocator

    public init(configuration: TransportConfiguration, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.configuration = configuration
        self.allocator = allocator
        self.framer = PacketFramer(maximumPacketLength: configuration.maximumPacketLength, allocator: allocator)
        self.ourIdentification = IdentificationExchange.line(softwareVersion: configuration.softwareVersion)
    }

    /// True between sending or receiving a KEXINIT and the end of that exchange.
    public var isKeyExchangeInProgress: Bool { ourKexInit != nil || peerKexInit != nil }

    /// True once the first key exchange finished.
    public var isEstablished: Bool { completedExchanges > 0 }

    /// Writes our identification line and our first KEXINIT.
    public mutating func start(into out: inout ByteBuffer) throws {
        out.writeString(ourIdentification + "\r\n")
        try sendKexInit(into: &out)
    }

    /// Buffers received bytes; call `nextEvent` to process them.
    public mutating func receive(_ bytes: inout ByteBuffer) {
        framer.append(&bytes)
    }

    /// Processes buffered input until something happens that the layers above
    /// must see, writing any replies (KEX messages, NEWKEYS, queued payloads)
    /// to `out`. Returns nil when more input is needed.
    public mutating func nextEvent(output out: inout ByteBuffer) throws -> TransportEvent? {
        if !pendingEvents.isEmpty { return pendingEvents.removeFirst() }
        if peerIdentification == nil {
            var parser = identification
            let line = try framer.withInbound { try parser.parse(&$0) }
            identification = parser
            guard let line else { return nil }
            peerIdentification = line
        }
        // While the owner decides (perhaps asking a person) nothing is
        // processed; a server has nothing to send then beyond NEWKEYS and
        // EXT_INFO, so one that streams is refused rather than buffered.
        if awaitingHostKeyDecision && framer.bufferedByteCount > Self.inputLimitDuringHostKeyDecision(configuration) {
            throw SSHError(.protocolError, "the server sent \(framer.bufferedByteCount) bytes while its host key was being verified")
        }
        while !awaitingHostKeyDecision, let payload = try framer.nextPayload() {
            if let event = try handle(payload, output: &out) { return event }
            if !pendingEvents.isEmpty { return pendingEvents.removeFirst() }
        }
        try rekeyIfDue(output: &out)
        return nil
    }

    /// Sends one message of the layers above, written by `write` (message
    /// number first). While a key exchange is in progress it is queued and
    /// sent after our NEWKEYS.
    ///
    /// `trailing`, when given, ends the message: its bytes are encrypted
    /// into the packet straight from it (see `PacketFramer.writePacket`).
    public mutating func sendPayload(into out: inout ByteBuffer, trailing: ByteBuffer? = nil,
                                     _ write: (inout ByteBuffer) throws -> Void) throws {
        guard isEstablished, !(ourKexInit != nil && !sentNewKeys) else {
            var payload = allocator.buffer(capacity: 256 + (trailing?.readableBytes ?? 0))
            try write(&payload)
            if let trailing { payload.writeImmutableBuffer(trailing) }
            queuedPayloads.append(payload)
            return
        }
        try framer.writePacket(into: &out, trailing: trailing, write)
        try rekeyIfDue(output: &out)
    }

    /// Sends SSH_MSG_IGNORE with `length` bytes of padding (keepalives, traffic shaping).
    public mutating func sendIgnore(length: Int, into out: inout ByteBuffer) throws {
        try sendPayload(into: &out) { buffer in
            buffer.writeInteger(MessageNumber.ignore.rawValue)
            buffer.writeInteger(UInt32(length))
            buffer.writeRepeatingByte(0, count: length)
        }
    }

    /// Writes SSH_MSG_DISCONNECT (best effort, before closing the socket).
    public mutating func writeDisconnect(reason: DisconnectReason, description: String, into out: inout ByteBuffer) {
        try? framer.writePacket(into: &out) { buffer in
            buffer.writeInteger(MessageNumber.disconnect.rawValue)
            buffer.writeInteger(reason.rawValue)
            buffer.writeSSHString(Array(description.utf8))
            buffer.writeSSHString([])
        }
    }

    /// Starts a key exchange now (e.g. `~R`, or a test), unless one is running.
    public mutating func initiateRekey(into out: inout ByteBuffer) throws {
        guard isEstablished, !isKeyExchangeInProgress else { return }
        try sendKexInit(into: &out)
    }

    /// Call when user authentication succeeded: zlib@openssh.com starts now
    /// (after USERAUTH_SUCCESS in both directions).
    public mutating func authenticationSucceeded() throws {
        guard !delayedCompressionEnabled else { return }
        delayedCompressionEnabled = true
        try enableCompression(inbound: true, delayedOnly: true)
        try enableCompression(inbound: false, delayedOnly: true)
    }

    /// Bytes received and not yet processed (tests, backpressure).
    public var bufferedInputCount: Int { framer.bufferedByteCount }

    // MARK: - Internals

    /// Most input buffered while the host key decision is pending.
    static func inputLimitDuringHostKeyDecision(_ configuration: TransportConfiguration) -> Int {
        4 * configuration.maximumPacketLength
    }

    private var rekeyLimit: UInt64 {
        if let limit = configuration.rekeyLimitBytes { return max(limit, 16 * 1024) }
        let block = UInt64(framer.outboundProtection.blockSize)
        return block >= 16 ? (UInt64(1) << 32) * block : UInt64(1) << 30
    }

    private mutating func rekeyIfDue(output out: inout ByteBuffer) throws {
        guard isEstablished, !isKeyExchangeInProgress else { return }
        var due = framer.bytesInSinceKex >= rekeyLimit || framer.bytesOutSinceKex >= rekeyLimit
            || framer.packetsInSinceKex >= 1 << 31 || framer.packetsOutSinceKex >= 1 << 31
        if let interval = configuration.rekeyInterval, ContinuousClock.now - lastKexTime >= interval { due = true }
        if due { try sendKexInit(into: &out) }
    }

    private mutating func sendKexInit(into out: inout ByteBuffer) throws {
        let prefs = configuration.algorithms
        var kexList = prefs.keyExchange
        if completedExchanges == 0 {
            if configuration.isClient {
                kexList.append(KexExtensionMarker.extInfoClient)
                if configuration.strictKeyExchange { kexList.append(KexExtensionMarker.strictClient) }
            } else if configuration.strictKeyExchange {
                kexList.append(KexExtensionMarker.strictServer)
            }
        }
        var hostKeyList = prefs.hostKey
        if case .server(let keys) = configuration.role {
            let types = Set(keys.map(\.type))
            hostKeyList = hostKeyList.filter { name in SignatureAlgorithm(rawValue: name).map { types.contains($0.keyType) } ?? false }
        }
        let message = KexInitMessage(
            cookie: try SecureRandom.bytes(16), keyExchange: kexList, hostKey: hostKeyList,
            ciphersClientToServer: prefs.ciphers, ciphersServerToClient: prefs.ciphers,
            macsClientToServer: prefs.macs, macsServerToClient: prefs.macs,
            compressionClientToServer: prefs.compression, compressionServerToClient: prefs.compression)
        let payload = message.encode()
        ourKexInit = payload
        sentNewKeys = false
        receivedNewKeys = false
        try framer.writePacket(into: &out) { $0.writeBytes(payload) }
        try beginMethodIfReady(output: &out)
    }

    /// Handles one received payload; returns an event for the layers above, if any.
    private mutating func handle(_ payload: ByteBuffer, output out: inout ByteBuffer) throws -> TransportEvent? {
        guard let number = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else {
            throw SSHError(.protocolError, "the peer sent an empty packet")
        }
        let inInitialExchange = completedExchanges == 0
        if strictKeyExchange && inInitialExchange && !(MessageNumber.algorithmNegotiationRange.lowerBound...MessageNumber.keyExchangeMethodRange.upperBound).contains(number) && number != MessageNumber.disconnect.rawValue {
            throw SSHError(.protocolError, "strict KEX violation: message \(number) during the initial key exchange")
        }
        switch number {
        case MessageNumber.disconnect.rawValue:
            var r = WireReader(Array(payload.readableBytesView))
            _ = try? r.readByte()
            let code = (try? r.readUInt32()) ?? 0
            let text = (try? r.readUTF8(maxLength: 64 * 1024)) ?? ""
            let reason = DisconnectReason(rawValue: code).map { "\($0)" } ?? "code \(code)"
            throw SSHError(.disconnectedByPeer, "the server disconnected (\(reason)): \(terminalSafeText(text))")
        case MessageNumber.ignore.rawValue:
            return nil
        case MessageNumber.unimplemented.rawValue:
            var r = WireReader(Array(payload.readableBytesView))
            _ = try? r.readByte()
            let seq = (try? r.readUInt32()).map(String.init) ?? "?"
            return .debug(message: "the peer did not implement our packet \(seq)", alwaysDisplay: false)
        case MessageNumber.debug.rawValue:
            var r = WireReader(Array(payload.readableBytesView))
            do {
                _ = try r.readByte()
                let always = try r.readBool()
                let text = try r.readUTF8(maxLength: 64 * 1024)
                return .debug(message: terminalSafeText(text), alwaysDisplay: always)
            } catch let error as WireError {
                throw SSHError(.protocolError, "malformed SSH_MSG_DEBUG: \(error.message)")
            }
        case MessageNumber.extInfo.rawValue:
            // RFC 8308 §2.4: only after NEWKEYS. Before it, without strict KEX,
            // anyone on the path could have injected it.
            guard isEstablished || receivedNewKeys else {
                throw SSHError(.protocolError, "the peer sent EXT_INFO before its first NEWKEYS")
            }
            return try handleExtInfo(Array(payload.readableBytesView))
        case MessageNumber.kexInit.rawValue:
            try handlePeerKexInit(Array(payload.readableBytesView), output: &out)
            return nil
        case MessageNumber.newKeys.rawValue:
            try handleNewKeys(payload, output: &out)
            return nil
        case 30...49:
            try handleMethodMessage(Array(payload.readableBytesView), output: &out)
            return nil
        case MessageNumber.serviceRequest.rawValue, MessageNumber.serviceAccept.rawValue, 50...255:
            if peerKexInit != nil && !receivedNewKeys || !isEstablished {
                throw SSHError(.protocolError, "message \(number) arrived in the middle of a key exchange")
            }
            return .payload(payload)
        default:
            // Unassigned transport numbers: answer as RFC 4253 §11.4 asks.
            let sequence = framer.inboundSequence &- 1
            try sendPayload(into: &out) { buffer in
                buffer.writeInteger(MessageNumber.unimplemented.rawValue)
                buffer.writeInteger(sequence)
            }
            return nil
        }
    }

    private mutating func handlePeerKexInit(_ payload: [UInt8], output out: inout ByteBuffer) throws {
        guard peerKexInit == nil else {
            throw SSHError(.protocolError, "the peer sent a second KEXINIT during a key exchange")
        }
        let message: KexInitMessage
        do {
            message = try KexInitMessage.decode(payload)
        } catch let error as WireError {
            throw SSHError(.protocolError, "malformed KEXINIT: \(error.message)")
        }
        if completedExchanges == 0 {
            let strictMarker = configuration.isClient ? KexExtensionMarker.strictServer : KexExtensionMarker.strictClient
            strictKeyExchange = configuration.strictKeyExchange && message.keyExchange.contains(strictMarker)
            // The KEXINIT was packet number 0 if nothing came before it.
            if strictKeyExchange && framer.inboundSequence != 1 {
                throw SSHError(.protocolError, "strict KEX violation: KEXINIT was not the first packet from the peer")
            }
            peerWantsExtInfo = !configuration.isClient && message.keyExchange.contains(KexExtensionMarker.extInfoClient)
            peerOffersExtensionInfo = configuration.isClient && message.keyExchange.contains(KexExtensionMarker.extInfoServer)
        }
        peerKexInit = payload
        peerOffer = AlgorithmOffer(message)
        if ourKexInit == nil { try sendKexInit(into: &out) } else { try beginMethodIfReady(output: &out) }
        if message.firstKexPacketFollows, let ours = ourKexInit, let mine = try? KexInitMessage.decode(ours) {
            let (client, server) = configuration.isClient ? (mine, message) : (message, mine)
            ignoreNextKexPacket = !NegotiatedAlgorithms.guessIsCorrect(client: client, server: server)
        }
    }

    /// Once both KEXINITs are known: negotiate and start the method.
    private mutating func beginMethodIfReady(output out: inout ByteBuffer) throws {
        guard kex == nil, let ours = ourKexInit, let theirs = peerKexInit,
              let peerIdentification else { return }
        let mine = try KexInitMessage.decode(ours)
        let peer = try KexInitMessage.decode(theirs)
        let isClient = configuration.isClient
        let (client, server) = isClient ? (mine, peer) : (peer, mine)
        let algorithms = try NegotiatedAlgorithms.negotiate(client: client, server: server)
        let hashInput = ExchangeHashInput(
            clientIdentification: isClient ? ourIdentification : peerIdentification,
            serverIdentification: isClient ? peerIdentification : ourIdentification,
            clientKexInit: isClient ? ours : theirs, serverKexInit: isClient ? theirs : ours)
        let role: KeyExchange.Role
        switch configuration.role {
        case .client: role = .client
        case .server(let keys): role = .server(hostKeys: keys)
        }
        var exchange = KeyExchange(role: role, negotiated: algorithms, hashInput: hashInput)
        if let first = try exchange.start() {
            try framer.writePacket(into: &out) { $0.writeBytes(first) }
        }
        kex = exchange
    }

    private mutating func handleMethodMessage(_ payload: [UInt8], output out: inout ByteBuffer) throws {
        if ignoreNextKexPacket {
            ignoreNextKexPacket = false
            return
        }
        guard var exchange = kex, pendingOutcome == nil else {
            throw SSHError(.protocolError, "key exchange message \(payload.first ?? 0) outside a key exchange")
        }
        let (reply, outcome) = try exchange.receive(payload)
        kex = exchange
        if let reply { try framer.writePacket(into: &out) { $0.writeBytes(reply) } }
        guard let outcome else { return }
        pendingOutcome = outcome
        if configuration.isClient {
            if let known = serverHostKey {
                guard known == outcome.hostKey else {
                    throw SSHError(.hostKeyRejected, "the server presented a different host key (\(outcome.hostKey)) when rekeying")
                }
            } else {
                awaitingHostKeyDecision = true
                pendingEvents.append(.hostKeyNeedsVerification(outcome.hostKey))
                return
            }
        }
        serverHostKey = outcome.hostKey
        if sessionID == nil { sessionID = outcome.secrets.exchangeHash }
        try sendNewKeys(exchange.negotiated, output: &out)
    }

    /// The owner trusts the server's host key: the first exchange completes.
    public mutating func hostKeyAccepted(output out: inout ByteBuffer) throws {
        guard awaitingHostKeyDecision, let outcome = pendingOutcome, let algorithms = kex?.negotiated else { return }
        awaitingHostKeyDecision = false
        serverHostKey = outcome.hostKey
        if sessionID == nil { sessionID = outcome.secrets.exchangeHash }
        try sendNewKeys(algorithms, output: &out)
    }

    private mutating func sendNewKeys(_ algorithms: NegotiatedAlgorithms, output out: inout ByteBuffer) throws {
        guard let outcome = pendingOutcome, let sessionID else { return }
        try framer.writePacket(into: &out) { $0.writeInteger(MessageNumber.newKeys.rawValue) }
        let isClient = configuration.isClient
        framer.outboundProtection = try outcome.secrets.protection(
            clientToServer: isClient,
            cipher: isClient ? algorithms.cipherClientToServer : algorithms.cipherServerToClient,
            mac: isClient ? algorithms.macClientToServer : algorithms.macServerToClient,
            sessionID: sessionID)
        if strictKeyExchange { framer.outboundSequence = 0 }
        sentNewKeys = true
        negotiated = algorithms
        // New keys, new zlib stream (OpenSSH and dropbear restart theirs at
        // every NEWKEYS): the peer inflates what follows with a fresh state.
        framer.compressor = nil
        try enableCompression(inbound: false, delayedOnly: false)
        if !isClient && completedExchanges == 0 && peerWantsExtInfo {
            let signatureAlgorithms = Array(configuration.algorithms.hostKey.joined(separator: ",").utf8)
            try framer.writePacket(into: &out) { buffer in
                buffer.writeInteger(MessageNumber.extInfo.rawValue)
                buffer.writeInteger(UInt32(1))
                buffer.writeSSHString(Array("server-sig-algs".utf8))
                buffer.writeSSHString(signatureAlgorithms)
            }
        }
        // On a rekey the layers above may send again as soon as our NEWKEYS
        // is out; during the first exchange they wait for both sides.
        if isEstablished { try flushQueuedPayloads(output: &out) }
        try finishExchangeIfDone(output: &out)
    }

    private mutating func handleNewKeys(_ payload: ByteBuffer, output out: inout ByteBuffer) throws {
        guard payload.readableBytes == 1 else { throw SSHError(.protocolError, "malformed NEWKEYS") }
        guard let outcome = pendingOutcome, let sessionID, let algorithms = negotiated, sentNewKeys else {
            throw SSHError(.protocolError, "NEWKEYS before the key exchange finished")
        }
        let isClient = configuration.isClient
        framer.inboundProtection = try outcome.secrets.protection(
            clientToServer: !isClient,
            cipher: isClient ? algorithms.cipherServerToClient : algorithms.cipherClientToServer,
            mac: isClient ? algorithms.macServerToClient : algorithms.macClientToServer,
            sessionID: sessionID)
        if strictKeyExchange { framer.inboundSequence = 0 }
        receivedNewKeys = true
        framer.decompressor = nil
        try enableCompression(inbound: true, delayedOnly: false)
        try finishExchangeIfDone(output: &out)
    }

    private mutating func flushQueuedPayloads(output out: inout ByteBuffer) throws {
        let queued = queuedPayloads
        queuedPayloads.removeAll()
        for var payload in queued { try framer.writePacket(into: &out) { $0.writeBuffer(&payload) } }
    }

    private mutating func finishExchangeIfDone(output out: inout ByteBuffer) throws {
        guard sentNewKeys, receivedNewKeys, let algorithms = negotiated else { return }
        let initial = completedExchanges == 0
        completedExchanges += 1
        ourKexInit = nil
        peerKexInit = nil
        kex = nil
        pendingOutcome = nil
        ignoreNextKexPacket = false
        framer.bytesInSinceKex = 0
        framer.bytesOutSinceKex = 0
        framer.packetsInSinceKex = 0
        framer.packetsOutSinceKex = 0
        lastKexTime = .now
        try flushQueuedPayloads(output: &out)
        pendingEvents.append(.keyExchangeCompleted(algorithms, initial: initial))
    }

    private mutating func enableCompression(inbound: Bool, delayedOnly: Bool) throws {
        guard let algorithms = negotiated else { return }
        let isClient = configuration.isClient
        let method = inbound == isClient ? algorithms.compressionServerToClient : algorithms.compressionClientToServer
        let active = method == .zlib || (method == .zlibOpenSSH && delayedCompressionEnabled)
        guard active, !(delayedOnly && method != .zlibOpenSSH) else { return }
        if inbound, framer.decompressor == nil {
            framer.decompressor = try ZlibDecompressor(maxOutputPerCall: configuration.maximumPacketLength)
        } else if !inbound, framer.compressor == nil {
            framer.compressor = try ZlibCompressor()
        }
    }

    private mutating func handleExtInfo(_ payload: [UInt8]) throws -> TransportEvent? {
        .extensionInfo(try Self.decodeExtInfo(payload))
    }

    /// Decodes SSH_MSG_EXT_INFO (RFC 8308 §2.3) into extension name → value;
    /// static so the fuzz entry point reaches it without a transport.
    static func decodeExtInfo(_ payload: [UInt8]) throws -> [String: [UInt8]] {
        var r = WireReader(payload)
        var extensions: [String: [UInt8]] = [:]
        do {
            _ = try r.readByte()
            let count = try r.readUInt32()
            guard count <= 64 else { throw SSHError(.protocolError, "EXT_INFO lists \(count) extensions (limit 64)") }
            for _ in 0..<count {
                let name = try r.readUTF8(maxLength: 256)
                extensions[name] = Array(try r.readString(maxLength: 64 * 1024))
            }
        } catch let error as WireError {
            throw SSHError(.protocolError, "malformed EXT_INFO: \(error.message)")
        }
        return extensions
    }
}

extension ByteBuffer {
    /// Writes an SSH `string` (uint32 length + bytes).
    @inlinable
    public mutating func writeSSHString<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        writeInteger(UInt32(truncatingIfNeeded: bytes.count))
        writeBytes(bytes)
    }
}
