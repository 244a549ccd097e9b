import NIOCore

/// SCPSink is the receiving side of the scp protocol (what `scp -t` is),
/// as a state machine with no I/O: bytes from the source go in through
/// `receive`, events come out of `next`, and the status bytes to send back
/// collect in `output` (take them with `takeOutput` and write them before
/// reading more).
///
/// The source is hostile until proven otherwise. Every record is parsed
/// strictly (`SCPRecordParser`), every name checked (`SCPName`): one path
/// component, and at the top only what the request asked for (its
/// basename, or a match of its glob) — the checks OpenSSH added for
/// CVE-2019-6111 and CVE-2018-20685, and more: a plain source may send one
/// entry only, `D` needs `-r`, `E` a `D`, nesting stops at a depth, a `T`
/// must precede a `C` or `D`, and file data must be exactly the announced
/// length followed by a status byte. Any violation is an `SCPError` thrown
/// from `next` or `finish`, after which the machine stays failed; the
/// driver then stops without renaming the file it was writing.
///
/// The sink never decides a file is complete on its own: after a file's
/// data and status byte it reports `fileEnd` and waits for the driver's
/// `finishFile` (which says whether the local write succeeded) before it
/// reads on.
///
/// **Answers sent ahead.** The protocol is stop-and-wait: the source reads
/// one status byte after every record and after every file's data, so with
/// a reply sent only when it is due, each file costs the source a round
/// trip and the sink's local work on the file (create, write, rename) is
/// time the source sits idle. With `Request.answersAhead` = n the sink
/// sends n extra 0s at the start and then one 0 for every reply the source
/// consumes, so the source always finds n answers waiting and streams its
/// records and files without stopping. A source that reads its answers
/// with larger reads and swallows the extras only loses the head start:
/// every record still gets its own 0, so nothing can stall. The price is
/// that a file this side fails to write is told to the source by no
/// warning (a warning would be read as the answer to a later record and
/// make the source skip that file); the driver reports it locally, which
/// is where the person reading it is.
public struct SCPSink: Sendable {
    /// What the sink reports, in the order the source sent it.
    public enum Event: Equatable, Sendable {
        /// A file begins: `size` bytes of data follow as `data` events.
        case file(SCPIncomingEntry)
        /// The next bytes of the current file (a slice; never past its end).
        case data(ByteBuffer)
        /// The current file's data is complete and its status byte was
        /// read: nil when the source sent 0 (the file is whole), else the
        /// source's message (it could not read the file; discard it). The
        /// driver must call `finishFile` next.
        case fileEnd(failure: String?)
        /// A directory begins (only with `-r`); entries inside follow until
        /// `endDirectory`.
        case directory(SCPIncomingEntry)
        /// The innermost open directory ends.
        case endDirectory
        /// A warning from the source (status 1 between records, such as
        /// "No such file or directory"): that source failed, others go on.
        case warning(String)
    }

    /// What the request allows.
    public struct Request: Sendable {
        /// `-r`: directories are allowed.
        public var recursive: Bool
        /// The names allowed at the top.
        public var expectation: SCPName.Expectation
        /// Deepest directory nesting allowed.
        public var maxDepth: Int
        /// Status bytes sent before they are due (see the type's notes);
        /// 0 answers each record only when it comes, as OpenSSH's sink.
        public var answersAhead: Int

        public init(recursive: Bool, expectation: SCPName.Expectation, maxDepth: Int = SCPProtocol.maxDepth,
                    answersAhead: Int = 0) {
            self.recursive = recursive
            self.expectation = expectation
            self.maxDepth = maxDepth
            self.answersAhead = max(0, min(answersAhead, SCPProtocol.maxAnswersAhead))
        }
    }

    private enum State: Sendable {
        /// Waiting for a record, a status line, or the end.
        case records
        /// Inside a file's data: this many bytes still to come.
        case data(remaining: UInt64)
        /// The file's data is in; its status byte is next.
        case status
        /// The file ended; waiting for `finishFile`.
        case awaitingVerdict
        /// A violation was thrown; nothing more is parsed.
        case failed(SCPError)
    }

    public let request: Request
    private var state: State = .records
    private var input = ByteBuffer()
    /// Status bytes (and messages) to send to the source.
    public private(set) var output: [UInt8] = []
    /// Names of the open directories, outermost first.
    public private(set) var path: [[UInt8]] = []
    /// Times from a `T` record, for the next `C` or `D`.
    private var pendingTimes: SCPTimes?
    /// Entries the source has sent at the top.
    private var topEntries = 0

    /// A sink for `request`. Its first output is the 0 that tells the
    /// source to begin (and the answers sent ahead).
    public init(request: Request) {
        self.request = request
        output = [UInt8](repeating: SCPProtocol.ok, count: 1 + request.answersAhead)
    }

