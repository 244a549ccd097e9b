import NIOCore
import Testing
@_spi(Internals) @testable import SSHCore

/// One value of every connection message and every typed variant inside it.
let everyConnectionMessage: [ConnectionMessage] = {
    var messages: [ConnectionMessage] = [
        .globalRequest(.init(type: .tcpipForward(address: "0.0.0.0", port: 8022), wantReply: true)),
        .globalRequest(.init(type: .cancelTCPIPForward(address: "localhost", port: 0), wantReply: false)),
        .globalRequest(.init(type: .keepalive, wantReply: true)),
        .globalRequest(.init(type: .other(name: "hostkeys-00@openssh.com", data: buffer(sshString("key-a") + sshString("key-b"))), wantReply: false)),
        .requestSuccess(data: buffer(be32(40022))),
        .requestSuccess(data: ByteBuffer()),
        .requestFailure,
        .channelOpenConfirmation(.init(recipientChannel: 7, senderChannel: 0x0102_0304, initialWindowSize: 2_097_152, maximumPacketSize: 32768)),
        .channelOpenFailure(.init(recipientChannel: 3, reason: .connectFailed, description: "Connection refused", languageTag: "en")),
        .channelOpenFailure(.init(recipientChannel: 3, reason: ChannelOpenFailureReason(rawValue: 99), description: "")),
        .channelWindowAdjust(recipientChannel: 1, bytesToAdd: 0xFFFF_FFFF),
        .channelData(recipientChannel: 2, data: buffer("hello")),
        .channelData(recipientChannel: 2, data: ByteBuffer()),
        .channelExtendedData(recipientChannel: 2, dataType: 1, data: buffer("oops\n")),
        .channelEOF(recipientChannel: 5),
        .channelClose(recipientChannel: 6),
        .channelSuccess(recipientChannel: 8),
        .channelFailure(recipientChannel: 9),
    ]
    let openTypes: [ChannelOpenType] = [
        .session,
        .directTCPIP(host: "db.internal", port: 5432, originatorAddress: "127.0.0.1", originatorPort: 50000),
        .forwardedTCPIP(connectedAddress: "0.0.0.0", connectedPort: 8080, originatorAddress: "203.0.113.9", originatorPort: 61000),
        .x11(originatorAddress: "127.0.0.1", originatorPort: 6010),
        .other(name: "auth-agent@openssh.com", data: ByteBuffer()),
        .other(name: "tun@openssh.com", data: buffer(be32(1) + be32(0x7fff_ffff))),
    ]
    for (i, type) in openTypes.enumerated() {
        messages.append(.channelOpen(.init(type: type, senderChannel: UInt32(i), initialWindowSize: 65536, maximumPacketSize: 16384)))
    }
    let requestTypes: [ChannelRequestType] = [
        .pseudoTerminal(PseudoTerminalRequest(terminalType: "xterm-256color", columns: 80, rows: 24, pixelWidth: 640, pixelHeight: 480, encodedModes: [1, 0, 0, 0, 3, 0])),
        .x11(singleConnection: true, authenticationProtocol: "MIT-MAGIC-COOKIE-1", authenticationCookie: "0123456789abcdef", screenNumber: 0),
        .environment(name: "LANG", value: "en_US.UTF-8"),
        .shell,
        .exec(command: "ls -la /tmp 'ünïcode'"),
        .subsystem(name: "sftp"),
        .windowChange(columns: 132, rows: 43, pixelWidth: 0, pixelHeight: 0),
        .xonXoff(clientCanDo: false),
        .signal(name: "INT"),
        .exitStatus(127),
        .exitSignal(ExitSignal(signalName: "SEGV", coreDumped: true, errorMessage: "Segmentation fault", languageTag: "")),
        .other(name: "keepalive@openssh.com", data: ByteBuffer()),
        .other(name: "break", data: buffer(be32(500))),
    ]
    for (i, type) in requestTypes.enumerated() {
        messages.append(.channelRequest(.init(recipientChannel: UInt32(i), type: type, wantReply: i % 2 == 0)))
    }
    return messages
}()

