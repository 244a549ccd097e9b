import NIOCore
import SSHCrypto
import SSHWire
@_spi(Internals) @testable import SSHCore

/// ScriptedServer is the server half of the hostile-peer tests: an SSH server
/// driven step by step by the test, built from the real internals
/// (`PacketFramer`, `KexInitMessage`, `KeyExchange`, `ExchangeSecrets`), so it
/// holds the real session keys and can do everything a good server does —
/// and then what a good server never would: send messages out of order,
/// tamper with its KEX reply, or seal packets whose framing is wrong but
/// whose MAC is right.
///
/// It keeps its own sequence numbers, so messages it adds (an IGNORE before
/// KEXINIT, say) do not desynchronise the MACs that follow.
struct ScriptedServer {
    static let ed25519Key: SSHPrivateKey = makeKey(.ed25519)
    static let otherEd25519Key: SSHPrivateKey = makeKey(.ed25519)
    static let ecdsaKey: SSHPrivateKey = makeKey(.ecdsaP256)
    static let rsaKey: SSHPrivateKey = makeKey(.rsa, bits: 2048)

    private static func makeKey(_ type: SSHKeyType, bits: Int? = nil) -> SSHPrivateKey {
        do {
            return try SSHPrivateKey.generate(type, bits: bits)
        } catch {
            preconditionFailure("cannot generate a \(type) test host key: \(error)")
        }
    }

    /// What this server offers in its KEXINIT.
    var algorithms: AlgorithmPreferences
    /// Offer kex-strict-s-v00@openssh.com.
    var offersStrictKeyExchange: Bool
    /// Offer ext-info-s (RFC 8308): the client then waits for EXT_INFO
    /// before its first authentication request.
    var offersExtensionInfo = false
    var hostKeys: [SSHPrivateKey]
    let identification = "SSH-2.0-ScriptedServer_1.0"

    /// Bytes for the client, not yet delivered.
    var toClient = ByteBuffer()

    private(set) var framer = PacketFramer(maximumPacketLength: 1 << 20, allocator: ByteBufferAllocator())
    private var identificationParser = IdentificationExchange()
    private(set) var clientIdentification: String?
    private(set) var clientKexInit: [UInt8]?
    private(set) var serverKexInit: [UInt8]?
    private(set) var negotiated: NegotiatedAlgorithms?
    private(set) var strictKeyExchange = false
    private var keyExchange: KeyExchange?
    private(set) var outcome: KeyExchange.Outcome?
    private(set) var sessionID: [UInt8]?

    init(algorithms: AlgorithmPreferences = AlgorithmPreferences(hostKey: [SignatureAlgorithm.ed25519.rawValue]),
         offersStrictKeyExchange: Bool = true,
         hostKeys: [SSHPrivateKey] = [ScriptedServer.ed25519Key]) {
        self.algorithms = algorithms
        self.offersStrictKeyExchange = offersStrictKeyExchange
        self.hostKeys = hostKeys
    }

    // MARK: Sending

    /// Writes bytes exactly as given.
    mutating func sendRaw(_ bytes: [UInt8]) {
        toClient.writeBytes(bytes)
    }

    mutating func sendIdentification() {
        sendRaw(Array((identification + "\r\n").utf8))
    }

    /// Sends our KEXINIT (and keeps it for the exchange hash).
    mutating func sendKexInit(firstKexPacketFollows: Bool = false) throws {
        let message = KexInitMessage(
            cookie: [UInt8](repeating: 0x5A, count: 16),
            keyExchange: algorithms.keyExchange + (offersStrictKeyExchange ? [KexExtensionMarker.strictServer] : [])
                + (offersExtensionInfo ? [KexExtensionMarker.extInfoServer] : []),
            hostKey: algorithms.hostKey,
            ciphersClientToServer: algorithms.ciphers, ciphersServerToClient: algorithms.ciphers,
            macsClientToServer: algorithms.macs, macsServerToClient: algorithms.macs,
            compressionClientToServer: algorithms.compression, compressionServerToClient: algorithms.compression,
            firstKexPacketFollows: firstKexPacketFollows)
        let payload = message.encode()
        serverKexInit = payload
        try send(payload)
        try negotiateIfReady()
    }