    /// Bytes the source sent. When nothing is left over from earlier
    /// bytes (between records, or inside a file's data), `bytes` becomes the
    /// input as it is: file data is then handed out as slices of the buffer
    /// the channel filled, never copied here.
    public mutating func receive(_ bytes: ByteBuffer) {
        if input.readableBytes == 0 {
            input = bytes
        } else {
            var bytes = bytes
            input.writeBuffer(&bytes)
        }
    }

    /// Whether the output should be sent now. Without answers ahead,
    /// whenever there is any; with them, once half the head start is owed:
    /// the source still has the other half in hand, and the answers of
    /// many records leave in one packet instead of one each.
    public var outputIsDue: Bool {
        !output.isEmpty && (request.answersAhead == 0 || output.count > request.answersAhead / 2)
    }

    /// The status bytes to send now (emptied).
    public mutating func takeOutput() -> [UInt8] {
        defer { output = [] }
        return output
    }

    /// The driver's verdict on the file that just ended: nil when it was
    /// written completely, else why not (told to the source as a warning,
    /// unless answers go ahead: the file's 0 went out with its status byte).
    public mutating func finishFile(localFailure: String? = nil) {
        guard case .awaitingVerdict = state else { return }
        if request.answersAhead > 0 {
            // Answered when the status byte came.
        } else if let localFailure {
            output += [SCPProtocol.warning] + Self.messageLine(localFailure)
        } else {
            output.append(SCPProtocol.ok)
        }
        state = .records
    }

    /// Bytes that tell the source the sink gives up (status 2 and why).
    public static func fatalReply(_ message: String) -> [UInt8] {
        [SCPProtocol.fatal] + messageLine(message)
    }

    /// `ferry: message` as one line: newlines inside it become spaces.
    static func messageLine(_ message: String) -> [UInt8] {
        Array("ferry: \(message)".utf8).map { $0 == 0x0A ? 0x20 : $0 } + [0x0A]
    }

    /// A message line from the source as text (invalid UTF-8 replaced;
    /// whoever shows it escapes control characters).
    static func text(_ line: ByteBuffer) -> String { String(decoding: line.readableBytesView, as: UTF8.self) }

    /// The next event, or nil when more bytes are needed (or a verdict).
    public mutating func next() throws -> Event? {
        do {
            return try step()
        } catch let error as SCPError {
            state = .failed(error)
            throw error
        }
    }

    /// The source closed its side: fine only between records, with every
    /// directory closed and no `T` waiting.
    public mutating func finish() throws {
        switch state {
        case .failed(let error):
            throw error
        case .data(let remaining):
            throw fail(.unexpectedEOF, "the source ended in the middle of a file (\(remaining) bytes missing)")
        case .status:
            throw fail(.unexpectedEOF, "the source ended before the file's status byte")
        case .awaitingVerdict:
            return
        case .records:
            if input.readableBytes > 0 {
                throw fail(.badRecord, "the source ended in the middle of a record line (missing newline)")
            }
            if pendingTimes != nil { throw fail(.badSequence, "the source ended after a times record") }
            if !path.isEmpty { throw fail(.unexpectedEOF, "the source ended inside a directory") }
        }
    }

    private mutating func fail(_ code: SCPError.Code, _ message: String) -> SCPError {
        let error = SCPError(code, message)
        state = .failed(error)
        return error
    }

    private mutating func step() throws -> Event? {
        switch state {
        case .failed(let error):
            throw error
        case .awaitingVerdict:
            return nil
        case .data(let remaining):
            if remaining == 0 {
                state = .status
                return try step()
            }
            guard input.readableBytes > 0 else { return nil }
            let length = Int(min(remaining, UInt64(input.readableBytes)))
            guard let slice = input.readSlice(length: length) else { return nil }
            state = .data(remaining: remaining - UInt64(length))
            compact()
            return .data(slice)
        case .status:
            guard let byte = input.getInteger(at: input.readerIndex, as: UInt8.self) else { return nil }
            switch byte {
            case SCPProtocol.ok:
                input.moveReaderIndex(forwardBy: 1)
                compact()
                state = .awaitingVerdict
                if request.answersAhead > 0 { output.append(SCPProtocol.ok) }
                return .fileEnd(failure: nil)
            case SCPProtocol.warning:
                guard let line = try readLine(after: 1) else { return nil }
                state = .awaitingVerdict
                if request.answersAhead > 0 { output.append(SCPProtocol.ok) }
                return .fileEnd(failure: Self.text(line))
            case SCPProtocol.fatal:
                guard let line = try readLine(after: 1) else { return nil }
                throw SCPError(.peerFailed, "the source failed: \(Self.text(line))")
            default:
                throw SCPError(.badLength, "the source sent more data than it announced for the file")
            }
        case .records:
            guard let first = input.getInteger(at: input.readerIndex, as: UInt8.self) else { return nil }
            if first == SCPProtocol.warning || first == SCPProtocol.fatal {
                guard let line = try readLine(after: 1) else { return nil }
                if first == SCPProtocol.fatal { throw SCPError(.peerFailed, "the source failed: \(Self.text(line))") }
                if pendingTimes != nil { throw SCPError(.badSequence, "a times record followed by a warning") }
                return .warning(Self.text(line))
            }
            guard let line = try readLine(after: 0, isRecord: true) else { return nil }
            return try handle(try SCPRecordParser.parse(line.readableBytesView))
        }
    }

