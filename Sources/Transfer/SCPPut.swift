#if canImport(Glibc)
import Glibc
#endif
import ByteStreams
import NIOCore
import SCP

/// `put --scp`: all local sources go to one `scp -t` session (with `-d`
/// when there are several, so the target must be a directory), as
/// OpenSSH's scp sends them. The remote scp writes each file as it
/// arrives, in place. A file read short locally (it shrank, or a read
/// failed) is padded with zeros to its announced length and ended with
/// status 1: the protocol has no other way to stay in step. OpenSSH's
/// sink then only counts an error and keeps what it wrote, so the file's
/// failure says the remote copy may be incomplete.
extension SCPTransfer {
    /// Bytes read from a local file per piece of data sent.
    static let readLength = 256 * 1024

    /// Uploads `sources` to the remote path `destination` (bytes as typed;
    /// never globbed).
    public func put(_ sources: [LocalPath], to target: [UInt8], recursive: Bool = false) async -> TransferReport {
        var report = TransferReport()
        if let refusal = Self.unsupported(options) {
            fail(refusal, &report)
            return report
        }
        if recursive, sources.count == 1, sessions > 1, let st = LocalFileSystem.status(sources[0]),
           st.st_mode & S_IFMT == S_IFDIR, let tree = uploadTree(sources[0], st), tree.files.count >= Self.spreadThreshold {
            return await Self.closingOnCancel { closers in await putSpread(tree, to: target, closers: closers) }
        }
        let destination = SCPName.render(target)
        let command = SCPShell.sinkCommand(target, recursive: recursive, preserve: options.preserve,
                                           directory: sources.count > 1, program: program)
        return await Self.closingOnCancel { closers in
            await putOneSession(sources, command: command, target: target, destination: destination, recursive: recursive,
                                closers: closers, &report)
            return report
        }
    }

    /// `put` as one `scp -t` session, as OpenSSH's scp sends a put.
    private func putOneSession(_ sources: [LocalPath], command: [UInt8], target: [UInt8], destination: String,
                               recursive: Bool, closers: ChannelClosers, _ report: inout TransferReport) async {
        do {
            let (stream, close) = try await open(try Self.command(command, path: target))
            closers.add(close)
            var session = SCPSourceSession(transfer: self, stream: stream, destination: destination)
            do {
                try await session.reply()
                for source in sources {
                    try await session.send(source, recursive: recursive, named: true, &report)
                }
                try await session.settle(&report)
                try await session.flush()
                try? await stream.closeWrite()
                // Wait for the remote scp to finish writing and exit.
                while try await stream.read() != nil {}
            } catch {
                fail(Self.wrap(error, destination), &report)
            }
            await close()
        } catch {
            fail(Self.wrap(error, destination), &report)
        }
    }
}

/// One `scp -t` session: local files turned into records and data.
///
/// The sink's answer to a file's closing status byte is not waited for
/// before the next record goes out: the sink answers it and then reads the
/// next record, so framing holds whatever it answers, and a file costs one
/// round trip (its `C` record's answer, which must come before its data: a
/// sink that refused the file would read the data as records) instead of
/// two. Those answers are read in order (`settle`) before any other reply
/// is awaited, and at the end.
///
/// What goes out is gathered and written only when a reply must be
/// awaited (or a piece of data is big): a small file's data, its status
/// byte and the next file's `C` record leave as one channel write, one
/// packet, where they were three.
struct SCPSourceSession: Sendable {
    let transfer: SCPTransfer
    let stream: any ByteStream
    let destination: String
    var source = SCPSource()
    /// Files whose data went out and whose closing answer is still due, oldest first.
    private var unanswered: [(path: LocalPath, size: UInt64, failure: TransferError?)] = []
    /// At most this many files wait for their answer at once.
    static let maxUnanswered = 64
    /// Records and data not written yet (see the type's notes).
    private var outgoing = ByteBuffer()

    init(transfer: SCPTransfer, stream: any ByteStream, destination: String) {
        self.transfer = transfer
        self.stream = stream
        self.destination = destination
    }

    /// Waits for the sink's reply: returns on 0, throws a warning as a
    /// TransferError (that entry failed; the session goes on), and a fatal
    /// reply or the end of the stream as an SCPError (the session is over).
    mutating func reply() async throws {
        try await flush()
        while true {
            if let reply = try source.nextReply() {
                if case .warning(let message) = reply { throw TransferError(.remote, message) }
                return
            }
            guard let chunk = try await stream.read() else {
                throw SCPError(.unexpectedEOF, "the remote scp ended the session")
            }
            source.receive(chunk)
        }
    }

