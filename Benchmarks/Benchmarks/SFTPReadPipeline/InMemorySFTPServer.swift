import NIOCore
import SFTP
import Synchronization

/// InMemorySFTPServer is a ByteStream whose far end is a tiny SFTP v3
/// server holding one read-only file: it answers INIT, OPEN, READ, FSTAT and
/// CLOSE as the client's requests are written, and `read` hands the replies
/// back. Anything else gets SSH_FX_OP_UNSUPPORTED.
final class InMemorySFTPServer: ByteStream, Sendable {
    private struct State {
        var frames = SFTPFrameDecoder()
        var replies = CircularBuffer<ByteBuffer>()
        var waiting: CheckedContinuation<ByteBuffer?, Error>?
        var closed = false
    }

    private let file: ByteBuffer
    private let state = Mutex(State())
    private static let handle = SFTPHandle(bytes: Array("h".utf8))

    init(file: ByteBuffer) { self.file = file }

    func read() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            let ready: ByteBuffer?? = state.withLock { s in
                if let next = s.replies.popFirst() { return .some(next) }
                if s.closed { return .some(nil) }
                s.waiting = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    func write(_ data: ByteBuffer) async throws {
        let wake: (CheckedContinuation<ByteBuffer?, Error>, ByteBuffer)? = try state.withLock { s in
            s.frames.append(data)
            while let body = try s.frames.next() {
                s.replies.append(answer(try SFTPMessage.decode(body)))
            }
            guard let waiter = s.waiting, let first = s.replies.popFirst() else { return nil }
            s.waiting = nil
            return (waiter, first)
        }
        if let (waiter, chunk) = wake { waiter.resume(returning: chunk) }
    }

    func closeWrite() async throws {
        let waiter = state.withLock { s -> CheckedContinuation<ByteBuffer?, Error>? in
            s.closed = true
            defer { s.waiting = nil }
            return s.waiting
        }
        waiter?.resume(returning: nil)
    }

    private func answer(_ message: SFTPMessage) -> ByteBuffer {
        switch message {
        case .initialize:
            return SFTPMessage.version(version: 3, extensions: []).encoded()
        case .request(let id, let request):
            let reply: SFTPReply
            switch request {
            case .open:
                reply = .handle(Self.handle)
            case .fstat:
                reply = .attributes(SFTPAttributes(size: UInt64(file.readableBytes), permissions: 0o100644))
            case .close:
                reply = .status(SFTPStatus(code: .ok))
            case .read(_, let offset, let length):
                if offset >= UInt64(file.readableBytes) {
                    reply = .status(SFTPStatus(code: .eof))
                } else {
                    let count = min(Int(length), file.readableBytes - Int(offset))
                    return dataReply(id: id, file.getSlice(at: file.readerIndex + Int(offset), length: count)!)
                }
            default:
                reply = .status(SFTPStatus(code: .operationUnsupported))
            }
            return SFTPMessage.reply(id: id, reply).encoded()
        default:
            return SFTPMessage.reply(id: 0, .status(SFTPStatus(code: .badMessage))).encoded()
        }
    }

    /// SSH_FXP_DATA in one buffer of exactly its size (the one allocation per reply).
    private func dataReply(id: UInt32, _ data: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 13 + data.readableBytes)
        SFTPMessage.reply(id: id, .data(data)).encode(into: &buffer)
        return buffer
    }
}