@Suite struct ConnectionMessageTests {
    @Test(arguments: everyConnectionMessage)
    func roundTrip(_ message: ConnectionMessage) throws {
        let encoded = payload(message)
        #expect(encoded.getInteger(at: 0, as: UInt8.self) == message.messageNumber.rawValue)
        let decoded = try ConnectionMessage.decode(encoded)
        #expect(decoded == message)
        // Re-encoding the decoded value gives the same bytes.
        #expect(payload(decoded) == encoded)
    }

    @Test(arguments: everyConnectionMessage)
    func everyProperPrefixIsRefusedAsMalformed(_ message: ConnectionMessage) throws {
        let encoded = payload(message)
        // Messages whose tail is free-form data (request-specific, response-specific)
        // decode from a prefix too, but never trap.
        let tailIsFreeForm: Bool = switch message {
        case .requestSuccess: true
        case .globalRequest(let r): if case .other = r.type { true } else { false }
        case .channelOpen(let o): if case .other = o.type { true } else { false }
        case .channelRequest(let r): if case .other = r.type { true } else { false }
        default: false
        }
        for length in 0..<encoded.readableBytes {
            let prefix = encoded.getSlice(at: 0, length: length) ?? ByteBuffer()
            do {
                _ = try ConnectionMessage.decode(prefix)
                #expect(tailIsFreeForm, "prefix of \(length) bytes of \(message.messageNumber) decoded")
            } catch let error as ConnectionError {
                #expect(error.code == .malformedMessage)
            }
        }
    }

    @Test(arguments: everyConnectionMessage)
    func trailingBytesAreRefusedUnlessTheTailIsFreeForm(_ message: ConnectionMessage) throws {
        var encoded = payload(message)
        encoded.writeInteger(0xAB as UInt8)
        do {
            let decoded = try ConnectionMessage.decode(encoded)
            // Only messages ending in free-form data absorb the extra byte.
            switch decoded {
            case .requestSuccess, .globalRequest, .channelOpen, .channelRequest: break
            default: Issue.record("\(message.messageNumber) accepted a trailing byte")
            }
        } catch let error as ConnectionError {
            #expect(error.code == .malformedMessage)
        }
    }

    @Test func channelOpenSessionBytesFollowRFC4254() {
        // byte SSH_MSG_CHANNEL_OPEN, string "session", uint32 sender channel,
        // uint32 initial window size, uint32 maximum packet size (§5.1, §6.1)
        let message = ConnectionMessage.channelOpen(.init(type: .session, senderChannel: 3, initialWindowSize: 0x0020_0000, maximumPacketSize: 0x0004_0000))
        let expected: [UInt8] = [90] + sshString("session") + be32(3) + be32(0x0020_0000) + be32(0x0004_0000)
        #expect(Array(payload(message).readableBytesView) == expected)
    }

    @Test func channelOpenDirectTCPIPBytesFollowRFC4254() {
        // ... "direct-tcpip", sender, window, max packet, string host to connect,
        // uint32 port to connect, string originator IP address, uint32 originator port (§7.2)
        let message = ConnectionMessage.channelOpen(.init(
            type: .directTCPIP(host: "example.com", port: 22, originatorAddress: "127.0.0.1", originatorPort: 4242),
            senderChannel: 1, initialWindowSize: 100, maximumPacketSize: 200))
        let expected: [UInt8] = [90] + sshString("direct-tcpip") + be32(1) + be32(100) + be32(200)
            + sshString("example.com") + be32(22) + sshString("127.0.0.1") + be32(4242)
        #expect(Array(payload(message).readableBytesView) == expected)
    }

