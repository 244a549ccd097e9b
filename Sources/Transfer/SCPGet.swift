#if canImport(Glibc)
import Glibc
#endif
import ByteStreams
import NIOCore
import SCP

/// `get --scp`: each remote source is one `scp -f` session whose records
/// `SCPSink` checks before anything is written. Nothing the source names
/// lands outside the destination (names are single components, at the top
/// only what was asked for), and a file lands under its final name only
/// when all its bytes arrived and its status byte was 0.
extension SCPTransfer {
    /// Downloads each remote path in `sources` (bytes as typed; globs
    /// are expanded by the remote shell) to `destination`.
    public func get(_ sources: [[UInt8]], to destination: LocalPath, recursive: Bool = false) async -> TransferReport {
        var report = TransferReport()
        if let refusal = Self.unsupported(options) {
            fail(refusal, &report)
            return report
        }
        let intoDirectory = LocalFileSystem.isDirectory(destination)
        if sources.count > 1, !intoDirectory {
            fail(TransferError(.usage, "\(destination): is not a directory (several sources)"), &report)
            return report
        }
        return await Self.closingOnCancel { closers in
            for path in sources {
                if Task.isCancelled {
                    fail(TransferError(.local, "\(SCPName.render(path)): cancelled"), &report)
                    break
                }
                let source = SCPName.render(path)
                let command = SCPShell.sourceCommand(path, recursive: recursive, preserve: options.preserve, program: program)
                let request = SCPSink.Request(recursive: recursive, expectation: .forSource(path), answersAhead: answersAhead)
                do {
                    let (stream, close) = try await open(try Self.command(command, path: path))
                    closers.add(close)
                    var session = SinkSession(transfer: self, sink: SCPSink(request: request), destination: destination,
                                              intoDirectory: intoDirectory, source: source)
                    await session.run(over: stream, &report)
                    await close()
                } catch {
                    fail(Self.wrap(error, source), &report)
                }
            }
            return report
        }
    }
}

/// One `scp -f` session: the sink's events turned into local files.
private struct SinkSession {
    let transfer: SCPTransfer
    var sink: SCPSink
    let destination: LocalPath
    let intoDirectory: Bool
    let source: String

    /// Local directories open, innermost last, with what `-p` sets on
    /// them when they end.
    private var directories: [(path: LocalPath, entry: SCPIncomingEntry)] = []
    /// The file being received, nil while its data is discarded.
    private var file: LocalIncomingFile?
    private var fileEntry: SCPIncomingEntry?
    private var filePath = LocalPath("")
    /// Why the current file cannot be kept (a local failure, --max-size).
    private var fileFailure: TransferError?
    /// A small file's data, gathered until its status byte and then
    /// written, file and all, in one trip to a disk thread (nil for a
    /// file written as it comes).
    private var gathered: [ByteBuffer]?
    /// A big file's pieces not yet written, and their size.
    private var unwritten: [ByteBuffer] = []
    private var unwrittenBytes = 0
    private var topEntries = 0
    /// Directories this session created, removed again (when still empty)
    /// if the source turns out hostile or broken.
    private var created: [LocalPath] = []

    init(transfer: SCPTransfer, sink: SCPSink, destination: LocalPath, intoDirectory: Bool, source: String) {
        self.transfer = transfer
        self.sink = sink
        self.destination = destination
        self.intoDirectory = intoDirectory
        self.source = source
    }

    mutating func run(over stream: any ByteStream, _ report: inout TransferReport) async {
        do {
            // A source that sent everything and left may be gone before our
            // replies are: a failed write is kept until the stream's end,
            // so what the sink makes of the bytes that came is the error
            // reported (a short file, say), not a closed channel. When the
            // stream ended cleanly between records, every file it held was
            // whole and acknowledged by its status byte; a reply the source
            // did not wait for is then no failure.
            var writeFailure: Error?
            func flush() async {
                guard sink.outputIsDue else { return }
                let output = sink.takeOutput()
                if writeFailure == nil {
                    do { try await stream.write(ByteBuffer(bytes: output)) } catch { writeFailure = error }
                }
            }
            while true {
                while let event = try sink.next() {
                    // A record's reply goes out before the record is acted
                    // on: the source sends the file's data while the local
                    // file is being created.
                    if case .file = event { await flush() }
                    try await handle(event, &report)
                }
                await flush()
                try Task.checkCancellation()
                guard let chunk = try await stream.read() else {
                    try sink.finish()
                    break
                }
                sink.receive(chunk)
            }
            try? await stream.closeWrite()
        } catch {
            let failure = SCPTransfer.wrap(error, source)
            file?.abandon(after: failure)
            file = nil
            for path in created.reversed() { _ = path.withCString { rmdir($0) } }
            transfer.fail(failure, &report)
            // Tell the source we stop; it may already be gone.
            try? await stream.write(ByteBuffer(bytes: SCPSink.fatalReply(failure.message)))
            try? await stream.closeWrite()
        }
    }

    /// Where an entry of the source goes locally.
    private mutating func localPath(for entry: SCPIncomingEntry) throws -> LocalPath {
        guard entry.directory.isEmpty else {
            return (directories.last?.path ?? destination).appending(entry.name)
        }
        topEntries += 1
        if entry.name == [UInt8(ascii: ".")] { return destination }
        if intoDirectory { return destination.appending(entry.name) }
        guard topEntries == 1 else {
            throw TransferError(.usage, "\(destination): is not a directory (\(source) matched several files)")
        }
        return destination
    }