    /// Adds `bytes` to what goes out with the next flush.
    mutating func write(_ bytes: [UInt8]) { outgoing.writeBytes(bytes) }

    /// Adds a piece of file data; writes at once what has grown to a
    /// read's length (a big file's pieces are not held, nor copied).
    private mutating func write(data piece: ByteBuffer) async throws {
        if outgoing.readableBytes == 0 {
            outgoing = piece
        } else {
            var piece = piece
            outgoing.writeBuffer(&piece)
        }
        if outgoing.readableBytes >= SCPTransfer.readLength { try await flush() }
    }

    /// Writes what was gathered.
    mutating func flush() async throws {
        guard outgoing.readableBytes > 0 else { return }
        let bytes = outgoing
        outgoing = ByteBuffer()
        try await stream.write(bytes)
    }

    /// Reads the closing answers still due, in order, and reports each file.
    mutating func settle(_ report: inout TransferReport, keeping: Int = 0) async throws {
        while unanswered.count > keeping {
            let (path, size, earlier) = unanswered.removeFirst()
            var failure = earlier
            do {
                try await reply()
            } catch let error as TransferError {
                failure = failure ?? error
            }
            if let failure {
                transfer.fail(failure, &report)
            } else {
                report.files += 1
                report.bytes += size
                transfer.onEvent(.finished(path: "\(path)", bytes: size))
            }
        }
    }

