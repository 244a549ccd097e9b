import NIOCore

/// SFTPReply is a server response carrying the id of the request it answers
/// (draft-ietf-secsh-filexfer-02 §7).
public enum SFTPReply: Equatable, Sendable {
    /// SSH_FXP_STATUS: success, or why the request failed.
    case status(SFTPStatus)
    /// SSH_FXP_HANDLE: an open file or directory.
    case handle(SFTPHandle)
    /// SSH_FXP_DATA: bytes read; a slice of the received packet, not a copy.
    case data(ByteBuffer)
    /// SSH_FXP_NAME: directory entries or one resolved path.
    case name([SFTPName])
    /// SSH_FXP_ATTRS: file attributes.
    case attributes(SFTPAttributes)
    /// SSH_FXP_EXTENDED_REPLY: request-specific bytes of an extension.
    case extendedReply(ByteBuffer)

    /// The packet type this reply is sent as.
    public var type: SFTPPacketType {
        switch self {
        case .status: .status
        case .handle: .handle
        case .data: .data
        case .name: .name
        case .attributes: .attrs
        case .extendedReply: .extendedReply
        }
    }

    func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .status(let status):
            buffer.writeInteger(status.code.rawValue)
            buffer.sftpWriteString(status.message)
            buffer.sftpWriteString(status.languageTag)
        case .handle(let handle):
            buffer.sftpWriteString(handle.bytes)
        case .data(let data):
            buffer.sftpWriteString(buffer: data)
        case .name(let names):
            buffer.writeInteger(UInt32(truncatingIfNeeded: names.count))
            for name in names {
                buffer.sftpWriteString(name.filename)
                buffer.sftpWriteString(name.longname)
                name.attributes.encode(into: &buffer)
            }
        case .attributes(let attributes):
            attributes.encode(into: &buffer)
        case .extendedReply(let data):
            buffer.writeImmutableBuffer(data)
        }
    }

    static func decodeBody(type: SFTPPacketType, from buffer: inout ByteBuffer) throws -> SFTPReply? {
        let reply: SFTPReply
        switch type {
        case .status:
            let code = SFTPStatusCode(rawValue: try buffer.sftpReadUInt32("status code"))
            // Servers older than the v3 draft end the packet after the code.
            var status = SFTPStatus(code: code)
            if buffer.readableBytes > 0 {
                status.message = try buffer.sftpReadText("status message")
                status.languageTag = try buffer.sftpReadText("language tag")
            }
            reply = .status(status)
        case .handle:
            reply = .handle(SFTPHandle(bytes: try buffer.sftpReadBytes("handle", maxLength: SFTPHandle.maxLength)))
        case .data:
            reply = .data(try buffer.sftpReadStringSlice("data"))
        case .name:
            let count = try buffer.sftpReadUInt32("name count")
            // Capped by what the packet can hold before anything is reserved.
            guard Int(count) <= buffer.readableBytes / SFTPName.minimumEncodedLength else {
                throw SFTPError.malformed("NAME declares \(count) entries, the packet holds at most \(buffer.readableBytes / SFTPName.minimumEncodedLength)")
            }
            var names: [SFTPName] = []
            names.reserveCapacity(Int(count))
            for _ in 0..<count {
                let filename = try buffer.sftpReadBytes("filename")
                let longname = try buffer.sftpReadBytes("longname")
                names.append(SFTPName(filename: filename, longname: longname,
                                      attributes: try SFTPAttributes.decode(from: &buffer)))
            }
            reply = .name(names)
        case .attrs:
            reply = .attributes(try SFTPAttributes.decode(from: &buffer))
        case .extendedReply:
            reply = .extendedReply(buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer())
        default:
            return nil
        }
        try buffer.sftpExpectEnd("\(type) reply")
        return reply
    }
}