    private mutating func handle(_ event: SCPSink.Event, _ report: inout TransferReport) async throws {
        let options = transfer.options
        switch event {
        case .warning(let message):
            transfer.fail(TransferError(.remote, message), &report)
        case .directory(let entry):
            let path = try localPath(for: entry)
            do {
                // Writable by us while its files are written; -p sets the
                // source's mode when it ends.
                if !LocalFileSystem.isDirectory(path) {
                    try LocalFileSystem.makeDirectory(path, mode: mode_t(entry.mode | 0o700))
                    created.append(path)
                }
            } catch {
                // Everything inside would fail too: stop this source.
                throw TransferError.wrap(error, "\(path)")
            }
            directories.append((path, entry))
        case .endDirectory:
            guard let (path, entry) = directories.popLast() else { return }
            if options.preserve {
                do {
                    try LocalFileSystem.setModeAndTimes(path, mode: entry.mode,
                                                        times: entry.times.map { ($0.access, $0.modification) })
                } catch { transfer.fail(TransferError.wrap(error, "\(path)"), &report) }
            }
        case .file(let entry):
            filePath = try localPath(for: entry)
            fileEntry = entry
            fileFailure = nil
            file = nil
            gathered = nil
            if let maxSize = options.maxSize, entry.size > maxSize {
                fileFailure = TransferError(.tooLarge, "\(filePath): larger than --max-size (\(maxSize) bytes); skipped")
                return
            }
            let path = filePath
            let onEvent = transfer.onEvent
            onEvent(.started(path: "\(path)", size: entry.size))
            if entry.size <= SCPTransfer.gatherLimit {
                gathered = []
                return
            }
            do {
                file = try await LocalIncomingFile.open(path, mode: entry.mode, inPlace: options.inPlace) { message in
                    onEvent(.notice(path: "\(path)", message: message))
                }
            } catch {
                fileFailure = TransferError.wrap(error, "\(path)")
            }
        case .data(let data):
            if gathered != nil {
                gathered?.append(data)
                transfer.onEvent(.progress(bytes: UInt64(data.readableBytes)))
                return
            }
            guard file != nil else { return }
            // Pieces are written a quarter MiB at a time: a channel hands
            // them out as they come (32 KiB packets), and each write is a
            // trip to a disk thread.
            unwritten.append(data)
            unwrittenBytes += data.readableBytes
            if unwrittenBytes >= SCPTransfer.readLength { await writeUnwritten() }
        case .fileEnd(let remoteFailure):
            await writeUnwritten()
            let open = file
            file = nil
            if remoteFailure == nil, fileFailure == nil, let chunks = gathered, let entry = fileEntry {
                fileFailure = await Self.write(chunks, to: filePath, entry, options: options, onEvent: transfer.onEvent)
            }
            gathered = nil
            if let remoteFailure {
                open?.abandon(after: TransferError(.remote, remoteFailure))
                transfer.fail(TransferError(.remote, remoteFailure), &report)
                sink.finishFile()
                return
            }
            if fileFailure == nil, let open, let entry = fileEntry {
                do {
                    try open.complete(mode: entry.mode, times: entry.times.map { ($0.access, $0.modification) },
                                      preserve: options.preserve)
                } catch {
                    fileFailure = TransferError.wrap(error, "\(filePath)")
                }
            } else {
                open?.abandon(after: fileFailure ?? TransferError(.local, "\(filePath): not written"))
            }
            if let failure = fileFailure {
                transfer.fail(failure, &report)
                sink.finishFile(localFailure: failure.message)
            } else {
                let bytes = fileEntry?.size ?? 0
                report.files += 1
                report.bytes += bytes
                transfer.onEvent(.finished(path: "\(filePath)", bytes: bytes))
                sink.finishFile()
            }
        }
    }

    /// Writes the pieces held for the open file in one trip to a disk thread.
    private mutating func writeUnwritten() async {
        let pieces = unwritten
        let bytes = unwrittenBytes
        unwritten = []
        unwrittenBytes = 0
        guard let open = file, !pieces.isEmpty else { return }
        do {
            try await DiskIO.run { for piece in pieces { try open.writeBlocking(piece) } }
            transfer.onEvent(.progress(bytes: UInt64(bytes)))
        } catch {
            fileFailure = TransferError.wrap(error, "\(filePath)")
            open.abandon(after: error)
            file = nil
        }
    }

    /// Writes a gathered file whole on a disk thread: opened, written and
    /// completed (mode, times, renamed into place) as `LocalIncomingFile`
    /// does over several trips; nil when it landed, else why not (nothing
    /// is left under a partial name).
    private static func write(_ chunks: [ByteBuffer], to path: LocalPath, _ entry: SCPIncomingEntry, options: TransferOptions,
                              onEvent: @escaping @Sendable (TransferEvent) -> Void) async -> TransferError? {
        do {
            try await DiskIO.run {
                let file = try LocalIncomingFile.openBlocking(path, mode: entry.mode, inPlace: options.inPlace) { message in
                    onEvent(.notice(path: "\(path)", message: message))
                }
                do {
                    for chunk in chunks { try file.writeBlocking(chunk) }
                } catch {
                    file.abandon(after: error)
                    throw error
                }
                // complete abandons the file itself when it fails.
                try file.complete(mode: entry.mode, times: entry.times.map { ($0.access, $0.modification) },
                                  preserve: options.preserve)
            }
            return nil
        } catch {
            return TransferError.wrap(error, "\(path)")
        }
    }
}