    private mutating func handle(_ record: SCPRecord) throws -> Event? {
        switch record {
        case .times(let times):
            if pendingTimes != nil { throw SCPError(.badSequence, "two times records in a row") }
            pendingTimes = times
            output.append(SCPProtocol.ok)
            return try step()
        case .endDirectory:
            if pendingTimes != nil { throw SCPError(.badSequence, "a times record followed by an end of directory") }
            guard !path.isEmpty else { throw SCPError(.badSequence, "end of directory without a directory") }
            path.removeLast()
            output.append(SCPProtocol.ok)
            return .endDirectory
        case .file(let mode, let size, let name):
            let entry = try admit(name, mode: mode, size: size, isDirectory: false)
            output.append(SCPProtocol.ok)
            state = .data(remaining: size)
            return .file(entry)
        case .directory(let mode, let name):
            guard request.recursive else { throw SCPError(.badSequence, "the source sent a directory, and -r was not asked for") }
            guard path.count < request.maxDepth else {
                throw SCPError(.badSequence, "directories nested deeper than \(request.maxDepth)")
            }
            let entry = try admit(name, mode: mode, size: 0, isDirectory: true)
            path.append(name)
            output.append(SCPProtocol.ok)
            return .directory(entry)
        }
    }

    /// The entry for a `C` or `D` record after its name passes the checks.
    private mutating func admit(_ name: [UInt8], mode: UInt32, size: UInt64, isDirectory: Bool) throws -> SCPIncomingEntry {
        if path.isEmpty {
            topEntries += 1
            if case .exactly = request.expectation, topEntries > 1 {
                throw SCPError(.unexpectedName, "the source sent a second entry \"\(SCPName.render(name))\" for one file asked for")
            }
            // "." names the directory asked for (`scp -r host:. dest`).
            let isAskedDot = isDirectory && name == [UInt8(ascii: ".")] && request.expectation == .exactly(name)
            if !isAskedDot {
                if let problem = SCPName.problem(name) {
                    throw SCPError(.badName, "refusing the name \"\(SCPName.render(name))\" the source sent (\(problem))")
                }
                guard request.expectation.allows(name) else {
                    throw SCPError(.unexpectedName, "the source sent \"\(SCPName.render(name))\", which was not asked for")
                }
            }
        } else if let problem = SCPName.problem(name) {
            throw SCPError(.badName, "refusing the name \"\(SCPName.render(name))\" the source sent (\(problem))")
        }
        defer { pendingTimes = nil }
        // Set-id and sticky bits are dropped, as OpenSSH's sink does.
        return SCPIncomingEntry(directory: path, name: name, mode: mode & 0o777, size: size, times: pendingTimes)
    }

    /// The line starting `skip` bytes into the input, without its newline,
    /// consumed; nil when its newline has not come yet. Throws when the
    /// line is longer than `SCPProtocol.maxLineLength`.
    private mutating func readLine(after skip: Int, isRecord: Bool = false) throws -> ByteBuffer? {
        let view = input.readableBytesView
        let limit = min(view.count, SCPProtocol.maxLineLength)
        guard let newline = view.prefix(limit).firstIndex(of: 0x0A) else {
            if view.count >= SCPProtocol.maxLineLength {
                throw SCPError(.badRecord, "\(isRecord ? "record" : "message") line longer than \(SCPProtocol.maxLineLength) bytes")
            }
            return nil
        }
        let length = newline - view.startIndex
        input.moveReaderIndex(forwardBy: skip)
        let line = input.readSlice(length: length - skip) ?? ByteBuffer()
        input.moveReaderIndex(forwardBy: 1)
        compact()
        return line
    }

    /// Lets go of the input's storage once all of it is consumed, so the
    /// next bytes are taken as they come (see `receive`) and a long session
    /// does not grow one buffer without bound. (Discarding read bytes in
    /// place would copy the storage while a data slice handed out still
    /// shares it.)
    private mutating func compact() {
        if input.readableBytes == 0 { input = ByteBuffer() }
    }
}

/// SCPIncomingEntry is a file or directory a source announced, checked.
public struct SCPIncomingEntry: Equatable, Sendable {
    /// Names of the directories it is in, from the top of the session.
    public var directory: [[UInt8]]
    /// Its own name: one path component (or "." for the directory asked for).
    public var name: [UInt8]
    /// Permission bits, set-id and sticky bits already dropped.
    public var mode: UInt32
    /// The announced size (0 for a directory).
    public var size: UInt64
    /// Times from a preceding `T` record.
    public var times: SCPTimes?
}