    @Test func channelDataAndExtendedDataBytesFollowRFC4254() {
        // byte SSH_MSG_CHANNEL_DATA, uint32 recipient channel, string data (§5.2)
        let data = ConnectionMessage.channelData(recipientChannel: 0x0A0B_0C0D, data: buffer("hi"))
        #expect(Array(payload(data).readableBytesView) == [94, 0x0A, 0x0B, 0x0C, 0x0D, 0, 0, 0, 2, 0x68, 0x69])
        // byte SSH_MSG_CHANNEL_EXTENDED_DATA, uint32 recipient, uint32 data_type_code, string data
        let stderr = ConnectionMessage.channelExtendedData(recipientChannel: 1, dataType: 1, data: buffer("e"))
        #expect(Array(payload(stderr).readableBytesView) == [95, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x65])
    }

    @Test func channelRequestExecAndExitSignalBytesFollowRFC4254() {
        // byte SSH_MSG_CHANNEL_REQUEST, uint32 recipient, string "exec", boolean want reply, string command (§6.5)
        let exec = ConnectionMessage.channelRequest(.init(recipientChannel: 0, type: .exec(command: "uptime"), wantReply: true))
        #expect(Array(payload(exec).readableBytesView) == [98] + be32(0) + sshString("exec") + [1] + sshString("uptime"))
        // ..., string "exit-signal", boolean FALSE, string signal name, boolean core dumped,
        // string error message, string language tag (§6.10)
        let signal = ConnectionMessage.channelRequest(.init(
            recipientChannel: 4, type: .exitSignal(ExitSignal(signalName: "KILL", coreDumped: false, errorMessage: "killed", languageTag: "")), wantReply: false))
        #expect(Array(payload(signal).readableBytesView)
            == [98] + be32(4) + sshString("exit-signal") + [0] + sshString("KILL") + [0] + sshString("killed") + sshString(""))
    }

    @Test func windowAdjustOpenFailureAndGlobalRequestBytesFollowRFC4254() {
        #expect(Array(payload(.channelWindowAdjust(recipientChannel: 2, bytesToAdd: 0x0010_0000)).readableBytesView)
            == [93] + be32(2) + be32(0x0010_0000))
        // byte SSH_MSG_CHANNEL_OPEN_FAILURE, uint32 recipient, uint32 reason code, string description, string language tag
        let failure = ConnectionMessage.channelOpenFailure(.init(recipientChannel: 5, reason: .administrativelyProhibited, description: "open failed"))
        #expect(Array(payload(failure).readableBytesView) == [92] + be32(5) + be32(1) + sshString("open failed") + sshString(""))
        // byte SSH_MSG_GLOBAL_REQUEST, string name, boolean want reply (§4); keepalive has no data
        #expect(Array(payload(.globalRequest(.init(type: .keepalive, wantReply: true))).readableBytesView)
            == [80] + sshString("keepalive@openssh.com") + [1])
        #expect(Array(payload(.requestFailure).readableBytesView) == [82])
        // uint32 recipient, uint32 sender, uint32 window, uint32 max packet (§5.1)
        let confirmation = ConnectionMessage.channelOpenConfirmation(.init(recipientChannel: 1, senderChannel: 2, initialWindowSize: 3, maximumPacketSize: 4))
        #expect(Array(payload(confirmation).readableBytesView) == [91] + be32(1) + be32(2) + be32(3) + be32(4))
    }

    @Test func decodedDataIsASliceOfThePayloadNotACopy() throws {
        let encoded = payload(.channelData(recipientChannel: 0, data: buffer([UInt8](repeating: 7, count: 1000))))
        guard case .channelData(_, let data) = try ConnectionMessage.decode(encoded) else {
            Issue.record("not decoded as data")
            return
        }
        let payloadBase = encoded.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let dataBase = data.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(dataBase == payloadBase + 9)
    }

    @Test func invalidUTF8TextIsReplacedNotFatal() throws {
        let bytes: [UInt8] = [92] + be32(0) + be32(2) + be32(2) + [0xFF, 0xFE] + be32(0)
        guard case .channelOpenFailure(let failure) = try ConnectionMessage.decode(buffer(bytes)) else {
            Issue.record("not decoded as open failure")
            return
        }
        #expect(failure.description == "\u{FFFD}\u{FFFD}")
    }

    @Test func booleansAcceptAnyNonZeroByte() throws {
        let bytes: [UInt8] = [98] + be32(0) + sshString("shell") + [0x80]
        guard case .channelRequest(let request) = try ConnectionMessage.decode(buffer(bytes)) else {
            Issue.record("not decoded as request")
            return
        }
        #expect(request.wantReply)
        #expect(request.type == .shell)
    }

    @Test func numbersOutsideTheCodecAreUnexpected() {
        for number: UInt8 in [0, 1, 21, 50, 83, 89, 101, 127, 128, 255] {
            #expect(throws: ConnectionError(.unexpectedMessage, "")) {
                try ConnectionMessage.decode(buffer([number, 0, 0, 0, 0]))
            }
        }
        #expect(throws: ConnectionError(.malformedMessage, "")) {
            try ConnectionMessage.decode(ByteBuffer())
        }
    }
}

