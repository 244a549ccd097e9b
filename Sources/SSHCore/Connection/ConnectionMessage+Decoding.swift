import NIOCore

extension ConnectionMessage {
    /// Whether `number` is a message this codec knows (80–82, 90–100).
    /// Other numbers in 80–127 are unassigned: the peer must get
    /// SSH_MSG_UNIMPLEMENTED, which only the transport can send.
    public static func isKnown(_ number: UInt8) -> Bool {
        (80...82).contains(number) || (90...100).contains(number)
    }

    /// Decodes one payload (message number byte first).
    ///
    /// Byte fields of the result are slices of `payload`: nothing is copied.
    /// Throws `ConnectionError` `.malformedMessage` for short fields, bad
    /// lengths or trailing bytes, and `.unexpectedMessage` for a number this
    /// codec does not know.
    public static func decode(_ payload: ByteBuffer) throws -> ConnectionMessage {
        guard let first = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else {
            throw ConnectionError(.malformedMessage, "empty connection-protocol payload")
        }
        guard isKnown(first), let number = MessageNumber(rawValue: first) else {
            throw ConnectionError(.unexpectedMessage, "message number \(first) is not part of the connection protocol")
        }
        var body = payload
        body.moveReaderIndex(forwardBy: 1)
        var reader = ConnectionPayloadReader(body, message: number)
        let message: ConnectionMessage
        switch number {
        case .globalRequest:
            message = .globalRequest(try decodeGlobalRequest(&reader))
        case .requestSuccess:
            return .requestSuccess(data: reader.readRest())
        case .requestFailure:
            message = .requestFailure
        case .channelOpen:
            message = .channelOpen(try decodeChannelOpen(&reader))
        case .channelOpenConfirmation:
            message = .channelOpenConfirmation(ChannelOpenConfirmation(
                recipientChannel: try reader.readUInt32("recipient channel"),
                senderChannel: try reader.readUInt32("sender channel"),
                initialWindowSize: try reader.readUInt32("initial window size"),
                maximumPacketSize: try reader.readUInt32("maximum packet size")))
        case .channelOpenFailure:
            message = .channelOpenFailure(ChannelOpenFailure(
                recipientChannel: try reader.readUInt32("recipient channel"),
                reason: ChannelOpenFailureReason(rawValue: try reader.readUInt32("reason code")),
                description: try reader.readText("description"),
                languageTag: try reader.readText("language tag")))
        case .channelWindowAdjust:
            message = .channelWindowAdjust(
                recipientChannel: try reader.readUInt32("recipient channel"),
                bytesToAdd: try reader.readUInt32("bytes to add"))
        case .channelData:
            message = .channelData(
                recipientChannel: try reader.readUInt32("recipient channel"),
                data: try reader.readBytes("data"))
        case .channelExtendedData:
            message = .channelExtendedData(
                recipientChannel: try reader.readUInt32("recipient channel"),
                dataType: try reader.readUInt32("data type code"),
                data: try reader.readBytes("data"))
        case .channelEOF:
            message = .channelEOF(recipientChannel: try reader.readUInt32("recipient channel"))
        case .channelClose:
            message = .channelClose(recipientChannel: try reader.readUInt32("recipient channel"))
        case .channelRequest:
            message = .channelRequest(try decodeChannelRequest(&reader))
        case .channelSuccess:
            message = .channelSuccess(recipientChannel: try reader.readUInt32("recipient channel"))
        case .channelFailure:
            message = .channelFailure(recipientChannel: try reader.readUInt32("recipient channel"))
        default:
            throw ConnectionError(.unexpectedMessage, "\(number) is not part of the connection protocol")
        }
        try reader.expectEnd()
        return message
    }

    private static func decodeGlobalRequest(_ reader: inout ConnectionPayloadReader) throws -> GlobalRequest {
        let name = try reader.readText("request name")
        let wantReply = try reader.readBool("want reply")
        let type: GlobalRequestType
        switch name {
        case "tcpip-forward":
            type = .tcpipForward(address: try reader.readText("address to bind"), port: try reader.readUInt32("port to bind"))
        case "cancel-tcpip-forward":
            type = .cancelTCPIPForward(address: try reader.readText("address to bind"), port: try reader.readUInt32("port to bind"))
        case "keepalive@openssh.com" where reader.buffer.readableBytes == 0:
            type = .keepalive
        default:
            type = .other(name: name, data: reader.readRest())
        }
        return GlobalRequest(type: type, wantReply: wantReply)
    }