    /// Sends one payload (message number first) as a well-formed packet under
    /// the keys in force.
    mutating func send(_ payload: [UInt8]) throws {
        try framer.writePacket(into: &toClient) { $0.writeBytes(payload) }
    }

    /// The bytes `send` would write, without sending them (the sequence number
    /// and cipher state advance as if they had been sent).
    mutating func packet(_ payload: [UInt8]) throws -> [UInt8] {
        var out = ByteBuffer()
        try framer.writePacket(into: &out) { $0.writeBytes(payload) }
        return Array(out.readableBytesView)
    }

    /// Seals a hand-built packet under the keys in force: `padding` random
    /// bytes after the payload, `paddingLengthByte` (default: the real count)
    /// in the header and `declaredLength` (default: the real packet_length)
    /// as packet_length. The MAC or tag is computed over what is written, so
    /// the packet authenticates whatever its framing says.
    mutating func sendCrafted(payload: [UInt8], padding: Int, paddingLengthByte: UInt8? = nil,
                              declaredLength: UInt32? = nil) throws {
        let protection = framer.outboundProtection
        let packetLength = 1 + payload.count + padding
        var bytes = [UInt8](repeating: 0, count: 4 + packetLength + protection.tagLength)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: (declaredLength ?? UInt32(packetLength)).bigEndian, as: UInt32.self) }
        bytes[4] = paddingLengthByte ?? UInt8(truncatingIfNeeded: padding)
        bytes.replaceSubrange(5..<(5 + payload.count), with: payload)
        for i in 0..<padding { bytes[5 + payload.count + i] = UInt8(truncatingIfNeeded: i &* 37 &+ 11) }
        try bytes.withUnsafeMutableBytes { try protection.seal($0, sequenceNumber: framer.outboundSequence) }
        framer.outboundSequence &+= 1
        sendRaw(bytes)
    }

    /// Ends the exchange on our side: NEWKEYS, then our outbound keys (and
    /// sequence number 0 under strict KEX).
    mutating func sendNewKeys() throws {
        try send([MessageNumber.newKeys.rawValue])
        try switchOutboundKeys()
    }

    /// Starts protecting what we send with the negotiated keys, as if NEWKEYS
    /// had been sent.
    mutating func switchOutboundKeys() throws {
        guard let outcome, let sessionID, let negotiated else { throw TestFailure("no key exchange outcome yet") }
        framer.outboundProtection = try outcome.secrets.protection(
            clientToServer: false, cipher: negotiated.cipherServerToClient, mac: negotiated.macServerToClient,
            sessionID: sessionID)
        if strictKeyExchange { framer.outboundSequence = 0 }
    }

    /// Compresses what we send from now on (zlib, or zlib@openssh.com after authentication).
    mutating func startCompressing() throws {
        framer.compressor = try ZlibCompressor()
    }

    mutating func stopCompressing() {
        framer.compressor = nil
    }

    // MARK: Receiving

    /// Reads what the client sent: its identification line, then whole
    /// payloads. The client's KEXINIT is recorded and its NEWKEYS switches our
    /// inbound keys; every payload is returned.
    mutating func receive(_ bytes: inout ByteBuffer) throws -> [[UInt8]] {
        framer.append(&bytes)
        if clientIdentification == nil {
            var parser = identificationParser
            clientIdentification = try framer.withInbound { try parser.parse(&$0) }
            identificationParser = parser
            if clientIdentification == nil { return [] }
        }
        var payloads: [[UInt8]] = []
        while let payload = try framer.nextPayload() {
            let bytes = Array(payload.readableBytesView)
            payloads.append(bytes)
            if bytes.first == MessageNumber.kexInit.rawValue && clientKexInit == nil {
                clientKexInit = bytes
                try negotiateIfReady()
            } else if bytes.first == MessageNumber.newKeys.rawValue, let outcome, let sessionID, let negotiated {
                framer.inboundProtection = try outcome.secrets.protection(
                    clientToServer: true, cipher: negotiated.cipherClientToServer, mac: negotiated.macClientToServer,
                    sessionID: sessionID)
                if strictKeyExchange { framer.inboundSequence = 0 }
            }
        }
        return payloads
    }

    // MARK: Key exchange

    private mutating func negotiateIfReady() throws {
        guard negotiated == nil, let clientKexInit, let serverKexInit, let clientIdentification else { return }
        let client = try KexInitMessage.decode(clientKexInit)
        let server = try KexInitMessage.decode(serverKexInit)
        let algorithms = try NegotiatedAlgorithms.negotiate(client: client, server: server)
        negotiated = algorithms
        strictKeyExchange = offersStrictKeyExchange && client.keyExchange.contains(KexExtensionMarker.strictClient)
        keyExchange = KeyExchange(
            role: .server(hostKeys: hostKeys), negotiated: algorithms,
            hashInput: ExchangeHashInput(
                clientIdentification: clientIdentification, serverIdentification: identification,
                clientKexInit: clientKexInit, serverKexInit: serverKexInit))
    }

    /// Runs one client KEX-method message through the real server-side
    /// exchange and returns the reply payload, without sending it. Once the
    /// exchange completes, the outcome (keys, H) is kept.
    mutating func answer(_ message: [UInt8]) throws -> [UInt8] {
        guard var exchange = keyExchange else { throw TestFailure("KEXINITs not exchanged yet") }
        let (reply, outcome) = try exchange.receive(message)
        keyExchange = exchange
        if let outcome {
            self.outcome = outcome
            if sessionID == nil { sessionID = outcome.secrets.exchangeHash }
        }
        guard let reply else { throw TestFailure("the server key exchange produced no reply") }
        return reply
    }
}

