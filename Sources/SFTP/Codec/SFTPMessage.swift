import NIOCore

/// SFTPExtensionPair is one (name, data) pair of SSH_FXP_INIT or
/// SSH_FXP_VERSION. For OpenSSH's extensions `data` is a version number as
/// text ("1", "2").
public struct SFTPExtensionPair: Equatable, Sendable {
    public var name: String
    public var data: [UInt8]
    public init(name: String, data: [UInt8]) { self.name = name; self.data = data }
    public init(name: String, version: String) { self.init(name: name, data: Array(version.utf8)) }
    /// `data` as text (invalid UTF-8 replaced).
    public var version: String { String(decoding: data, as: UTF8.self) }
}

/// SFTPMessage is one SFTP packet: the version exchange, or a request or
/// reply with its id. `encode` writes the whole packet including its uint32
/// length; `decode` takes one packet body as `SFTPFrameDecoder` cut it.
public enum SFTPMessage: Equatable, Sendable {
    /// SSH_FXP_INIT: the client's highest version, and extensions (none in v3 practice).
    case initialize(version: UInt32, extensions: [SFTPExtensionPair])
    /// SSH_FXP_VERSION: the version the server will speak and what it supports.
    case version(version: UInt32, extensions: [SFTPExtensionPair])
    /// A request with the id its reply will carry.
    case request(id: UInt32, SFTPRequest)
    /// A reply to the request with `id`.
    case reply(id: UInt32, SFTPReply)

    /// At most this many extension pairs are accepted in VERSION.
    public static let maxExtensionCount = 256

    public var type: SFTPPacketType {
        switch self {
        case .initialize: .initialize
        case .version: .version
        case .request(_, let request): request.type
        case .reply(_, let reply): reply.type
        }
    }

    /// Appends the packet (length, type, body) to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(type.rawValue)
        switch self {
        case .initialize(let version, let extensions), .version(let version, let extensions):
            buffer.writeInteger(version)
            for pair in extensions {
                buffer.sftpWriteString(pair.name)
                buffer.sftpWriteString(pair.data)
            }
        case .request(let id, let request):
            buffer.writeInteger(id)
            request.encodeBody(into: &buffer)
        case .reply(let id, let reply):
            buffer.writeInteger(id)
            reply.encodeBody(into: &buffer)
        }
        let length = buffer.writerIndex - lengthIndex - 4
        buffer.setInteger(UInt32(truncatingIfNeeded: length), at: lengthIndex)
    }

    /// The packet in a buffer of its own.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        encode(into: &buffer)
        return buffer
    }

    /// Decodes one packet body (type byte onward, length already removed).
    public static func decode(_ body: ByteBuffer) throws -> SFTPMessage {
        var buffer = body
        let rawType = try buffer.sftpReadByte("packet type")
        guard let type = SFTPPacketType(rawValue: rawType) else {
            throw SFTPError.malformed("unknown packet type \(rawType)")
        }
        switch type {
        case .initialize, .version:
            let version = try buffer.sftpReadUInt32("version")
            var extensions: [SFTPExtensionPair] = []
            while buffer.readableBytes > 0 {
                guard extensions.count < maxExtensionCount else {
                    throw SFTPError.malformed("more than \(maxExtensionCount) extensions")
                }
                let name = try buffer.sftpReadText("extension name")
                let data = try buffer.sftpReadBytes("extension data")
                extensions.append(SFTPExtensionPair(name: name, data: data))
            }
            return type == .initialize ? .initialize(version: version, extensions: extensions)
                                       : .version(version: version, extensions: extensions)
        default:
            let id = try buffer.sftpReadUInt32("request id")
            if let request = try SFTPRequest.decodeBody(type: type, from: &buffer) {
                return .request(id: id, request)
            }
            if let reply = try SFTPReply.decodeBody(type: type, from: &buffer) {
                return .reply(id: id, reply)
            }
            throw SFTPError.malformed("packet type \(rawType) has no decoder")
        }
    }
}