@Suite struct MessageNumberTests {
    @Test func valuesMatchRFC4250() {
        let expected: [(MessageNumber, UInt8)] = [
            (.disconnect, 1), (.ignore, 2), (.unimplemented, 3), (.debug, 4), (.serviceRequest, 5),
            (.serviceAccept, 6), (.extInfo, 7), (.newCompress, 8), (.kexInit, 20), (.newKeys, 21),
            (.kexDHInit, 30), (.kexDHReply, 31), (.kexDHGexInit, 32), (.kexDHGexReply, 33), (.kexDHGexRequest, 34),
            (.userauthRequest, 50), (.userauthFailure, 51), (.userauthSuccess, 52), (.userauthBanner, 53),
            (.userauthPKOK, 60), (.userauthInfoResponse, 61),
            (.globalRequest, 80), (.requestSuccess, 81), (.requestFailure, 82),
            (.channelOpen, 90), (.channelOpenConfirmation, 91), (.channelOpenFailure, 92),
            (.channelWindowAdjust, 93), (.channelData, 94), (.channelExtendedData, 95), (.channelEOF, 96),
            (.channelClose, 97), (.channelRequest, 98), (.channelSuccess, 99), (.channelFailure, 100),
        ]
        for (number, value) in expected {
            #expect(number.rawValue == value, "\(number)")
        }
    }

    @Test func methodSpecificAliasesShareNumbers() {
        #expect(MessageNumber.kexECDHInit == .kexDHInit)
        #expect(MessageNumber.kexECDHReply.rawValue == 31)
        #expect(MessageNumber.kexDHGexRequestOld.rawValue == 30)
        #expect(MessageNumber.kexDHGexGroup.rawValue == 31)
        #expect(MessageNumber.kexHybridInit.rawValue == 30)
        #expect(MessageNumber.userauthInfoRequest.rawValue == 60)
        #expect(MessageNumber.userauthPasswordChangeRequest.rawValue == 60)
        #expect(MessageNumber.userauthGSSAPIToken.rawValue == 61)
    }

    @Test func everyCaseHasAnRFCNameAndSitsInOneRange() {
        let ranges = [
            MessageNumber.transportRange, MessageNumber.userauthRange, MessageNumber.connectionRange,
            MessageNumber.clientProtocolRange, MessageNumber.localExtensionRange,
        ]
        for number in MessageNumber.allCases {
            #expect(number.description.hasPrefix("SSH"))
            #expect(ranges.filter { $0.contains(number.rawValue) }.count == 1)
        }
        #expect(Set(MessageNumber.allCases.map(\.description)).count == MessageNumber.allCases.count)
    }

    @Test func connectionCodecKnowsExactlyTheConnectionCases() {
        let connectionCases = MessageNumber.allCases.filter { MessageNumber.connectionRange.contains($0.rawValue) }
        #expect(connectionCases.count == 14)
        for value in UInt8.min...UInt8.max {
            #expect(ConnectionMessage.isKnown(value) == connectionCases.contains { $0.rawValue == value })
        }
    }
}
