import NIOCore
import SSHCrypto
import SSHWire
import Testing
@_spi(Internals) @testable import SSHCore

/// The packet protection families, each selected by one cipher (and MAC).
enum CipherFamily: String, CaseIterable, Sendable {
    case chacha20Poly1305
    case aesGCM
    case aesCTRWithETM
    case aesCTRWithEaM
    /// Encrypt-and-MAC with a 20-byte tag (not a multiple of the block size).
    case aesCTRWithSHA1EaM

    var cipher: CipherAlgorithm {
        switch self {
        case .chacha20Poly1305: .chacha20Poly1305
        case .aesGCM: .aes256GCM
        case .aesCTRWithETM, .aesCTRWithEaM: .aes128CTR
        case .aesCTRWithSHA1EaM: .aes256CTR
        }
    }

    var mac: MACAlgorithm {
        switch self {
        case .chacha20Poly1305, .aesGCM, .aesCTRWithETM: .hmacSHA256ETM
        case .aesCTRWithEaM: .hmacSHA512
        case .aesCTRWithSHA1EaM: .hmacSHA1
        }
    }

    /// A session whose first key exchange completed with this family in both directions.
    func establishedSession(strictKeyExchange: Bool = true) throws -> TransportSession {
        var session = try TransportSession(
            strictKeyExchange: strictKeyExchange,
            algorithms: AlgorithmPreferences(ciphers: [cipher.rawValue], macs: [mac.rawValue]),
            server: ScriptedServer(algorithms: AlgorithmPreferences(
                keyExchange: [KeyExchangeAlgorithm.curve25519SHA256.rawValue],
                hostKey: [SignatureAlgorithm.ed25519.rawValue],
                ciphers: [cipher.rawValue], macs: [mac.rawValue])))
        try session.establish()
        guard session.client.isEstablished, session.client.negotiated?.cipherServerToClient == cipher else {
            throw TestFailure("the \(self) session did not establish: \(session.events)")
        }
        return session
    }
}

/// An SSH_MSG_IGNORE payload carrying `text`.
func ignoreMessage(_ text: String = "hostile bytes in flight") -> [UInt8] {
    message(MessageNumber.ignore.rawValue) { $0.writeString(text) }
}

/// SSH_MSG_DEBUG.
func debugMessage(_ text: String, alwaysDisplay: Bool = true) -> [UInt8] {
    message(MessageNumber.debug.rawValue) {
        $0.writeBool(alwaysDisplay)
        $0.writeString(text)
        $0.writeString("")
    }
}

/// SSH_MSG_DISCONNECT.
func disconnectMessage(_ reason: UInt32, _ text: [UInt8]) -> [UInt8] {
    message(MessageNumber.disconnect.rawValue) {
        $0.writeUInt32(reason)
        $0.writeString(text)
        $0.writeString("")
    }
}

/// The server's single-round KEX reply: K_S, the public value, the signature.
struct KexReply {
    var number: UInt8
    var hostKey: [UInt8]
    /// The public value's wire content (string for ECDH/X25519, mpint bytes for DH).
    var publicValue: [UInt8]
    var signature: [UInt8]

    init(_ payload: [UInt8]) throws {
        var r = WireReader(payload)
        number = try r.readByte()
        hostKey = Array(try r.readString())
        publicValue = Array(try r.readString())
        signature = Array(try r.readString())
        try r.expectEnd()
    }

    var encoded: [UInt8] {
        message(number) {
            $0.writeString(hostKey)
            $0.writeString(publicValue)
            $0.writeString(signature)
        }
    }
}

/// Feeds `chunk(i)` for i = 0, 1, … to a fresh client transport until it
/// throws or `maxChunks` were fed; records what it buffered along the way.
private func feedClient(maxChunks: Int, _ chunk: (Int) -> [UInt8]) -> (error: (any Error)?, bytesFed: Int, maxBuffered: Int) {
    var client = SSHTransport(configuration: TransportConfiguration(role: .client))
    var out = ByteBuffer()
    var fed = 0
    var maxBuffered = 0
    do {
        try client.start(into: &out)
        for i in 0..<maxChunks {
            var bytes = ByteBuffer(bytes: chunk(i))
            fed += bytes.readableBytes
            client.receive(&bytes)
            maxBuffered = max(maxBuffered, client.bufferedInputCount)
            while try client.nextEvent(output: &out) != nil {}
            maxBuffered = max(maxBuffered, client.bufferedInputCount)
        }
    } catch {
        return (error, fed, maxBuffered)
    }
    return (nil, fed, maxBuffered)
}

private func expectNotSSH(_ result: (error: (any Error)?, bytesFed: Int, maxBuffered: Int),
                          sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error = result.error else {
        Issue.record("a non-SSH peer was not refused after \(result.bytesFed) bytes", sourceLocation: sourceLocation)
        return
    }
    guard let sshError = error as? SSHError else {
        Issue.record("refused with \(type(of: error)) instead of SSHError: \(error)", sourceLocation: sourceLocation)
        return
    }
    #expect(sshError.code == .notSSH, "\(sshError.message)", sourceLocation: sourceLocation)
}

// MARK: - Identification exchange

@Suite struct HostileServerBannerTests {
    @Test func httpResponseLinesForeverAreRefusedWithBoundedBuffering() {
        let lines = Array([[UInt8]](repeating: Array("HTTP/1.1 400 Bad Request\r\n".utf8), count: 16).joined())
        let result = feedClient(maxChunks: 1_000_000) { _ in lines }
        expectNotSSH(result)
        #expect(result.bytesFed <= (IdentificationExchange.maxBannerLines + 16) * 26)
        #expect(result.maxBuffered <= lines.count)
    }

