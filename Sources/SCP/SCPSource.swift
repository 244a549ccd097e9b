import NIOCore

/// SCPSource is the sending side of the scp protocol (what `scp -f` is),
/// as a state machine with no I/O: it writes the records and checks the
/// sink's replies; the driver moves the bytes and the file data.
///
/// The conversation, as OpenSSH's source holds it: wait for the sink's
/// first 0; for each file send `T` (with `-p`) and `C`, each answered,
/// then exactly the announced bytes and a status byte, answered; for a
/// directory `D`, its entries, `E`. A reply of 1 carries a warning (the
/// sink refused that file; the others go on), 2 a fatal error.
///
/// The sink is a peer too: its reply lines are bounded, a byte other than
/// 0, 1 or 2 where a reply is due is an error, and a file's data is
/// counted so that the driver cannot send more or fewer bytes than the `C`
/// record announced without being told.
public struct SCPSource: Sendable {
    /// The sink's answer to a record, a file's end, or the session's start.
    public enum Reply: Equatable, Sendable {
        /// Accepted.
        case ok
        /// Refused with this message; the session goes on.
        case warning(String)
    }

    private var input = ByteBuffer()
    /// Directories begun and not yet ended.
    public private(set) var depth = 0
    /// Bytes of the current file's data still to send (nil between files).
    public private(set) var remaining: UInt64?

    public init() {}

    /// Bytes the sink sent.
    public mutating func receive(_ bytes: ByteBuffer) {
        var bytes = bytes
        input.writeBuffer(&bytes)
    }

    /// The sink's next reply, or nil when it has not all come. A fatal
    /// reply (2) is thrown as `SCPError.peerFailed`.
    public mutating func nextReply() throws -> Reply? {
        guard let first = input.getInteger(at: input.readerIndex, as: UInt8.self) else { return nil }
        switch first {
        case SCPProtocol.ok:
            input.moveReaderIndex(forwardBy: 1)
            if input.readerIndex > 1 << 16 { input.discardReadBytes() }
            return .ok
        case SCPProtocol.warning, SCPProtocol.fatal:
            let view = input.readableBytesView
            guard let newline = view.prefix(SCPProtocol.maxLineLength).firstIndex(of: 0x0A) else {
                if view.count >= SCPProtocol.maxLineLength {
                    throw SCPError(.badRecord, "the sink's message is longer than \(SCPProtocol.maxLineLength) bytes")
                }
                return nil
            }
            let text = String(decoding: view[(view.startIndex + 1)..<newline], as: UTF8.self)
            input.moveReaderIndex(forwardBy: newline - view.startIndex + 1)
            if first == SCPProtocol.fatal { throw SCPError(.peerFailed, text) }
            return .warning(text)
        default:
            throw SCPError(.badRecord, "the sink sent \(SCPRecordParser.describe(first)) where a status byte was due")
        }
    }

    /// The `T` record for the next file or directory.
    public func times(_ times: SCPTimes) -> [UInt8] { SCPRecord.times(times).encoded }

    /// The `C` record of a file; its data is due next (see `sent`).
    public mutating func beginFile(mode: UInt32, size: UInt64, name: [UInt8]) throws -> [UInt8] {
        try check(name)
        remaining = size
        return SCPRecord.file(mode: mode & 0o7777, size: size, name: name).encoded
    }

    /// Counts `count` bytes of the current file's data as sent.
    public mutating func sent(_ count: Int) throws {
        guard let left = remaining, UInt64(max(0, count)) <= left else {
            throw SCPError(.badLength, "more file data than the file record announced")
        }
        remaining = left - UInt64(count)
    }

    /// The status byte that ends a file: 0 when all of its announced
    /// bytes were sent; else 1 and why. The driver must still have sent
    /// the announced number of bytes, padding with anything, so the stream
    /// stays in step. What the sink does with the file then is its own
    /// affair: ferry's `SCPSink` discards it, OpenSSH's scp keeps what it
    /// wrote and only counts an error.
    public mutating func endFile(failure: String? = nil) throws -> [UInt8] {
        guard let left = remaining else { throw SCPError(.badSequence, "no file to end") }
        remaining = nil
        if let failure { return [SCPProtocol.warning] + SCPSink.messageLine(failure) }
        guard left == 0 else { throw SCPError(.badLength, "\(left) bytes of the file were not sent") }
        return [SCPProtocol.ok]
    }

    /// The `D` record that begins a directory.
    public mutating func beginDirectory(mode: UInt32, name: [UInt8]) throws -> [UInt8] {
        try check(name)
        depth += 1
        return SCPRecord.directory(mode: mode & 0o7777, name: name).encoded
    }

    /// The `E` record that ends the innermost directory.
    public mutating func endDirectory() throws -> [UInt8] {
        guard depth > 0 else { throw SCPError(.badSequence, "no directory to end") }
        depth -= 1
        return SCPRecord.endDirectory.encoded
    }

    /// A name we send must be one the sink can take: a newline would end
    /// the record early and make the rest of the name a record of its own.
    private func check(_ name: [UInt8]) throws {
        if name.contains(0x0A) { throw SCPError(.badName, "\"\(SCPName.render(name))\": scp cannot send a name holding a newline") }
        if let problem = SCPName.problem(name) { throw SCPError(.badName, "\"\(SCPName.render(name))\": \(problem)") }
    }
}