    private static func decodeChannelOpen(_ reader: inout ConnectionPayloadReader) throws -> ChannelOpen {
        let name = try reader.readText("channel type")
        let sender = try reader.readUInt32("sender channel")
        let window = try reader.readUInt32("initial window size")
        let maximumPacket = try reader.readUInt32("maximum packet size")
        let type: ChannelOpenType
        switch name {
        case "session":
            type = .session
        case "direct-tcpip":
            type = .directTCPIP(
                host: try reader.readText("host to connect"),
                port: try reader.readUInt32("port to connect"),
                originatorAddress: try reader.readText("originator IP address"),
                originatorPort: try reader.readUInt32("originator port"))
        case "forwarded-tcpip":
            type = .forwardedTCPIP(
                connectedAddress: try reader.readText("address that was connected"),
                connectedPort: try reader.readUInt32("port that was connected"),
                originatorAddress: try reader.readText("originator IP address"),
                originatorPort: try reader.readUInt32("originator port"))
        case "x11":
            type = .x11(
                originatorAddress: try reader.readText("originator address"),
                originatorPort: try reader.readUInt32("originator port"))
        default:
            type = .other(name: name, data: reader.readRest())
        }
        return ChannelOpen(type: type, senderChannel: sender, initialWindowSize: window, maximumPacketSize: maximumPacket)
    }

    private static func decodeChannelRequest(_ reader: inout ConnectionPayloadReader) throws -> ChannelRequest {
        let recipient = try reader.readUInt32("recipient channel")
        let name = try reader.readText("request type")
        let wantReply = try reader.readBool("want reply")
        let type: ChannelRequestType
        switch name {
        case "pty-req":
            type = .pseudoTerminal(PseudoTerminalRequest(
                terminalType: try reader.readText("TERM environment variable value"),
                columns: try reader.readUInt32("terminal width, characters"),
                rows: try reader.readUInt32("terminal height, rows"),
                pixelWidth: try reader.readUInt32("terminal width, pixels"),
                pixelHeight: try reader.readUInt32("terminal height, pixels"),
                encodedModes: try reader.readByteArray("encoded terminal modes")))
        case "x11-req":
            type = .x11(
                singleConnection: try reader.readBool("single connection"),
                authenticationProtocol: try reader.readText("x11 authentication protocol"),
                authenticationCookie: try reader.readText("x11 authentication cookie"),
                screenNumber: try reader.readUInt32("x11 screen number"))
        case "env":
            type = .environment(name: try reader.readText("variable name"), value: try reader.readText("variable value"))
        case "shell":
            type = .shell
        case "exec":
            type = .exec(command: try reader.readText("command"))
        case "subsystem":
            type = .subsystem(name: try reader.readText("subsystem name"))
        case "window-change":
            type = .windowChange(
                columns: try reader.readUInt32("terminal width, columns"),
                rows: try reader.readUInt32("terminal height, rows"),
                pixelWidth: try reader.readUInt32("terminal width, pixels"),
                pixelHeight: try reader.readUInt32("terminal height, pixels"))
        case "xon-xoff":
            type = .xonXoff(clientCanDo: try reader.readBool("client can do"))
        case "signal":
            type = .signal(name: try reader.readText("signal name"))
        case "exit-status":
            type = .exitStatus(try reader.readUInt32("exit status"))
        case "exit-signal":
            type = .exitSignal(ExitSignal(
                signalName: try reader.readText("signal name"),
                coreDumped: try reader.readBool("core dumped"),
                errorMessage: try reader.readText("error message"),
                languageTag: try reader.readText("language tag")))
        default:
            type = .other(name: name, data: reader.readRest())
        }
        return ChannelRequest(recipientChannel: recipient, type: type, wantReply: wantReply)
    }
}
