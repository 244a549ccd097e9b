import NIOCore
import SFTPTestSupport
@testable import SFTP

/// ScriptedServer is a fake sftp-server serving one read-only file, told
/// to misbehave: reorder replies, return short reads, stop early, fail the
/// Nth read, send more than asked, answer an id never used, go silent.
actor ScriptedServer {
    struct Script: Sendable {
        var contents: [UInt8]
        /// Largest DATA reply (short reads below the asked length).
        var maxReply = Int.max
        /// Reply to READs in reverse order, a few at a time.
        var reorder = false
        /// Report EOF from this offset on although the file is longer.
        var eofAt: Int?
        /// Answer the Nth READ (1-based) with SSH_FX_FAILURE.
        var failRead: Int?
        /// Answer the Nth READ with more data than it asked for.
        var oversizeRead: Int?
        /// Answer the Nth READ with an id one past it.
        var wrongIDRead: Int?
        /// Advertise limits@openssh.com with this read length.
        var readLimit: UInt64?
        /// Answer the Nth WRITE (1-based) with SSH_FX_FAILURE.
        var failWrite: Int?
        /// Hold every READ reply until this many READs have arrived: a
        /// client that asks for less before waiting never gets an answer.
        var holdUntilReads: Int?
        /// Never answer SSH_FXP_INIT.
        var silentInit = false
        /// Answer this many READs, then none (a hung server).
        var stallAfterReads: Int?
        /// Answer this many WRITEs, then none.
        var stallAfterWrites: Int?
        /// Wait this long before handling each request (one at a time: the
        /// requests behind it wait longer).
        var replyDelay: Duration?
    }

    let script: Script
    private let stream: MemoryStream
    private var held: [ByteBuffer] = []
    private var generation = 0
    private(set) var reads = 0
    private(set) var maxOutstandingSeen = 0
    private(set) var writes = 0
    /// What WRITEs stored (the file as a client uploaded it).
    private(set) var written: [UInt8] = []

    init(script: Script, stream: MemoryStream) {
        self.script = script
        self.stream = stream
    }

    /// Starts a server and connects a client to it.
    static func connect(_ script: Script, requestTimeout: Duration? = nil) async throws -> (SFTPClient, ScriptedServer) {
        let (clientEnd, serverEnd) = MemoryStream.pair()
        let server = ScriptedServer(script: script, stream: serverEnd)
        Task { try await server.run() }
        return (try await SFTPClient.connect(over: clientEnd, requestTimeout: requestTimeout), server)
    }

    private func run() async throws {
        var frames = SFTPFrameDecoder()
        while let chunk = try await stream.read() {
            frames.append(chunk)
            while let body = try frames.next() { try await handle(try SFTPMessage.decode(body)) }
        }
    }

    private func send(_ message: SFTPMessage) async throws { try await stream.write(message.encoded()) }

    private func handle(_ message: SFTPMessage) async throws {
        if let delay = script.replyDelay, case .request = message { try await Task.sleep(for: delay) }
        switch message {
        case .initialize where script.silentInit:
            break
        case .initialize:
            var extensions: [SFTPExtensionPair] = []
            if script.readLimit != nil { extensions.append(SFTPExtensionPair(name: "limits@openssh.com", version: "1")) }
            try await send(.version(version: 3, extensions: extensions))
        case .request(let id, .extended(name: "limits@openssh.com", _)):
            var data = ByteBuffer()
            SFTPLimits(maxPacketLength: 262144, maxReadLength: script.readLimit ?? 0, maxWriteLength: 0, maxOpenHandles: 0)
                .encode(into: &data)
            try await send(.reply(id: id, .extendedReply(data)))
        case .request(let id, .open):
            try await send(.reply(id: id, .handle(SFTPHandle(bytes: [1]))))
        case .request(let id, .close):
            try await send(.reply(id: id, .status(SFTPStatus(code: .ok))))
        case .request(let id, .read(_, let offset, let length)):
            reads += 1
            if let stall = script.stallAfterReads, reads > stall { return }
            let reply = readReply(id: id, offset: offset, length: Int(length))
            if let hold = script.holdUntilReads, reads <= hold {
                held.append(reply.encoded())
                maxOutstandingSeen = max(maxOutstandingSeen, held.count)
                if reads == hold { try await flush() }
            } else if script.reorder {
                held.append(reply.encoded())
                maxOutstandingSeen = max(maxOutstandingSeen, held.count)
                if held.count >= 3 { try await flush() } else { scheduleFlush() }
            } else {
                try await send(reply)
            }
        case .request(let id, .write(_, let offset, let data)):
            writes += 1
            if let stall = script.stallAfterWrites, writes > stall { return }
            let reply: SFTPMessage
            if writes == script.failWrite {
                reply = .reply(id: id, .status(SFTPStatus(code: .failure, message: "scripted write failure")))
            } else {
                let end = Int(offset) + data.readableBytes
                if written.count < end { written += [UInt8](repeating: 0, count: end - written.count) }
                written.replaceSubrange(Int(offset)..<end, with: data.readableBytesView)
                reply = .reply(id: id, .status(SFTPStatus(code: .ok)))
            }
            if script.reorder {
                held.append(reply.encoded())
                maxOutstandingSeen = max(maxOutstandingSeen, held.count)
                if held.count >= 3 { try await flush() } else { scheduleFlush() }
            } else {
                try await send(reply)
            }
        case .request(let id, _):
            try await send(.reply(id: id, .status(SFTPStatus(code: .operationUnsupported))))
        default:
            break
        }
    }

    private func readReply(id: UInt32, offset: UInt64, length: Int) -> SFTPMessage {
        let end = script.eofAt ?? script.contents.count
        if reads == script.failRead { return .reply(id: id, .status(SFTPStatus(code: .failure, message: "scripted failure"))) }
        if reads == script.oversizeRead {
            return .reply(id: id, .data(ByteBuffer(repeating: 0, count: length + 1)))
        }
        let replyID = reads == script.wrongIDRead ? id &+ 1000 : id
        guard offset < UInt64(end) else { return .reply(id: replyID, .status(SFTPStatus(code: .eof, message: "EOF"))) }
        let start = Int(offset)
        let count = min(length, script.maxReply, end - start)
        return .reply(id: replyID, .data(ByteBuffer(bytes: script.contents[start..<start + count])))
    }

    private func flush() async throws {
        generation += 1
        let batch = held.reversed()
        held.removeAll()
        for packet in batch { try await stream.write(packet) }
    }

    /// Flushes what is held if no further request arrives soon (the client
    /// may be waiting for these replies before it sends more).
    private func scheduleFlush() {
        let expected = generation
        Task {
            try await Task.sleep(for: .milliseconds(2))
            try await self.flushIf(generation: expected)
        }
    }

    private func flushIf(generation expected: Int) async throws {
        if generation == expected && !held.isEmpty { try await flush() }
    }
}
