import NIOCore
import SFTP
import Synchronization

/// InMemorySFTPServer is a ByteStream whose far end is a tiny SFTP v3
/// server holding one file: it answers INIT, OPEN, READ, WRITE, FSTAT and
/// CLOSE as the client's requests are written, and `read` hands the replies
/// back. Anything else gets SSH_FX_OP_UNSUPPORTED.
///
/// Reads are served from `file`, repeated as often as needed to make a
/// file of `size` bytes (so a long steady-state run needs no big buffer);
/// writes are counted and dropped. READ and WRITE are parsed without
/// `SFTPMessage.decode` and every reply is encoded into one buffer of its
/// exact size: the server's cost is one allocation per reply, so that an
/// allocation count over N requests is N plus what the client spends.
///
/// `chunkLength`, when set, cuts every reply into pieces of at most that
/// many bytes, as an SSH channel delivers them (OpenSSH's sshd sends
/// channel data in packets of up to 32 KiB when it reads the sftp-server's
/// output): a DATA reply then spans several chunks. Each piece is a slice
/// of the reply's buffer, so cutting allocates nothing more.
public final class InMemorySFTPServer: ByteStream, Sendable {
    private struct State {
        var frames = SFTPFrameDecoder()
        var replies = CircularBuffer<ByteBuffer>()
        var waiting: CheckedContinuation<ByteBuffer?, Error>?
        var closed = false
        var bytesWritten = 0
        var writes = 0
        var reads = 0
    }

    private let file: ByteBuffer
    private let size: Int
    private let chunkLength: Int?
    private let state = Mutex(State())
    private static let handleBytes = Array("h".utf8)

    /// A server whose file is `file`, or `file` repeated up to `size` bytes.
    public init(file: ByteBuffer, size: Int? = nil, chunkLength: Int? = nil) {
        self.file = file
        self.size = size ?? file.readableBytes
        self.chunkLength = chunkLength.map { max(1, $0) }
    }

    /// Bytes received in WRITE requests so far.
    public var bytesWritten: Int { state.withLock { $0.bytesWritten } }
    /// WRITE requests received so far.
    public var writes: Int { state.withLock { $0.writes } }
    /// READ requests received so far.
    public var reads: Int { state.withLock { $0.reads } }

    public func read() async throws -> ByteBuffer? {
        // Replies ready: no continuation (which would allocate) is made.
        let ready: ByteBuffer?? = state.withLock { s in
            if let next = s.replies.popFirst() { return .some(next) }
            if s.closed { return .some(nil) }
            return nil
        }
        if let ready { return ready }
        return try await withCheckedThrowingContinuation { continuation in
            let ready: ByteBuffer?? = state.withLock { s in
                if let next = s.replies.popFirst() { return .some(next) }
                if s.closed { return .some(nil) }
                s.waiting = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    public func write(_ data: ByteBuffer) async throws {
        let wake: (CheckedContinuation<ByteBuffer?, Error>, ByteBuffer)? = try state.withLock { s in
            s.frames.append(data)
            while let body = try s.frames.next() {
                let reply = try answer(body, &s)
                if let chunkLength, reply.readableBytes > chunkLength {
                    var rest = reply
                    while let piece = rest.readSlice(length: min(chunkLength, rest.readableBytes)), piece.readableBytes > 0 {
                        s.replies.append(piece)
                    }
                } else {
                    s.replies.append(reply)
                }
            }
            guard let waiter = s.waiting, let first = s.replies.popFirst() else { return nil }
            s.waiting = nil
            return (waiter, first)
        }
        if let (waiter, chunk) = wake { waiter.resume(returning: chunk) }
    }

    public func closeWrite() async throws {
        let waiter = state.withLock { s -> CheckedContinuation<ByteBuffer?, Error>? in
            s.closed = true
            defer { s.waiting = nil }
            return s.waiting
        }
        waiter?.resume(returning: nil)
    }

    private static let readType = SFTPPacketType.read.rawValue
    private static let writeType = SFTPPacketType.write.rawValue

    /// The reply to one request body (type byte onward).
    private func answer(_ body: ByteBuffer, _ s: inout State) throws -> ByteBuffer {
        var header = body
        if let type: UInt8 = header.readInteger(), type == Self.readType || type == Self.writeType,
           let id: UInt32 = header.readInteger(), let handleLength: UInt32 = header.readInteger(),
           header.readSlice(length: Int(handleLength)) != nil, let offset: UInt64 = header.readInteger() {
            if type == Self.writeType, let length: UInt32 = header.readInteger(), Int(length) <= header.readableBytes {
                s.writes += 1
                s.bytesWritten += Int(length)
                return Self.status(id: id, .ok)
            }
            if type == Self.readType, let length: UInt32 = header.readInteger() {
                s.reads += 1
                guard offset < UInt64(size) else { return Self.status(id: id, .eof) }
                let count = min(Int(length), size - Int(offset), file.readableBytes)
                return dataReply(id: id, offset: Int(offset), count: count)
            }
        }
        let reply: SFTPReply
        switch try SFTPMessage.decode(body) {
        case .initialize:
            return SFTPMessage.version(version: 3, extensions: []).encoded()
        case .request(let id, let request):
            switch request {
            case .open:
                reply = .handle(SFTPHandle(bytes: Self.handleBytes))
            case .fstat:
                reply = .attributes(SFTPAttributes(size: UInt64(size), permissions: 0o100644))
            case .close:
                reply = .status(SFTPStatus(code: .ok))
            default:
                reply = .status(SFTPStatus(code: .operationUnsupported))
            }
            return SFTPMessage.reply(id: id, reply).encoded()
        default:
            return SFTPMessage.reply(id: 0, .status(SFTPStatus(code: .badMessage))).encoded()
        }
    }

    /// SSH_FXP_STATUS with empty message and language, in one buffer.
    private static func status(id: UInt32, _ code: SFTPStatusCode) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 21)
        buffer.writeInteger(UInt32(17))
        buffer.writeInteger(SFTPPacketType.status.rawValue)
        buffer.writeInteger(id)
        buffer.writeInteger(code.rawValue)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt32(0))
        return buffer
    }

    /// SSH_FXP_DATA of `count` bytes of the file at `offset`, in one buffer
    /// of exactly its size (the one allocation per reply).
    private func dataReply(id: UInt32, offset: Int, count: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 13 + count)
        buffer.writeInteger(UInt32(9 + count))
        buffer.writeInteger(SFTPPacketType.data.rawValue)
        buffer.writeInteger(id)
        buffer.writeInteger(UInt32(count))
        var left = count
        var at = offset % max(1, file.readableBytes)
        while left > 0 {
            let take = min(left, file.readableBytes - at)
            guard let piece = file.getSlice(at: file.readerIndex + at, length: take) else { break }
            buffer.writeImmutableBuffer(piece)
            left -= take
            at = 0
        }
        return buffer
    }
}