/// What the hostile-server driver needs from the client under test: the bare
/// transport or the whole client connection state machine.
protocol HostileServerClient {
    associatedtype Event
    mutating func start(into out: inout ByteBuffer) throws
    mutating func receive(_ bytes: inout ByteBuffer)
    mutating func nextEvent(output out: inout ByteBuffer) throws -> Event?
    mutating func hostKeyAccepted(output out: inout ByteBuffer) throws
    /// The key the event asks the owner to verify, if it is that event.
    static func hostKey(in event: Event) -> SSHPublicKey?
}

extension SSHTransport: HostileServerClient {
    static func hostKey(in event: TransportEvent) -> SSHPublicKey? {
        if case .hostKeyNeedsVerification(let key) = event { return key }
        return nil
    }
}

extension ClientConnectionStateMachine: HostileServerClient {
    static func hostKey(in event: Event) -> SSHPublicKey? {
        if case .hostKeyNeedsVerification(let key) = event { return key }
        return nil
    }
}

/// HostileSession wires a client under test to a `ScriptedServer` in memory.
/// The test moves bytes explicitly: `deliver()` feeds the server's output to
/// the client (accepting any host key), `serverReads()` the other way.
struct HostileSession<Client: HostileServerClient> {
    var client: Client
    var server: ScriptedServer
    var toServer = ByteBuffer()
    var events: [Client.Event] = []
    /// Every payload the server read from the client, in order.
    var received: [[UInt8]] = []
    /// Host keys the client asked to verify (all accepted).
    var verifiedHostKeys: [SSHPublicKey] = []

    init(client: Client, server: ScriptedServer = ScriptedServer()) throws {
        self.client = client
        self.server = server
        try self.client.start(into: &toServer)
    }

