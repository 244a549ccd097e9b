import NIOCore
import Testing
@testable import SFTP

/// Round trips for every message, exact bytes against the draft's field
/// order, and refusals of hostile encodings.
@Suite struct SFTPCodecTests {
    static let handle = SFTPHandle(bytes: [0, 1, 2, 3])
    static let fullAttributes = SFTPAttributes(
        size: 1 << 40, owner: .init(uid: 1000, gid: 100), permissions: 0o100644,
        times: .init(accessTime: 1, modificationTime: 2),
        extended: [.init(type: Array("a@b".utf8), data: [9, 9])])

    static let messages: [SFTPMessage] = [
        .initialize(version: 3, extensions: []),
        .version(version: 3, extensions: [SFTPExtensionPair(name: "limits@openssh.com", version: "1")]),
        .request(id: 1, .open(path: "/a", flags: [.read, .write, .append, .create, .truncate, .exclusive], attributes: fullAttributes)),
        .request(id: 2, .close(handle: handle)),
        .request(id: 3, .read(handle: handle, offset: 1 << 33, length: 32768)),
        .request(id: 4, .write(handle: handle, offset: 7, data: ByteBuffer(string: "data"))),
        .request(id: 5, .lstat(path: "l")),
        .request(id: 6, .fstat(handle: handle)),
        .request(id: 7, .setstat(path: "s", attributes: SFTPAttributes(size: 3))),
        .request(id: 8, .fsetstat(handle: handle, attributes: SFTPAttributes(permissions: 0o600))),
        .request(id: 9, .opendir(path: "d")),
        .request(id: 10, .readdir(handle: handle)),
        .request(id: 11, .remove(path: "r")),
        .request(id: 12, .mkdir(path: "m", attributes: .none)),
        .request(id: 13, .rmdir(path: "m")),
        .request(id: 14, .realpath(path: ".")),
        .request(id: 15, .stat(path: "s")),
        .request(id: 16, .rename(oldPath: "a", newPath: "b")),
        .request(id: 17, .readlink(path: "l")),
        .request(id: 18, .symlink(linkPath: "link", targetPath: "target")),
        .request(id: 19, .extended(name: "fsync@openssh.com", data: ByteBuffer(bytes: [0, 0, 0, 1, 7]))),
        .reply(id: 20, .status(SFTPStatus(code: .permissionDenied, message: "Permission denied", languageTag: "en"))),
        .reply(id: 21, .handle(handle)),
        .reply(id: 22, .data(ByteBuffer(string: "bytes"))),
        .reply(id: 23, .name([SFTPName("a", longname: "-rw a", attributes: fullAttributes), SFTPName("b")])),
        .reply(id: 24, .attributes(fullAttributes)),
        .reply(id: 25, .extendedReply(ByteBuffer(bytes: [1, 2, 3]))),
        .reply(id: UInt32.max, .status(SFTPStatus(code: SFTPStatusCode(rawValue: 99)))),
    ]

    @Test(arguments: messages) func roundTrip(_ message: SFTPMessage) throws {
        var frames = SFTPFrameDecoder()
        frames.append(message.encoded())
        let body = try #require(try frames.next())
        #expect(try SFTPMessage.decode(body) == message)
        #expect(frames.bufferedBytes == 0)
    }