    @Test func tenMegabyteLineWithoutNewlineIsRefusedAfterTheFirstChunk() {
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 64 * 1024)
        let result = feedClient(maxChunks: 160) { _ in chunk }
        expectNotSSH(result)
        #expect(result.bytesFed == chunk.count, "refused only after \(result.bytesFed) bytes")
        // All ten megabytes arriving in one read.
        expectNotSSH(feedClient(maxChunks: 1) { _ in [UInt8](repeating: UInt8(ascii: "A"), count: 10 << 20) })
        // Dribbled: refused as soon as the line passes the limit.
        let dribble = feedClient(maxChunks: 10_000) { _ in [UInt8](repeating: UInt8(ascii: "A"), count: 1000) }
        expectNotSSH(dribble)
        #expect(dribble.bytesFed <= IdentificationExchange.maxBannerLineLength + 1000)
        #expect(dribble.maxBuffered <= IdentificationExchange.maxBannerLineLength + 1000)
    }

    @Test("an overlong line is refused even when its newline arrives with it",
          arguments: [IdentificationExchange.maxBannerLineLength + 1, 100_000, 10 << 20])
    func overlongLineWithNewline(_ length: Int) {
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: length) + Array("\r\n".utf8)
        expectNotSSH(feedClient(maxChunks: 1) { _ in line })
    }

    @Test("binary garbage is refused within bounded input", arguments: UInt64(1)...12)
    func binaryGarbage(_ seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let result = feedClient(maxChunks: 10_000) { _ in (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        expectNotSSH(result)
        #expect(result.bytesFed <= (IdentificationExchange.maxBannerLines + 1) * IdentificationExchange.maxBannerLineLength)
        #expect(result.maxBuffered <= IdentificationExchange.maxBannerLineLength + 4096)
    }

    @Test("random binary is refused at once, not after a thousand lines", arguments: UInt64(1)...12)
    func binaryGarbageIsRefusedAtOnce(_ seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let result = feedClient(maxChunks: 10_000) { _ in (0..<1024).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        expectNotSSH(result)
        #expect(result.bytesFed <= 8 * 1024, "refused only after \(result.bytesFed) bytes")
    }

    @Test("a banner line with a NUL or a stray CR", arguments: ["a\u{0}b\r\n", "\u{0}", "a\rb\r\n", "abc\rd", "\r\r\n"])
    func bannerLineWithInvalidCharacters(_ line: String) {
        expectNotSSH(feedClient(maxChunks: 1) { _ in Array(line.utf8) })
    }

    @Test func garbageWithoutNewlinesIsRefused() {
        var rng = SplitMix64(seed: 99)
        let result = feedClient(maxChunks: 1000) { _ in
            (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }.map { $0 == 0x0A ? 0x0B : $0 }
        }
        expectNotSSH(result)
        #expect(result.bytesFed <= IdentificationExchange.maxBannerLineLength + 1000)
    }

    @Test("malformed or unsupported identification lines", arguments: [
        "SSH-1.5-old\r\n", "SSH-1.5-old\n", "SSH-1.0-ancient\r\n", "SSH-3.0-future\r\n", "SSH-2.0\r\n", "SSH-\r\n",
        "SSH-2.0-bell\u{07}\r\n", "SSH-2.0-esc\u{1b}[2J\r\n", "SSH-2.0-caf\u{e9}\r\n", "SSH-2.0-nul\u{0}\r\n",
        "SSH-2.0-" + String(repeating: "v", count: 300) + "\r\n",
        "SSH-2.0-" + String(repeating: "v", count: 20_000),
    ])
    func badIdentification(_ line: String) {
        expectNotSSH(feedClient(maxChunks: 1) { _ in Array(line.utf8) })
    }

    @Test func bannerLinesBeforeTheIdentificationAreSkippedWithinLimits() throws {
        var lines: [UInt8] = []
        for i in 0..<IdentificationExchange.maxBannerLines {
            switch i % 4 {
            case 0: lines += Array("Welcome to host \(i)\r\n".utf8)
            case 1: lines += Array("\n".utf8)
            case 2: lines += Array("caf\u{e9} \u{1b}[1m bold \(i)\n".utf8)
            default: lines += [UInt8](repeating: UInt8(ascii: "="), count: IdentificationExchange.maxBannerLineLength) + [0x0D, 0x0A]
            }
        }
        var session = try TransportSession()
        try session.establish(banner: lines)
        #expect(session.client.isEstablished)
        #expect(session.client.peerIdentification == session.server.identification)
    }

    @Test func oneBannerLineTooManyIsRefused() throws {
        var session = try TransportSession()
        let lines = Array([[UInt8]](repeating: Array("motd\r\n".utf8), count: IdentificationExchange.maxBannerLines + 1).joined())
        expectSSHError(.notSSH) { _ = try session.exchangeKexInits(banner: lines) }
    }

    @Test func longestBannerLineIsAcceptedWhateverTheReadSizes() throws {
        let line = [UInt8](repeating: UInt8(ascii: "-"), count: IdentificationExchange.maxBannerLineLength) + [0x0D, 0x0A]
        for chunkSize in [7, 100, 8191, line.count] {
            var session = try TransportSession()
            session.server.sendRaw(line)
            session.server.sendIdentification()
            try session.server.sendKexInit()
            let bytes = Array(session.server.toClient.readableBytesView)
            session.server.toClient.clear()
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunkSize)
                try session.deliver(Array(bytes[offset..<end]))
                offset = end
            }
            #expect(session.client.peerIdentification == session.server.identification, "chunks of \(chunkSize)")
        }
    }

    @Test func identificationAndKexInitArrivingByteByByte() throws {
        var session = try TransportSession()
        session.server.sendIdentification()
        try session.server.sendKexInit()
        for byte in Array(session.server.toClient.readableBytesView) { try session.deliver([byte]) }
        session.server.toClient.clear()
        let clientInit = try session.serverReads().first { $0.first == MessageNumber.kexECDHInit.rawValue }
        try session.finishHandshake(try #require(clientInit))
        #expect(session.client.isEstablished)
    }
}

// MARK: - Binary packet framing

@Suite struct HostilePacketFramingTests {
    static let maximumPacketLength = TransportConfiguration(role: .client).maximumPacketLength

    @Test("bad packet_length before keys is refused as soon as it is read",
          arguments: [UInt32(0), 1, 4, 5, 13, 61, UInt32(HostilePacketFramingTests.maximumPacketLength + 4), 0x7FFF_FFFF, 0xFFFF_FFFF])
    func badPlaintextLength(_ length: UInt32) throws {
        var session = try TransportSession()
        session.server.sendIdentification()
        var w = WireWriter()
        w.writeUInt32(length)
        session.server.sendRaw(w.bytes)
        expectSSHError(.protocolError, "packet_length \(length)") { try session.deliver() }
    }

    @Test func longestPlaintextPacketIsAwaitedNotRefused() throws {
        var session = try TransportSession()
        session.server.sendIdentification()
        var w = WireWriter()
        w.writeUInt32(UInt32(Self.maximumPacketLength - 4))  // aligned: 4 + length is a multiple of 8
        session.server.sendRaw(w.bytes)
        #expect(try session.deliver().isEmpty)
        #expect(session.client.bufferedInputCount == 4)
    }

    /// padding_length values for a 12-byte packet (7 payload bytes, 4 padding).
    @Test("bad padding_length before keys", arguments: [UInt8(0), 3, 11, 12, 200, 255])
    func badPlaintextPadding(_ paddingByte: UInt8) throws {
        var session = try TransportSession()
        session.server.sendIdentification()
        try session.server.sendCrafted(payload: ignoreMessage("ab"), padding: 4, paddingLengthByte: paddingByte)
        expectSSHError(.protocolError, "padding_length \(paddingByte)") { try session.deliver() }
    }

    @Test func honestCraftedPacketsAreAccepted() throws {
        var session = try TransportSession()
        session.server.sendIdentification()
        try session.server.sendCrafted(payload: ignoreMessage("ab"), padding: 4)
        try session.deliver()
        for family in CipherFamily.allCases {
            var session = try family.establishedSession()
            let protection = session.server.framer.outboundProtection
            let payload = ignoreMessage()
            try session.server.sendCrafted(payload: payload, padding: protection.paddingLength(forPayloadLength: payload.count))
            try session.server.sendCrafted(payload: payload, padding: protection.paddingLength(forPayloadLength: payload.count) + 32)
            try session.server.send([UInt8(94)] + [UInt8](repeating: 1, count: 10))
            let events = try session.deliver()
            #expect(TransportPair.payloads(events) == [[UInt8(94)] + [UInt8](repeating: 1, count: 10)], "\(family)")
        }
    }

    enum BadLength: String, CaseIterable, Sendable {
        case zero, belowMinimum, unaligned, aboveMaximum, allOnes
    }

    @Test("bad packet_length under the real keys, refused before the MAC is awaited",
          arguments: CipherFamily.allCases, BadLength.allCases)
    func badEncryptedLength(_ family: CipherFamily, _ kind: BadLength) throws {
        var session = try family.establishedSession()
        let protection = session.server.framer.outboundProtection
        let aligned = { (length: Int) in (protection.lengthIsAuthenticatedData ? length : length + 4) % protection.blockSize == 0 }
        let length: UInt32
        switch kind {
        case .zero: length = 0
        case .belowMinimum: length = 4
        case .unaligned: length = UInt32(2 * protection.blockSize + 1)
        case .aboveMaximum:
            var l = Self.maximumPacketLength + 1
            while !aligned(l) { l += 1 }
            length = UInt32(l)
        case .allOnes: length = .max
        }
        let payload = ignoreMessage()
        try session.server.sendCrafted(payload: payload, padding: protection.paddingLength(forPayloadLength: payload.count),
                                       declaredLength: length)
        expectSSHError(.protocolError, "\(family): packet_length \(length)") { try session.deliver() }
    }

    enum BadPadding: String, CaseIterable, Sendable {
        case zero, three, emptyPayload, equalToLength, max
    }

    @Test("bad padding_length under the real keys (the MAC verifies)", arguments: CipherFamily.allCases, BadPadding.allCases)
    func badEncryptedPadding(_ family: CipherFamily, _ kind: BadPadding) throws {
        var session = try family.establishedSession()
        let protection = session.server.framer.outboundProtection
        let payload = ignoreMessage("x")
        let padding = protection.paddingLength(forPayloadLength: payload.count)
        let packetLength = 1 + payload.count + padding
        let byte: UInt8 = switch kind {
        case .zero: 0
        case .three: 3
        case .emptyPayload: UInt8(packetLength - 1)
        case .equalToLength: UInt8(packetLength)
        case .max: 255
        }
        try session.server.sendCrafted(payload: payload, padding: padding, paddingLengthByte: byte)
        expectSSHError(.protocolError, "\(family): padding_length \(byte) in a \(packetLength)-byte packet") { try session.deliver() }
    }

    @Test("a flipped byte anywhere in an encrypted packet is caught", arguments: CipherFamily.allCases)
    func everyFlippedByte(_ family: CipherFamily) throws {
        let payload = ignoreMessage()
        let masks: [UInt8] = [0x01, 0x80, 0xFF, 0x10]
        var position = 0
        var packetSize = Int.max
        while position < packetSize {
            var session = try family.establishedSession()
            let protection = session.server.framer.outboundProtection
            var packet = try session.server.packet(payload)
            packetSize = packet.count
            let mask = masks[position % masks.count]
            packet[position] ^= mask
            // The length field decrypts (or reads) to the original XOR the flip
            // in every mode (stream ciphers, or in clear): a length that breaks
            // the framing rules is a protocol error; any other is waited for
            // and then fails the MAC.
            var expected = SSHError.Code.integrityFailure
            if position < 4 {
                let length = UInt32(packetSize - 4 - protection.tagLength)
                let flipped = length ^ (UInt32(mask) << (8 * (3 - position)))
                if (try? protection.validatePacketLength(flipped, maximum: session.client.configuration.maximumPacketLength)) == nil {
                    expected = .protocolError
                } else if flipped > length {
                    packet += [UInt8](repeating: 0, count: Int(flipped - length))
                }
            }
            expectSSHError(expected, "\(family): byte \(position) of \(packetSize) ^ 0x\(String(mask, radix: 16))") {
                try session.deliver(packet)
            }
            position += 1
        }
        // The same packet untouched is accepted.
        var session = try family.establishedSession()
        try session.deliver(try session.server.packet(payload))
    }

    @Test("a flipped byte in the middle of a stream fails at that packet", arguments: CipherFamily.allCases)
    func flipInTheMiddleOfAStream(_ family: CipherFamily) throws {
        var session = try family.establishedSession()
        var stream: [UInt8] = []
        var ends: [Int] = []
        for i in 0..<10 {
            stream += try session.server.packet([UInt8(94), UInt8(i)] + [UInt8](repeating: 7, count: 100 * i))
            ends.append(stream.count)
        }
        let total = stream.count
        let damagedIndex = ends.firstIndex { $0 > total / 2 } ?? 0
        stream[total / 2] ^= 0x40
        expectSSHError(.integrityFailure, "\(family)") { try session.deliver(stream) }
        // The packets before the damaged one were delivered, nothing after it.
        let delivered = TransportPair.payloads(session.events)
        #expect(delivered.count == damagedIndex)
        #expect(delivered.map { $0[1] } == (0..<damagedIndex).map(UInt8.init))
    }
}

// MARK: - Strict KEX and the initial exchange

@Suite struct HostileKeyExchangeOrderTests {
    enum Early: String, CaseIterable, Sendable {
        case ignore, debug, debugShown, unimplemented, unassignedTransportNumber
        var payload: [UInt8] {
            switch self {
            case .ignore: ignoreMessage("terrapin")
            case .debug: debugMessage("early", alwaysDisplay: false)
            case .debugShown: debugMessage("early")
            case .unimplemented: message(MessageNumber.unimplemented.rawValue) { $0.writeUInt32(0) }
            case .unassignedTransportNumber: message(15) { $0.writeUInt32(1) }
            }
        }
    }

    @Test("strict KEX: a message before the server's KEXINIT is refused", arguments: Early.allCases)
    func strictRefusesMessagesBeforeKexInit(_ early: Early) throws {
        var session = try TransportSession()
        expectSSHError(.protocolError, "\(early)") {
            _ = try session.exchangeKexInits { try $0.send(early.payload) }
        }
        #expect(!session.client.isEstablished)
    }

    @Test("strict KEX: IGNORE or DEBUG during the initial exchange is refused", arguments: [ignoreMessage(), debugMessage("mid")])
    func strictRefusesIgnoreDuringExchange(_ payload: [UInt8]) throws {
        var session = try TransportSession()
        _ = try session.exchangeKexInits()
        try session.server.send(payload)
        expectSSHError(.protocolError) { try session.deliver() }
    }

    @Test("without strict KEX, IGNORE and DEBUG before KEXINIT are tolerated",
          arguments: [(false, true), (true, false), (false, false)])
    func nonStrictToleratesEarlyMessages(_ clientStrict: Bool, _ serverStrict: Bool) throws {
        var session = try TransportSession(
            strictKeyExchange: clientStrict, server: ScriptedServer(offersStrictKeyExchange: serverStrict))
        let clientInit = try session.exchangeKexInits {
            try $0.send(ignoreMessage())
            try $0.send(debugMessage("hello"))
            try $0.send(ignoreMessage())
        }
        try session.server.send(ignoreMessage())  // between KEXINIT and the reply
        try session.finishHandshake(clientInit)
        #expect(session.client.isEstablished)
        #expect(!session.client.strictKeyExchange)
        // Sequence numbers still agree: the next encrypted packets verify.
        try session.server.send([94, 1, 2, 3])
        let events = try session.deliver()
        #expect(TransportPair.payloads(events) == [[94, 1, 2, 3]])
    }

    @Test("a non-KEX message during the initial exchange is refused",
          arguments: [true, false], [UInt8(5), 6, 50, 52, 60, 80, 94, 192, 255])
    func nonKexMessageDuringInitialExchange(_ strict: Bool, _ number: UInt8) throws {
        // After the server's KEXINIT…
        var session = try TransportSession(strictKeyExchange: strict)
        _ = try session.exchangeKexInits()
        try session.server.send(message(number) { $0.writeString("ssh-userauth") })
        expectSSHError(.protocolError, "message \(number), strict \(strict)") { try session.deliver() }
        // …and before it.
        var early = try TransportSession(strictKeyExchange: strict)
        expectSSHError(.protocolError, "message \(number) before KEXINIT, strict \(strict)") {
            _ = try early.exchangeKexInits { try $0.send(message(number) { $0.writeString("ssh-userauth") }) }
        }
    }

    @Test func secondKexInitMidExchange() throws {
        var session = try TransportSession()
        _ = try session.exchangeKexInits()
        try session.server.send(try #require(session.server.serverKexInit))
        expectSSHError(.protocolError) { try session.deliver() }
    }

    @Test func newKeysBeforeTheReply() throws {
        var session = try TransportSession()
        _ = try session.exchangeKexInits()
        try session.server.send([MessageNumber.newKeys.rawValue])
        expectSSHError(.protocolError) { try session.deliver() }

        var early = try TransportSession()
        expectSSHError(.protocolError, "NEWKEYS before KEXINIT") {
            _ = try early.exchangeKexInits { try $0.send([MessageNumber.newKeys.rawValue]) }
        }
    }

    @Test func malformedNewKeys() throws {
        var session = try TransportSession()
        let clientInit = try session.exchangeKexInits()
        try session.server.send(try session.server.answer(clientInit))
        try session.server.send([MessageNumber.newKeys.rawValue, 0])
        expectSSHError(.protocolError) { try session.deliver() }
    }

    @Test("a reply with the wrong message number", arguments: [UInt8(30), 32, 33, 34, 49])
    func wrongReplyNumber(_ number: UInt8) throws {
        var session = try TransportSession()
        let clientInit = try session.exchangeKexInits()
        expectSSHError(.protocolError) {
            try session.finishHandshake(clientInit) { [number] + $0.dropFirst() }
        }
    }

    @Test func kexMethodMessagesOutsideAnExchange() throws {
        for number in [UInt8(21), 30, 31, 32, 33, 34, 40, 49] {
            var session = try CipherFamily.chacha20Poly1305.establishedSession()
            try session.server.send([number, 0, 0, 0, 0])
            expectSSHError(.protocolError, "message \(number)") { try session.deliver() }
        }
    }

    @Test("every prefix of the server's KEXINIT is refused")
    func truncatedKexInit() throws {
        var session = try TransportSession()
        try session.server.sendKexInit()
        let kexInit = try #require(session.server.serverKexInit)
        for length in 1..<kexInit.count {
            var truncated = try TransportSession()
            truncated.server.sendIdentification()
            try truncated.server.send(Array(kexInit.prefix(length)))
            expectSSHError(.protocolError, "KEXINIT cut to \(length) of \(kexInit.count) bytes") { try truncated.deliver() }
        }
    }

    @Test func kexInitWithBadNameLists() throws {
        for list in [["curve25519-sha256,"], ["a b"], ["caf\u{e9}"], [String(repeating: "x", count: 70_000)]] {
            var session = try TransportSession(server: ScriptedServer(algorithms: AlgorithmPreferences(keyExchange: list)))
            session.server.offersStrictKeyExchange = false
            expectSSHError(.protocolError, "\(list.first?.prefix(20) ?? "")") { _ = try session.exchangeKexInits() }
        }
    }

    @Test func kexInitWithNothingInCommon() throws {
        var session = try TransportSession(server: ScriptedServer(algorithms: AlgorithmPreferences(
            hostKey: [SignatureAlgorithm.ed25519.rawValue], ciphers: ["3des-cbc"])))
        expectSSHError(.noCommonAlgorithm) { _ = try session.exchangeKexInits() }
    }
}

// MARK: - The key exchange reply

@Suite struct HostileKeyExchangeReplyTests {
    static func replyTampered(kex: KeyExchangeAlgorithm = .curve25519SHA256, hostKey: SSHPrivateKey = ScriptedServer.ed25519Key,
                              algorithm: SignatureAlgorithm = .ed25519,
                              _ tamper: (inout KexReply) throws -> Void) throws -> TransportSession {
        var session = try TransportSession(server: ScriptedServer(
            algorithms: AlgorithmPreferences(keyExchange: [kex.rawValue], hostKey: [algorithm.rawValue]), hostKeys: [hostKey]))
        let clientInit = try session.exchangeKexInits()
        var reply = try KexReply(try session.server.answer(clientInit))
        try tamper(&reply)
        try session.server.send(reply.encoded)
        return session
    }

    @Test func untamperedReplyIsAccepted() throws {
        var session = try Self.replyTampered { _ in }
        try session.server.sendNewKeys()
        try session.deliver()
        #expect(session.client.isEstablished)
        #expect(session.verifiedHostKeys == [ScriptedServer.ed25519Key.publicKey])
    }

    @Test("a host key of the wrong type", arguments: [ScriptedServer.ecdsaKey.publicKey.blob, ScriptedServer.rsaKey.publicKey.blob])
    func hostKeyOfTheWrongType(_ blob: [UInt8]) throws {
        var session = try Self.replyTampered { $0.hostKey = blob }
        expectSSHError(.protocolError) { try session.deliver() }
    }

    @Test func malformedHostKeyBlob() throws {
        var blob = ScriptedServer.ed25519Key.publicKey.blob
        for cut in [0, 4, 15, blob.count - 1] {
            var session = try Self.replyTampered { $0.hostKey = Array(blob.prefix(cut)) }
            expectSSHError(.protocolError, "host key cut to \(cut)") { try session.deliver() }
        }
        blob[3] ^= 0x01  // name length
        var session = try Self.replyTampered { [blob] in $0.hostKey = blob }
        expectSSHError(.protocolError) { try session.deliver() }
    }

    @Test("a flipped byte anywhere in the signature blob", arguments: 0..<83)
    func flippedSignatureByte(_ index: Int) throws {
        var size = 0
        var session = try Self.replyTampered { reply in
            size = reply.signature.count
            if index < reply.signature.count { reply.signature[index] ^= 0x04 }
        }
        #expect(size == 83, "ssh-ed25519 signature blobs are 4+11+4+64 bytes")
        expectSSHError(.hostKeySignatureInvalid, "signature byte \(index)") { try session.deliver() }
    }

    @Test("a flipped last signature byte, every host key type", arguments: [
        (ScriptedServer.ecdsaKey, SignatureAlgorithm.ecdsaP256), (ScriptedServer.rsaKey, .rsaSHA256), (ScriptedServer.rsaKey, .rsaSHA512),
    ])
    func flippedSignatureOtherKeyTypes(_ key: SSHPrivateKey, _ algorithm: SignatureAlgorithm) throws {
        var session = try Self.replyTampered(hostKey: key, algorithm: algorithm) { $0.signature[$0.signature.count - 1] ^= 0x01 }
        expectSSHError(.hostKeySignatureInvalid, "\(algorithm)") { try session.deliver() }
    }

    @Test func signatureByAnotherKeyOfTheSameType() throws {
        // A man in the middle presents the real host key but signs with its own.
        var session = try Self.replyTampered(hostKey: ScriptedServer.otherEd25519Key) {
            $0.hostKey = ScriptedServer.ed25519Key.publicKey.blob
        }
        expectSSHError(.hostKeySignatureInvalid) { try session.deliver() }
    }

    @Test func signatureNamingAnAlgorithmNotNegotiated() throws {
        for name in ["rsa-sha2-256", "ssh-rsa", "ecdsa-sha2-nistp256", "ssh-ed25519-cert-v01@openssh.com", ""] {
            var session = try Self.replyTampered { reply in
                var r = WireReader(reply.signature)
                _ = try r.readString()
                let body = Array(try r.readString())
                var w = WireWriter()
                w.writeString(name)
                w.writeString(body)
                reply.signature = w.bytes
            }
            expectSSHError(.hostKeySignatureInvalid, "signature named \(name)") { try session.deliver() }
        }
    }

    @Test func truncatedOrPaddedReply() throws {
        var session = try TransportSession()
        let clientInit = try session.exchangeKexInits()
        let reply = try session.server.answer(clientInit)
        for length in 1..<reply.count {
            var truncated = try TransportSession()
            let init2 = try truncated.exchangeKexInits()
            _ = try truncated.server.answer(init2)
            try truncated.server.send(Array(reply.prefix(length)))
            expectSSHError(.protocolError, "reply cut to \(length) of \(reply.count) bytes") { try truncated.deliver() }
        }
        var padded = try TransportSession()
        let init3 = try padded.exchangeKexInits()
        expectSSHError(.protocolError, "reply with a trailing byte") {
            try padded.finishHandshake(init3) { $0 + [0] }
        }
    }

    static let group14 = DiffieHellmanGroup.group14.p

    @Test("degenerate Diffie-Hellman f", arguments: [
        [UInt8](), [1], [2], [0x80, 0, 0, 0],
        Array(HostileKeyExchangeReplyTests.group14.dropLast()) + [0xFE],  // p - 1 (p ends in 0xFF)
        HostileKeyExchangeReplyTests.group14, [UInt8](repeating: 0xFF, count: 256),
    ])
    func degenerateDiffieHellmanValue(_ f: [UInt8]) throws {
        var session = try Self.replyTampered(kex: .dhGroup14SHA256) { reply in
            var w = WireWriter()
            w.writeMPInt(f)
            var r = WireReader(w.bytes)
            reply.publicValue = Array(try r.readString())
        }
        expectSSHError(.protocolError, "f of \(f.count) bytes") { try session.deliver() }
    }

    @Test func negativeOrNonCanonicalDiffieHellmanValue() throws {
        for raw in [[0x80, 1], [0xFF], [0, 1], [0, 0, 0x80]] as [[UInt8]] {
            var session = try Self.replyTampered(kex: .dhGroup14SHA256) { $0.publicValue = raw }
            expectSSHError(.protocolError, "f = \(raw)") { try session.deliver() }
        }
    }

    @Test("an unacceptable group-exchange group", arguments: 0..<6)
    func badGroupExchangeGroup(_ variant: Int) throws {
        let p14 = DiffieHellmanGroup.group14.p
        let (p, g): ([UInt8], [UInt8]) = switch variant {
        case 0: (Array(DiffieHellmanGroup.group1.p), [2])  // 1024 bits: too small
        case 1: (Array(p14.dropLast()) + [p14[p14.count - 1] & 0xFE], [2])  // even
        case 2: (p14, [1])
        case 3: (p14, Array(p14.dropLast()) + [p14[p14.count - 1] - 1])  // g = p - 1
        case 4: ([UInt8](repeating: 0xFF, count: 256), [2])  // 2^2048 - 1: every g^x is a power of two
        default: ([1] + [UInt8](repeating: 0, count: 1100), [2])  // 8801 bits: too large
        }
        var session = try TransportSession(server: ScriptedServer(
            algorithms: AlgorithmPreferences(keyExchange: [KeyExchangeAlgorithm.dhGroupExchangeSHA256.rawValue],
                                             hostKey: [SignatureAlgorithm.ed25519.rawValue])))
        session.server.sendIdentification()
        try session.server.sendKexInit()
        try session.deliver()
        _ = try session.serverReads()
        try session.server.send(message(MessageNumber.kexDHGexGroup.rawValue) {
            $0.writeMPInt(p)
            $0.writeMPInt(g)
        })
        expectSSHError(.protocolError, "group variant \(variant)") { try session.deliver() }
    }

    @Test("degenerate X25519 public value", arguments: [
        [UInt8](repeating: 0, count: 32), [1] + [UInt8](repeating: 0, count: 31), [UInt8](repeating: 0, count: 31),
        [UInt8](repeating: 9, count: 33), [],
        // u = p (2^255 - 19), which reduces to 0.
        [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
    ])
    func degenerateX25519Value(_ value: [UInt8]) throws {
        var session = try Self.replyTampered { $0.publicValue = value }
        expectSSHError(.protocolError, "\(value.count)-byte value") { try session.deliver() }
    }

    @Test func invalidECDHPoints() throws {
        let valid = try P256Point.valid()
        var offCurve = valid
        offCurve[64] ^= 0x01
        var compressed = Array(valid.prefix(33))
        compressed[0] = 0x02
        var hybrid = valid
        hybrid[0] = 0x06
        for point in [[0], offCurve, compressed, hybrid, Array(valid.dropLast()), valid + [0], [0x04] + [UInt8](repeating: 0xFF, count: 64), []] {
            var session = try Self.replyTampered(kex: .ecdhP256) { $0.publicValue = point }
            expectSSHError(.protocolError, "\(point.count)-byte point") { try session.deliver() }
        }
    }
}

/// A valid P-256 public value (for building invalid ones from).
private enum P256Point {
    static func valid() throws -> [UInt8] { try ECDHKeyAgreement(curve: .p256).publicValue }
}

// MARK: - Generic transport messages after the keys

@Suite struct HostileTransportMessageTests {
    static func established() throws -> TransportSession {
        try CipherFamily.chacha20Poly1305.establishedSession()
    }

    @Test("malformed EXT_INFO", arguments: 0..<8)
    func malformedExtInfo(_ variant: Int) throws {
        let payload: [UInt8] = switch variant {
        case 0: message(7) { $0.writeUInt32(.max) }
        case 1: message(7) { $0.writeUInt32(65) }
        case 2: message(7) { $0.writeUInt32(1) }
        case 3: [7]
        case 4: [7, 0, 0]
        case 5: message(7) { $0.writeUInt32(1); $0.writeString([0xC3, 0x28]); $0.writeString("v") }
        case 6: message(7) { $0.writeUInt32(1); $0.writeString("server-sig-algs"); $0.writeUInt32(0x8000_0000) }
        default: message(7) { $0.writeUInt32(2); $0.writeString("server-sig-algs"); $0.writeString("ssh-ed25519") }
        }
        var session = try Self.established()
        try session.server.send(payload)
        expectSSHError(.protocolError, "EXT_INFO variant \(variant)") { try session.deliver() }
    }

    @Test func extInfoIsDelivered() throws {
        var session = try Self.established()
        try session.server.send(message(7) { $0.writeUInt32(1); $0.writeString("server-sig-algs"); $0.writeString("ssh-ed25519") })
        let events = try session.deliver()
        guard case .extensionInfo(let extensions)? = events.first else {
            Issue.record("no extension info: \(events)")
            return
        }
        #expect(extensions["server-sig-algs"] == Array("ssh-ed25519".utf8))
    }

    @Test func extInfoBeforeNewKeysIsRefused() throws {
        let extInfo = message(7) { $0.writeUInt32(1); $0.writeString("server-sig-algs"); $0.writeString("ssh-rsa") }
        for strict in [false, true] {
            var early = try TransportSession(strictKeyExchange: strict)
            expectSSHError(.protocolError, "before KEXINIT, strict \(strict)") {
                _ = try early.exchangeKexInits { try $0.send(extInfo) }
            }
            var late = try TransportSession(strictKeyExchange: strict)
            let clientInit = try late.exchangeKexInits()
            try late.server.send(try late.server.answer(clientInit))
            try late.server.send(extInfo)
            expectSSHError(.protocolError, "before NEWKEYS, strict \(strict)") { try late.deliver() }
        }
    }

    @Test("malformed DEBUG", arguments: [
        [UInt8(4)], [4, 1], [4, 1, 0, 0, 0, 9, 0x61], [4, 1, 0, 0, 0, 2, 0xC3, 0x28, 0, 0, 0, 0], [4, 1, 0x7F, 0xFF, 0xFF, 0xFF],
    ])
    func malformedDebug(_ payload: [UInt8]) throws {
        var session = try Self.established()
        try session.server.send(payload)
        expectSSHError(.protocolError, "\(payload)") { try session.deliver() }
        // The same before the keys (non-strict, where DEBUG is allowed there).
        var early = try TransportSession(strictKeyExchange: false)
        expectSSHError(.protocolError, "\(payload) before KEXINIT") { _ = try early.exchangeKexInits { try $0.send(payload) } }
    }

    static let hostileText: [UInt8] = Array("bye\u{1b}[2J\u{1b}]0;pwned\u{07}\r\u{8}\u{9b}31m\u{7f} ok".utf8)

    @Test func debugTextIsSanitized() throws {
        var session = try Self.established()
        try session.server.send(message(4) { $0.writeBool(true); $0.writeString(Self.hostileText); $0.writeString("") })
        let events = try session.deliver()
        guard case .debug(let text, true)? = events.first else {
            Issue.record("no debug event: \(events)")
            return
        }
        #expect(isTerminalSafe(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        #expect(text.hasPrefix("bye") && text.hasSuffix(" ok"))
    }

    @Test func disconnectIsReportedWithSanitizedText() throws {
        for established in [false, true] {
            var session = try TransportSession()
            if established { try session.establish() } else { session.server.sendIdentification() }
            try session.server.send(disconnectMessage(DisconnectReason.tooManyConnections.rawValue, Self.hostileText))
            let error = expectSSHError(.disconnectedByPeer, "established \(established)") { try session.deliver() }
            if let error {
                #expect(isTerminalSafe(error.message), "\(error.message.unicodeScalars.map { String($0.value, radix: 16) })")
                #expect(error.message.contains("bye") && error.message.contains(" ok"))
                #expect(error.message.contains("tooManyConnections"))
            }
        }
    }

    @Test("truncated or odd DISCONNECT is still a disconnect", arguments: [
        [UInt8(1)], [1, 0, 0], [1, 0, 0, 0, 2], [1, 0, 0, 0, 2, 0, 0, 0, 50, 0x61],
        [1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0xC3, 0x28, 0, 0, 0, 0],
    ])
    func truncatedDisconnect(_ payload: [UInt8]) throws {
        var session = try Self.established()
        try session.server.send(payload)
        expectSSHError(.disconnectedByPeer, "\(payload)") { try session.deliver() }
    }

    @Test func truncatedIgnoreAndUnimplementedAreTolerated() throws {
        var session = try Self.established()
        try session.server.send([2])
        try session.server.send([2, 0, 0, 0, 99])
        try session.server.send([3])
        try session.server.send([3, 0, 0])
        try session.server.send([94, 42])
        let events = try session.deliver()
        #expect(TransportPair.payloads(events) == [[94, 42]])
    }

    @Test func unassignedTransportNumbersAreAnsweredUnimplemented() throws {
        var session = try Self.established()
        let numbers: [UInt8] = [0, 8, 9, 10, 19, 22, 29]
        for number in numbers { try session.server.send([number, 1, 2, 3]) }
        try session.deliver()
        let replies = try session.serverReads()
        #expect(replies.count == numbers.count)
        #expect(replies.allSatisfy { $0.first == MessageNumber.unimplemented.rawValue && $0.count == 5 })
    }
}

// MARK: - Fuzzing

/// Random payloads that get past the first checks often enough to reach the
/// parsers: an interesting message number, then fields that look like uint32s
/// and strings (with honest or lying lengths).
func fuzzPayload(_ rng: inout SplitMix64) -> [UInt8] {
    let interesting: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 30, 31, 32, 33, 34, 50, 51, 52, 53, 60,
                                80, 81, 82, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 128, 192, 255]
    var payload: [UInt8] = [Bool.random(using: &rng)
        ? interesting[Int.random(in: 0..<interesting.count, using: &rng)] : UInt8.random(in: 0...255, using: &rng)]
    for _ in 0..<Int.random(in: 0...6, using: &rng) {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            payload.append(UInt8.random(in: 0...255, using: &rng))
        case 1:
            let value: UInt32 = [0, 1, 2, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt32.random(in: 0...64, using: &rng)][Int.random(in: 0..<6, using: &rng)]
            payload += be32(value)
        case 2, 3:
            let words = ["exit-status", "ssh-userauth", "session", "publickey", "server-sig-algs", "keepalive@openssh.com", ""]
            payload += sshString(words[Int.random(in: 0..<words.count, using: &rng)])
        case 4:
            let count = Int.random(in: 0...16, using: &rng)
            payload += be32(UInt32(count)) + (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        default:
            payload += be32(UInt32.random(in: 0...100_000, using: &rng))  // a string that lies about its length
        }
    }
    return payload
}

@Suite struct HostileTransportFuzzTests {
    @Test("random payloads under the real keys never trap", arguments: UInt64(1)...24)
    func encryptedPayloads(_ seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let family = CipherFamily.allCases[Int(seed) % CipherFamily.allCases.count]
        var session = try family.establishedSession()
        for _ in 0..<300 {
            try session.server.send(fuzzPayload(&rng))
            if expectNothingButSSHError("seed \(seed)", { try session.deliver() }) != nil { break }
        }
    }

    @Test("raw garbage after the key exchange never traps", arguments: UInt64(1)...24)
    func rawGarbage(_ seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let family = CipherFamily.allCases[Int(seed) % CipherFamily.allCases.count]
        var session = try family.establishedSession()
        for _ in 0..<64 {
            let garbage = (0..<Int.random(in: 1...512, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if expectNothingButSSHError("seed \(seed)", { try session.deliver(garbage) }) != nil { break }
        }
        #expect(session.client.bufferedInputCount <= 64 * 512)
    }

    @Test("random plaintext packets before the keys never trap", arguments: UInt64(1)...24)
    func plaintextPackets(_ seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var session = try TransportSession(strictKeyExchange: seed % 2 == 0)
        session.server.sendIdentification()
        for _ in 0..<100 {
            var payload = fuzzPayload(&rng)
            if payload.first == MessageNumber.kexInit.rawValue, Bool.random(using: &rng) {
                // Sometimes a real KEXINIT, mutated.
                try session.server.sendKexInit()
                payload = Array(session.server.toClient.readableBytesView)
                session.server.toClient.clear()
                payload[Int.random(in: 5..<payload.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                session.server.sendRaw(payload)
            } else {
                try session.server.send(payload)
            }
            if expectNothingButSSHError("seed \(seed)", { try session.deliver() }) != nil { break }
        }
    }
}

// MARK: - Compression and buffering

@Suite struct HostileCompressionAndBufferingTests {
    /// A session with zlib (not delayed) in both directions.
    static func compressedSession() throws -> TransportSession {
        var session = try TransportSession(
            algorithms: AlgorithmPreferences(compression: ["zlib", "none"]),
            server: ScriptedServer(algorithms: AlgorithmPreferences(
                hostKey: [SignatureAlgorithm.ed25519.rawValue], compression: ["zlib"])))
        try session.establish()
        guard session.client.negotiated?.compressionServerToClient == .zlib else {
            throw TestFailure("zlib not negotiated: \(String(describing: session.client.negotiated))")
        }
        // The server starts compressing what it sends after its NEWKEYS.
        try session.server.startCompressing()
        return session
    }

    @Test func compressedPayloadsAreAccepted() throws {
        var session = try Self.compressedSession()
        let payload = [UInt8(94)] + [UInt8](repeating: 0x61, count: 100_000)
        try session.server.send(payload)
        #expect(TransportPair.payloads(try session.deliver()) == [payload])
    }

    @Test func decompressionBombIsRefused() throws {
        var session = try Self.compressedSession()
        // 4 MB of zeros compress to ~4 KB: a packet well under the limit
        // that inflates far past it.
        try session.server.send([UInt8(94)] + [UInt8](repeating: 0, count: 4 << 20))
        #expect(session.server.toClient.readableBytes < HostilePacketFramingTests.maximumPacketLength)
        expectSSHError(.protocolError) { try session.deliver() }
    }

    @Test func corruptCompressedStreamIsRefused() throws {
        var session = try Self.compressedSession()
        session.server.stopCompressing()
        try session.server.send([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x12, 0x34])  // not a deflate stream
        expectSSHError(.protocolError) { try session.deliver() }
    }

    @Test func inputWhileTheHostKeyDecisionIsPendingIsBounded() throws {
        var session = try TransportSession()
        let clientInit = try session.exchangeKexInits()
        try session.server.send(try session.server.answer(clientInit))
        var out = ByteBuffer()
        var bytes = session.server.toClient
        session.server.toClient.clear()
        session.client.receive(&bytes)
        guard case .hostKeyNeedsVerification? = try session.client.nextEvent(output: &out) else {
            Issue.record("no host key question")
            return
        }
        // The owner is asking a person; the server streams meanwhile.
        let chunk = ByteBuffer(repeating: 0x41, count: 64 * 1024)
        let error = expectNothingButSSHError {
            for _ in 0..<1024 {  // 64 MiB
                var more = chunk
                session.client.receive(&more)
                let event = try session.client.nextEvent(output: &out)
                #expect(event == nil)
            }
        }
        #expect(error?.code == .protocolError, "64 MiB buffered while the host key decision was pending")
        #expect(session.client.bufferedInputCount
                <= SSHTransport.inputLimitDuringHostKeyDecision(session.client.configuration) + chunk.readableBytes)
    }

    @Test func whatAServerMaySendDuringTheHostKeyDecisionIsKept() throws {
        var session = try TransportSession()
        let clientInit = try session.exchangeKexInits()
        try session.server.send(try session.server.answer(clientInit))
        try session.server.sendNewKeys()
        try session.server.send(message(7) { $0.writeUInt32(1); $0.writeString("server-sig-algs"); $0.writeString("ssh-ed25519") })
        try session.server.send([UInt8(94)] + [UInt8](repeating: 1, count: 200_000))
        var out = ByteBuffer()
        var bytes = session.server.toClient
        session.server.toClient.clear()
        session.client.receive(&bytes)
        #expect(try session.client.nextEvent(output: &out).map { SSHTransport.hostKey(in: $0) != nil } == true)
        #expect(try session.client.nextEvent(output: &out) == nil)
        try session.client.hostKeyAccepted(output: &out)
        var events: [TransportEvent] = []
        while let event = try session.client.nextEvent(output: &out) { events.append(event) }
        #expect(TransportPair.payloads(events).map(\.count) == [200_001])
    }
}
