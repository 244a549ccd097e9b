import NIOCore

extension ConnectionMessage {
    /// Appends the payload (message number byte first) to `buffer`, with the
    /// fields in the order RFC 4254 gives them.
    ///
    /// Lengths of owner-supplied strings are written as uint32; they come
    /// from this process, never from the peer, and are far below 4 GiB.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(messageNumber.rawValue)
        switch self {
        case .globalRequest(let request):
            buffer.writeSSHText(request.type.name)
            buffer.writeSSHBool(request.wantReply)
            switch request.type {
            case .tcpipForward(let address, let port), .cancelTCPIPForward(let address, let port):
                buffer.writeSSHText(address)
                buffer.writeInteger(port)
            case .keepalive:
                break
            case .other(_, let data):
                buffer.writeImmutableBuffer(data)
            }
        case .requestSuccess(let data):
            buffer.writeImmutableBuffer(data)
        case .requestFailure:
            break
        case .channelOpen(let open):
            buffer.writeSSHText(open.type.name)
            buffer.writeInteger(open.senderChannel)
            buffer.writeInteger(open.initialWindowSize)
            buffer.writeInteger(open.maximumPacketSize)
            switch open.type {
            case .session:
                break
            case .directTCPIP(let host, let port, let originatorAddress, let originatorPort),
                 .forwardedTCPIP(let host, let port, let originatorAddress, let originatorPort):
                buffer.writeSSHText(host)
                buffer.writeInteger(port)
                buffer.writeSSHText(originatorAddress)
                buffer.writeInteger(originatorPort)
            case .x11(let originatorAddress, let originatorPort):
                buffer.writeSSHText(originatorAddress)
                buffer.writeInteger(originatorPort)
            case .other(_, let data):
                buffer.writeImmutableBuffer(data)
            }
        case .channelOpenConfirmation(let confirmation):
            buffer.writeInteger(confirmation.recipientChannel)
            buffer.writeInteger(confirmation.senderChannel)
            buffer.writeInteger(confirmation.initialWindowSize)
            buffer.writeInteger(confirmation.maximumPacketSize)
        case .channelOpenFailure(let failure):
            buffer.writeInteger(failure.recipientChannel)
            buffer.writeInteger(failure.reason.rawValue)
            buffer.writeSSHText(failure.description)
            buffer.writeSSHText(failure.languageTag)
        case .channelWindowAdjust(let recipient, let bytesToAdd):
            buffer.writeInteger(recipient)
            buffer.writeInteger(bytesToAdd)
        case .channelData(let recipient, let data):
            buffer.writeInteger(recipient)
            buffer.writeSSHBytes(data)
        case .channelExtendedData(let recipient, let dataType, let data):
            buffer.writeInteger(recipient)
            buffer.writeInteger(dataType)
            buffer.writeSSHBytes(data)
        case .channelEOF(let recipient), .channelClose(let recipient),
             .channelSuccess(let recipient), .channelFailure(let recipient):
            buffer.writeInteger(recipient)
        case .channelRequest(let request):
            buffer.writeInteger(request.recipientChannel)
            buffer.writeSSHText(request.type.name)
            buffer.writeSSHBool(request.wantReply)
            request.type.encodeFields(into: &buffer)
        }
    }
}

extension ChannelRequestType {
    /// Appends the type-specific fields that follow `want_reply`.
    fileprivate func encodeFields(into buffer: inout ByteBuffer) {
        switch self {
        case .pseudoTerminal(let pty):
            buffer.writeSSHText(pty.terminalType)
            buffer.writeInteger(pty.columns)
            buffer.writeInteger(pty.rows)
            buffer.writeInteger(pty.pixelWidth)
            buffer.writeInteger(pty.pixelHeight)
            buffer.writeInteger(UInt32(truncatingIfNeeded: pty.encodedModes.count))
            buffer.writeBytes(pty.encodedModes)
        case .x11(let singleConnection, let authenticationProtocol, let authenticationCookie, let screenNumber):
            buffer.writeSSHBool(singleConnection)
            buffer.writeSSHText(authenticationProtocol)
            buffer.writeSSHText(authenticationCookie)
            buffer.writeInteger(screenNumber)
        case .environment(let name, let value):
            buffer.writeSSHText(name)
            buffer.writeSSHText(value)
        case .shell:
            break
        case .exec(let command):
            buffer.writeSSHText(command)
        case .subsystem(let name):
            buffer.writeSSHText(name)
        case .windowChange(let columns, let rows, let pixelWidth, let pixelHeight):
            buffer.writeInteger(columns)
            buffer.writeInteger(rows)
            buffer.writeInteger(pixelWidth)
            buffer.writeInteger(pixelHeight)
        case .xonXoff(let clientCanDo):
            buffer.writeSSHBool(clientCanDo)
        case .signal(let name):
            buffer.writeSSHText(name)
        case .exitStatus(let status):
            buffer.writeInteger(status)
        case .exitSignal(let signal):
            buffer.writeSSHText(signal.signalName)
            buffer.writeSSHBool(signal.coreDumped)
            buffer.writeSSHText(signal.errorMessage)
            buffer.writeSSHText(signal.languageTag)
        case .other(_, let data):
            buffer.writeImmutableBuffer(data)
        }
    }
}

extension ByteBuffer {
    /// Writes an SSH `string` holding `text` in UTF-8. (fileprivate: other
    /// layers of SSHCore keep their own helpers without name clashes.)
    fileprivate mutating func writeSSHText(_ text: String) {
        writeInteger(UInt32(truncatingIfNeeded: text.utf8.count))
        writeString(text)
    }

    /// Writes an SSH `string` holding the readable bytes of `bytes`.
    fileprivate mutating func writeSSHBytes(_ bytes: ByteBuffer) {
        writeInteger(UInt32(truncatingIfNeeded: bytes.readableBytes))
        writeImmutableBuffer(bytes)
    }

    /// Writes an SSH `boolean` (0 or 1).
    fileprivate mutating func writeSSHBool(_ value: Bool) {
        writeInteger(value ? 1 as UInt8 : 0)
    }
}
