import NIOCore
import SFTPTestSupport
@testable import SFTP

/// HostileServer is a fake read-only sftp-server with one directory
/// (`dir`) whose listing it makes up, and files it serves by path. It can
/// list names a good server never would (`..`, `a/b`, NUL) and fail the
/// Nth READ, which is how an interrupted download is staged.
actor HostileServer {
    struct Script: Sendable {
        /// Path (as sent) → contents.
        var files: [[UInt8]: [UInt8]] = [:]
        /// What READDIR of `dir` answers (each a regular file of 5 bytes unless in `files`).
        var listing: [[UInt8]] = []
        /// Answer the Nth READ (1-based) with SSH_FX_FAILURE.
        var failRead: Int?
        /// Path → the size STAT and FSTAT claim, whatever READ then sends
        /// (a server that lies about a file's size).
        var claimedSizes: [[UInt8]: UInt64] = [:]
    }

    let script: Script
    private let stream: MemoryStream
    private var reads = 0
    private var listed = false

    init(script: Script, stream: MemoryStream) {
        self.script = script
        self.stream = stream
    }

    static func connect(_ script: Script) async throws -> SFTPClient {
        let (clientEnd, serverEnd) = MemoryStream.pair()
        let server = HostileServer(script: script, stream: serverEnd)
        Task { try await server.run() }
        return try await SFTPClient.connect(over: clientEnd)
    }

    private func run() async throws {
        var frames = SFTPFrameDecoder()
        while let chunk = try await stream.read() {
            frames.append(chunk)
            while let body = try frames.next() { try await handle(try SFTPMessage.decode(body)) }
        }
    }

    private func reply(_ id: UInt32, _ reply: SFTPReply) async throws {
        try await stream.write(SFTPMessage.reply(id: id, reply).encoded())
    }

    private func status(_ id: UInt32, _ code: SFTPStatusCode, _ message: String = "") async throws {
        try await reply(id, .status(SFTPStatus(code: code, message: message)))
    }

    private func attributes(_ path: [UInt8]) -> SFTPAttributes? {
        if path == Array("dir".utf8) { return SFTPAttributes(size: 0, permissions: 0o040755) }
        guard let contents = script.files[path] else { return nil }
        return SFTPAttributes(size: script.claimedSizes[path] ?? UInt64(contents.count), permissions: 0o100644)
    }

    private func handle(_ message: SFTPMessage) async throws {
        switch message {
        case .initialize:
            try await stream.write(SFTPMessage.version(version: 3, extensions: []).encoded())
        case .request(let id, .stat(let path)), .request(let id, .lstat(let path)):
            if let attributes = attributes(path.bytes) { try await reply(id, .attributes(attributes)) }
            else { try await status(id, .noSuchFile, "No such file") }
        case .request(let id, .open(let path, _, _)):
            if script.files[path.bytes] != nil { try await reply(id, .handle(SFTPHandle(bytes: path.bytes))) }
            else { try await status(id, .noSuchFile, "No such file") }
        case .request(let id, .fstat(let handle)):
            if let attributes = attributes(handle.bytes) { try await reply(id, .attributes(attributes)) }
            else { try await status(id, .failure) }
        case .request(let id, .opendir):
            listed = false
            try await reply(id, .handle(SFTPHandle(bytes: Array("D".utf8))))
        case .request(let id, .readdir):
            if listed { try await status(id, .eof) } else {
                listed = true
                let names = script.listing.map { name in
                    SFTPName(filename: name, longname: name,
                             attributes: SFTPAttributes(size: UInt64(script.files[Array("dir/".utf8) + name]?.count ?? 5),
                                                        permissions: 0o100644))
                }
                try await reply(id, .name(names))
            }
        case .request(let id, .close):
            try await status(id, .ok)
        case .request(let id, .read(let handle, let offset, let length)):
            reads += 1
            if reads == script.failRead { return try await status(id, .failure, "scripted read failure") }
            let contents = script.files[handle.bytes] ?? Array("hello".utf8)
            guard offset < UInt64(contents.count) else { return try await status(id, .eof) }
            let start = Int(offset)
            try await reply(id, .data(ByteBuffer(bytes: contents[start..<min(contents.count, start + Int(length))])))
        case .request(let id, _):
            try await status(id, .operationUnsupported)
        default:
            break
        }
    }
}