    /// Feeds everything the server wrote to the client and collects the
    /// client's events; its replies go to `toServer`. Returns the new events.
    @discardableResult
    mutating func deliver() throws -> [Client.Event] {
        var bytes = server.toClient
        server.toClient = ByteBuffer()
        return try deliver(&bytes)
    }

    /// Feeds `bytes` to the client as if the server had sent them.
    @discardableResult
    mutating func deliver(_ bytes: inout ByteBuffer) throws -> [Client.Event] {
        client.receive(&bytes)
        var new: [Client.Event] = []
        while let event = try client.nextEvent(output: &toServer) {
            new.append(event)
            events.append(event)  // kept even if a later packet fails
            if let key = Client.hostKey(in: event) {
                verifiedHostKeys.append(key)
                try client.hostKeyAccepted(output: &toServer)
            }
        }
        return new
    }

    @discardableResult
    mutating func deliver(_ bytes: [UInt8]) throws -> [Client.Event] {
        var buffer = ByteBuffer(bytes: bytes)
        return try deliver(&buffer)
    }

    /// The server reads what the client sent; returns the client's payloads.
    mutating func serverReads() throws -> [[UInt8]] {
        var bytes = toServer
        toServer = ByteBuffer()
        let payloads = try server.receive(&bytes)
        received += payloads
        return payloads
    }

    /// Identification (after `banner` lines) and KEXINIT both ways; returns
    /// the client's first KEX-method message (for group exchange, after the
    /// server sent the group). `beforeKexInit` may send what it likes between
    /// the identification line and the server's KEXINIT.
    mutating func exchangeKexInits(banner: [UInt8] = [],
                                   beforeKexInit: (inout ScriptedServer) throws -> Void = { _ in }) throws -> [UInt8] {
        server.sendRaw(banner)
        server.sendIdentification()
        try beforeKexInit(&server)
        try server.sendKexInit()
        try deliver()
        var payloads = try serverReads().filter { $0.first != MessageNumber.kexInit.rawValue }
        if server.negotiated?.keyExchange.isGroupExchange == true {
            guard let request = payloads.first else { throw TestFailure("no GEX_REQUEST from the client") }
            try server.send(try server.answer(request))
            try deliver()
            payloads = try serverReads()
        }
        guard let first = payloads.first else { throw TestFailure("the client sent no KEX-method message") }
        return first
    }

    /// The rest of a well-behaved handshake: the server's reply (through
    /// `tamper`), NEWKEYS both ways. Returns the events of the last delivery.
    @discardableResult
    mutating func finishHandshake(_ clientInit: [UInt8], tamper: ([UInt8]) -> [UInt8] = { $0 }) throws -> [Client.Event] {
        let reply = try server.answer(clientInit)
        try server.send(tamper(reply))
        try server.sendNewKeys()
        let new = try deliver()
        _ = try serverReads()
        return new
    }

    /// A complete, well-behaved handshake.
    mutating func establish(banner: [UInt8] = []) throws {
        let clientInit = try exchangeKexInits(banner: banner)
        try finishHandshake(clientInit)
    }
}

/// A hostile session against the bare client transport.
typealias TransportSession = HostileSession<SSHTransport>

extension HostileSession where Client == SSHTransport {
    init(strictKeyExchange: Bool = true, algorithms: AlgorithmPreferences = AlgorithmPreferences(),
         server: ScriptedServer = ScriptedServer()) throws {
        try self.init(
            client: SSHTransport(configuration: TransportConfiguration(
                role: .client, algorithms: algorithms, strictKeyExchange: strictKeyExchange)),
            server: server)
    }
}

/// A payload built with a WireWriter.
func message(_ number: UInt8, _ body: (inout WireWriter) -> Void = { _ in }) -> [UInt8] {
    var w = WireWriter()
    w.writeByte(number)
    body(&w)
    return w.bytes
}