    /// Sends `path`: a file, or a tree with `recursive`. `named`: given on
    /// the command line (followed if a link; inside a tree links are
    /// skipped, as `put` over SFTP does).
    mutating func send(_ path: LocalPath, recursive: Bool, named: Bool, _ report: inout TransferReport) async throws {
        guard let st = named ? LocalFileSystem.status(path) : LocalFileSystem.lstatus(path) else {
            transfer.fail(LocalFile.error("stat", path), &report)
            return
        }
        let name = path.lastComponent
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            guard recursive else {
                transfer.fail(TransferError(.isDirectory, "\(path): is a directory (use -r)"), &report)
                return
            }
            let entries: [[UInt8]]
            do { entries = try LocalFileSystem.list(path) } catch {
                transfer.fail(TransferError.wrap(error, "\(path)"), &report)
                return
            }
            guard try await announce(path, st, name: name, directory: true, &report) else { return }
            for entry in entries.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                try await send(path.appending(entry), recursive: true, named: false, &report)
            }
            write(try source.endDirectory())
            try await settle(&report)
            try await reply()
        case S_IFREG:
            try await sendFile(path, st, name: name, follow: named, &report)
        case S_IFLNK:
            transfer.onEvent(.skipped(path: "\(path)", reason: "symbolic link not followed"))
            report.skipped += 1
        default:
            transfer.onEvent(.skipped(path: "\(path)", reason: "not a regular file"))
            report.skipped += 1
        }
    }

    /// Sends the `T` (with -p) and `C`/`D` record of an entry; false when
    /// the sink refused it (reported), so its contents are not sent.
    ///
    /// `whileWaiting` runs once the record has gone out, before its answer
    /// is awaited: work that then costs no time of its own.
    mutating func announce(_ path: LocalPath, _ st: stat, name: [UInt8], directory: Bool, times: Bool? = nil,
                           mode: UInt32? = nil, whileWaiting: (() -> Void)? = nil,
                           _ report: inout TransferReport) async throws -> Bool {
        do {
            if times ?? transfer.options.preserve {
                let times = SCPTimes(modification: UInt32(clamping: max(0, st.st_mtim.tv_sec)),
                                     access: UInt32(clamping: max(0, st.st_atim.tv_sec)))
                write(source.times(times))
                try await settle(&report)
                try await reply()
            }
            let mode = mode ?? UInt32(st.st_mode) & 0o7777
            let record: [UInt8]
            do {
                record = directory ? try source.beginDirectory(mode: mode, name: name)
                    : try source.beginFile(mode: mode, size: UInt64(max(0, st.st_size)), name: name)
            } catch let error as SCPError where error.code == .badName {
                throw TransferError(.refusedName, "\(path): \(error.message)")
            }
            write(record)
            if let whileWaiting {
                try await flush()
                whileWaiting()
            }
            try await settle(&report)
            try await reply()
            return true
        } catch let error as TransferError {
            // A file the sink refused is not sent; a directory's contents neither.
            if !directory, source.remaining != nil { _ = try? source.endFile(failure: "not sent") }
            transfer.fail(error, &report)
            return false
        }
    }

    /// Sends one regular file. `st` is what the walk saw; `follow` is false
    /// inside a tree: a link planted at the name after the walk is then
    /// not followed, and a file that is no longer the one seen (another
    /// inode, not regular) is refused rather than sent under its name.
    mutating func sendFile(_ path: LocalPath, _ st: stat, name: [UInt8], follow: Bool,
                           _ report: inout TransferReport) async throws {
        try Task.checkCancellation()
        let file: LocalFile
        do {
            file = try LocalFile.open(path, flags: O_RDONLY | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW))
        } catch {
            transfer.fail(TransferError.wrap(error, "\(path)"), &report)
            return
        }
        defer { try? file.close() }
        guard let now = try? file.status(), now.st_mode & S_IFMT == S_IFREG, now.st_ino == st.st_ino, now.st_dev == st.st_dev else {
            transfer.fail(TransferError(.local, "\(path): changed while the tree was sent (not the file listed); skipped"), &report)
            return
        }
        let size = UInt64(max(0, st.st_size))
        // The first piece is read while the `C` record's answer travels: a
        // small file's on this thread once the record is out (a page-cache
        // read of a few KiB costs less than the two thread hand-offs of the
        // disk pool, and the answer is a round trip through the server
        // away), a bigger one's on the disk pool. Every way out waits for
        // the read in flight: the file is closed on return, and a read must
        // not meet a closed (or reused) descriptor.
        let inline = size > 0 && size <= UInt64(Self.inlineReadLength)
        var pending: DiskIO.Job<ByteBuffer>? = size > 0 && !inline ? Self.read(file, at: 0, size: size) : nil
        var readInline: Result<ByteBuffer, Error>?
        do {
            let announced = try await announce(path, st, name: name, directory: false, whileWaiting: inline ? {
                readInline = Result { try file.read(at: 0, length: Int(size)) }
            } : nil, &report)
            guard announced else {
                _ = try? await pending?.value
                return
            }
            transfer.onEvent(.started(path: "\(path)", size: size))
            // Reads run ahead by one piece: the next is read from disk while
            // the last is sent.
            var failure: TransferError?
            var offset: UInt64 = 0
            while offset < size {
                var piece = ByteBuffer()
                if failure == nil, readInline != nil || pending != nil {
                    do {
                        if let read = readInline {
                            readInline = nil
                            piece = try read.get()
                        } else if let reading = pending {
                            pending = nil
                            piece = try await reading.value
                        }
                        if piece.readableBytes == 0 { throw TransferError(.local, "\(path): file shrank while it was sent") }
                    } catch {
                        failure = TransferError.wrap(error, "\(path)")
                    }
                }
                if failure != nil {
                    // Keep the stream in step: the sink still counts `size` bytes.
                    piece = ByteBuffer(repeating: 0, count: Int(min(UInt64(SCPTransfer.readLength), size - offset)))
                }
                let next = offset + UInt64(piece.readableBytes)
                pending = failure == nil && next < size ? Self.read(file, at: next, size: size) : nil
                try source.sent(piece.readableBytes)
                let length = piece.readableBytes
                try await write(data: piece)
                if failure == nil { transfer.onEvent(.progress(bytes: UInt64(length))) }
                offset = next
            }
            write(try source.endFile(failure: failure?.message))
            if let read = failure {
                var told = TransferError(read.code, read.message + "; the remote copy may be incomplete (zeros in place of what was not read)",
                                         errno: read.systemError)
                told.path = read.path
                failure = told
            }
            unanswered.append((path, size, failure))
            try await settle(&report, keeping: Self.maxUnanswered - 1)
        } catch {
            _ = try? await pending?.value
            throw error
        }
    }

    /// Files up to this size are read whole on the session's own thread
    /// while their `C` record's answer travels (see `sendFile`).
    static let inlineReadLength = 64 * 1024

    /// Reads the piece at `offset` (never past `size`): in place when that
    /// cannot wait for a disk, else on the disk pool.
    private static func read(_ file: LocalFile, at offset: UInt64, size: UInt64) -> DiskIO.Job<ByteBuffer> {
        let length = Int(min(UInt64(SCPTransfer.readLength), size - offset))
        return file.fetchAhead(at: offset, length: length)
    }
}