    @Test func exactBytes() {
        // SSH_FXP_INIT: length 5, type 1, version 3.
        #expect(Array(SFTPMessage.initialize(version: 3, extensions: []).encoded().readableBytesView)
            == [0, 0, 0, 5, 1, 0, 0, 0, 3])
        // SSH_FXP_READ: type 5, id, string handle, uint64 offset, uint32 len.
        #expect(Array(SFTPMessage.request(id: 7, .read(handle: SFTPHandle(bytes: [0xAB]), offset: 0x1_0000_0002, length: 0x8000))
            .encoded().readableBytesView)
            == [0, 0, 0, 22, 5, 0, 0, 0, 7, 0, 0, 0, 1, 0xAB, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0x80, 0])
        // SSH_FXP_OPEN: path, pflags (CREAT|EXCL|WRITE), ATTRS (permissions).
        #expect(Array(SFTPMessage.request(id: 1, .open(path: "f", flags: [.write, .create, .exclusive],
                                                         attributes: SFTPAttributes(permissions: 0o644)))
            .encoded().readableBytesView)
            == [0, 0, 0, 22, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0x66, 0, 0, 0, 0x2A, 0, 0, 0, 4, 0, 0, 0x01, 0xA4])
        // SSH_FXP_SYMLINK in OpenSSH's order: target path first, then link path.
        #expect(Array(SFTPMessage.request(id: 2, .symlink(linkPath: "L", targetPath: "T")).encoded().readableBytesView)
            == [0, 0, 0, 15, 20, 0, 0, 0, 2, 0, 0, 0, 1, 0x54, 0, 0, 0, 1, 0x4C])
        // SSH_FXP_STATUS: code, message, language tag.
        #expect(Array(SFTPMessage.reply(id: 3, .status(SFTPStatus(code: .eof, message: "E"))).encoded().readableBytesView)
            == [0, 0, 0, 18, 101, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0x45, 0, 0, 0, 0])
        // ATTRS field order: flags, size, uid, gid, permissions, atime, mtime.
        var attrs = ByteBuffer()
        SFTPAttributes(size: 1, owner: .init(uid: 2, gid: 3), permissions: 4, times: .init(accessTime: 5, modificationTime: 6))
            .encode(into: &attrs)
        #expect(Array(attrs.readableBytesView)
            == [0, 0, 0, 0x0F, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6])
    }

    @Test func statusWithoutMessageFromOldServers() throws {
        let body = ByteBuffer(bytes: [101, 0, 0, 0, 9, 0, 0, 0, 4])
        #expect(try SFTPMessage.decode(body) == .reply(id: 9, .status(SFTPStatus(code: .failure))))
    }

    @Test func extensionPayloadsRoundTrip() throws {
        let limits = SFTPLimits(maxPacketLength: 262144, maxReadLength: 261120, maxWriteLength: 261120, maxOpenHandles: 1019)
        var buffer = ByteBuffer()
        limits.encode(into: &buffer)
        #expect(try SFTPLimits.decode(buffer) == limits)
        #expect(limits.readBlockLength == 255 * 1024)
        #expect(SFTPLimits(maxPacketLength: 0, maxReadLength: 0, maxWriteLength: 1 << 40, maxOpenHandles: 0).readBlockLength == 32768)
        #expect(SFTPLimits(maxPacketLength: 0, maxReadLength: 0, maxWriteLength: 1 << 40, maxOpenHandles: 0).writeBlockLength == SFTPProtocol.maxReadLength)

        let stats = SFTPFileSystemStats(blockSize: 4096, fragmentSize: 4096, blocks: 10, freeBlocks: 5, availableBlocks: 4,
                                        files: 9, freeFiles: 8, availableFiles: 7, fileSystemID: 6, flags: 1, maxNameLength: 255)
        buffer.clear()
        stats.encode(into: &buffer)
        #expect(try SFTPFileSystemStats.decode(buffer) == stats)
        #expect(stats.availableBytes == 4 * 4096)

        let names = SFTPUserGroupNames(userNames: ["root", ""], groupNames: ["wheel"])
        buffer.clear()
        names.encode(into: &buffer)
        #expect(try SFTPUserGroupNames.decode(buffer, userCount: 2, groupCount: 1) == names)
        #expect(throws: SFTPError.self) { try SFTPUserGroupNames.decode(buffer, userCount: 1, groupCount: 1) }
        #expect(throws: SFTPError.self) { try SFTPUserGroupNames.decode(buffer, userCount: 3, groupCount: 1) }
    }

    @Test func framesSplitAndJoinedAnyway() throws {
        var stream = ByteBuffer()
        for message in Self.messages { message.encode(into: &stream) }
        // One byte at a time, then all at once: the same messages.
        for chunkSize in [1, 7, stream.readableBytes] {
            var frames = SFTPFrameDecoder()
            var decoded: [SFTPMessage] = []
            var rest = stream
            while let chunk = rest.readSlice(length: min(chunkSize, rest.readableBytes)), chunk.readableBytes > 0 {
                frames.append(chunk)
                while let body = try frames.next() { decoded.append(try SFTPMessage.decode(body)) }
            }
            #expect(decoded == Self.messages)
        }
    }

    @Test func oversizedAndEmptyFramesRefused() throws {
        var frames = SFTPFrameDecoder()
        frames.append(ByteBuffer(bytes: [0, 4, 0, 1]))  // 256 KiB + 1
        #expect(throws: SFTPError(.packetTooLarge, "")) { _ = try frames.next() }
        var empty = SFTPFrameDecoder()
        empty.append(ByteBuffer(bytes: [0, 0, 0, 0]))
        #expect(throws: SFTPError(.malformedPacket, "")) { _ = try empty.next() }
        var partial = SFTPFrameDecoder()
        partial.append(ByteBuffer(bytes: [0, 0]))
        #expect(try partial.next() == nil)
    }

    static let hostileBodies: [(String, [UInt8])] = [
        ("empty", []),
        ("unknown type", [99, 0, 0, 0, 1]),
        ("truncated id", [101, 0, 0]),
        ("NAME count beyond packet", [104, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]),
        ("NAME count one too many", [104, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("string longer than packet", [102, 0, 0, 0, 1, 0x7F, 0xFF, 0xFF, 0xFF, 1]),
        ("handle over 256 bytes", [102, 0, 0, 0, 1, 0, 0, 1, 1] + [UInt8](repeating: 0, count: 257)),
        ("unknown attribute flag", [105, 0, 0, 0, 1, 0, 0, 0, 0x10]),
        ("extended count beyond packet", [105, 0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0x10, 0]),
        ("trailing bytes", [101, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xEE]),
        ("DATA truncated", [103, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2]),
        ("VERSION truncated extension", [2, 0, 0, 0, 3, 0, 0, 0, 4, 0x61]),
    ]

    @Test(arguments: hostileBodies) func hostileBodiesRefused(_ name: String, _ bytes: [UInt8]) {
        #expect(throws: SFTPError.self, "\(name)") { _ = try SFTPMessage.decode(ByteBuffer(bytes: bytes)) }
    }

    @Test func dataReplyIsASliceNotACopy() throws {
        let packet = SFTPMessage.reply(id: 1, .data(ByteBuffer(repeating: 0x5A, count: 4096))).encoded()
        var frames = SFTPFrameDecoder()
        frames.append(packet)
        let body = try #require(try frames.next())
        guard case .reply(_, .data(let data)) = try SFTPMessage.decode(body) else {
            Issue.record("not DATA")
            return
        }
        let shared = data.withUnsafeReadableBytes { slice in
            packet.withUnsafeReadableBytes { whole in slice.baseAddress == whole.baseAddress.map { $0 + 13 } }
        }
        #expect(shared)
    }

    /// DATA replies split across chunks, as a download receives them: each
    /// is gathered into a buffer of its own while earlier ones are still
    /// held (not yet written), and a gathering buffer is used again only
    /// once its reply has been let go.
    @Test func splitRepliesAreGatheredIntoRecycledBuffersOnlyWhenFree() throws {
        func reply(_ id: UInt32) -> ByteBuffer {
            SFTPMessage.reply(id: id, .data(ByteBuffer(repeating: UInt8(id), count: 40_000))).encoded()
        }
        func address(_ buffer: ByteBuffer) -> UInt { buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) } }
        var frames = SFTPFrameDecoder()
        var held: [(UInt32, ByteBuffer)] = []
        var places = Set<UInt>()
        for id in UInt32(1)...6 {
            var packet = reply(id)
            // Split in two chunks: the reply has to be gathered.
            frames.append(packet.readSlice(length: 1000)!)
            #expect(try frames.next() == nil)
            frames.append(packet)
            let body = try #require(try frames.next())
            places.insert(address(body))
            held.append((id, body))
        }
        // Six gathered while all were held: six buffers, each intact.
        #expect(places.count == 6)
        for (id, body) in held {
            guard case .reply(let got, .data(let data)) = try SFTPMessage.decode(body) else {
                Issue.record("not DATA")
                continue
            }
            #expect(got == id)
            #expect(data.readableBytesView.allSatisfy { $0 == UInt8(id) })
        }
        // Once let go, the next gather reuses a kept buffer, whole: a
        // small reply lands in one of the 40 KB buffers, not a new one of
        // its own size.
        held.removeAll()
        var small = SFTPMessage.reply(id: 7, .data(ByteBuffer(repeating: 7, count: 3000))).encoded()
        frames.append(small.readSlice(length: 1000)!)
        frames.append(small)
        let body = try #require(try frames.next())
        #expect(places.contains(address(body)))
        #expect(body.capacity >= 40_000)
        guard case .reply(7, .data(let data)) = try SFTPMessage.decode(body) else {
            Issue.record("not DATA 7")
            return
        }
        #expect(data.readableBytes == 3000 && data.readableBytesView.allSatisfy { $0 == 7 })
    }

    @Test func componentProblems() {
        #expect(SFTPName("ok").componentProblem == nil)
        #expect(SFTPName("..x").componentProblem == nil)
        #expect(SFTPName("").componentProblem == .empty)
        #expect(SFTPName(".").componentProblem == .currentDirectory)
        #expect(SFTPName("..").componentProblem == .parentDirectory)
        #expect(SFTPName("a/b").componentProblem == .containsSlash)
        #expect(SFTPName("/etc").componentProblem == .containsSlash)
        #expect(SFTPName(filename: [0x61, 0]).componentProblem == .containsNUL)
    }

    @Test func statusCodesMapToTypedErrors() {
        let cases: [(SFTPStatusCode, SFTPError.Code)] = [
            (.eof, .endOfFile), (.noSuchFile, .noSuchFile), (.permissionDenied, .permissionDenied),
            (.failure, .failure), (.badMessage, .badMessage), (.noConnection, .noConnection),
            (.connectionLost, .connectionLost), (.operationUnsupported, .operationUnsupported),
            (SFTPStatusCode(rawValue: 42), .unknownStatus),
        ]
        for (status, code) in cases {
            let error = SFTPError(status: SFTPStatus(code: status, message: "said"), operation: "op")
            #expect(error.code == code)
            #expect(error.serverMessage == "said")
            #expect(error.message == "op: said")
        }
    }
}

extension SFTPMessage: CustomTestStringConvertible {
    public var testDescription: String { "\(type)" }
}
