import ByteStreams
import Locking
import NIOCore
import SCP
import SSHCore

/// SCPTransfer copies files with the legacy scp protocol: for servers
/// without an sftp subsystem (routers, NAS boxes, dropbear without
/// sftp-server). Each remote source is one `scp -f` command, all local
/// sources of a put one `scp -t` command, run on exec channels of one
/// connection; the protocol itself is the `SCP` module's sink and source.
///
/// Events and reports are those of `FileTransfer`, so the command line
/// shows both alike. What SCP cannot do is refused up front: resume (`-a`:
/// SCP has no offsets).
public struct SCPTransfer: Sendable {
    /// Opens a byte stream to a remote command (one exec channel). The
    /// returned closure closes it.
    public typealias Opener = @Sendable (_ command: [UInt8]) async throws -> (any ByteStream, close: @Sendable () async -> Void)

    public let options: TransferOptions
    public let onEvent: @Sendable (TransferEvent) -> Void
    let open: Opener
    /// Name of the scp program on the server.
    public var program = "scp"
    /// Status bytes a download sends before they are due
    /// (`SCPSink.Request.answersAhead`), so that the remote `scp -f` streams
    /// its files instead of waiting a round trip and this side's file work
    /// for each; 0 is OpenSSH's stop-and-wait.
    public var answersAhead = 256
    /// `scp -t` sessions a tree upload of many files spreads over (see
    /// `putSpread`); 1 sends everything in one, as OpenSSH's scp. One by
    /// default: on loopback the extra sessions' start (a shell and an scp
    /// each) cost more than they overlapped (2000 files: 1.66 s over four
    /// against 1.19 s over one); they pay where each file costs a long
    /// round trip.
    public var sessions = 1
    /// Files of at most this many bytes are received into memory and
    /// written whole in one trip to a disk thread, not one per piece.
    static let gatherLimit: UInt64 = 1 << 20

    public init(options: TransferOptions = TransferOptions(), open: @escaping Opener,
                onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) {
        self.options = options
        self.open = open
        self.onEvent = onEvent
    }

    /// An SCPTransfer whose commands run on exec channels of `client`,
    /// each granted `receiveWindow` (the transfer's budget: as for SFTP,
    /// a download's speed over a long link is window over round trip).
    /// The remote command's stderr is passed on as notices.
    public init(client: SSHClient, options: TransferOptions = TransferOptions(),
                receiveWindow: Int = TransferOptions.receiveWindow,
                onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }) {
        let window = UInt32(clamping: max(0, receiveWindow))
        self.init(options: options, open: { command in
            let channel = try await client.openExec(String(decoding: command, as: UTF8.self), receiveWindow: window) { text in
                var line = Substring(String(decoding: text.readableBytesView, as: UTF8.self))
                while line.last?.isNewline == true { line = line.dropLast() }
                if !line.isEmpty { onEvent(.notice(path: "remote scp", message: String(line))) }
            }
            return (SSHChannelByteStream(channel), { await channel.close() })
        }, onEvent: onEvent)
    }

    /// Runs `operation`, closing every channel registered with the given
    /// `ChannelClosers` when the task is cancelled (Ctrl-C): a read that
    /// waits on a stalled server ends then, instead of the whole transfer
    /// running to its end first.
    static func closingOnCancel<T>(_ operation: (ChannelClosers) async -> T) async -> T {
        let closers = ChannelClosers()
        return await withTaskCancellationHandler {
            await operation(closers)
        } onCancel: {
            closers.cancel()
        }
    }

    /// The error for a request SCP cannot carry out, or nil.
    static func unsupported(_ options: TransferOptions) -> TransferError? {
        if options.resume {
            return TransferError(.usage, "-a (resume) needs SFTP: SCP has no offsets to continue from; use SFTP (without --scp)")
        }
        return nil
    }

    /// `command` checked for what an exec request can carry: SSHCore sends
    /// the command as text, so a remote path that is not UTF-8 is refused
    /// rather than sent changed.
    static func command(_ command: [UInt8], path: [UInt8]) throws -> [UInt8] {
        guard String(validating: command, as: UTF8.self) != nil else {
            throw TransferError(.usage, "\(SCPName.render(path)): SCP cannot send a remote path that is not UTF-8; use SFTP")
        }
        return command
    }

    func fail(_ error: TransferError, _ report: inout TransferReport) {
        report.failures.append(error)
        onEvent(.failed(error))
    }

    /// An SCPError as a TransferError about `what`.
    static func wrap(_ error: Error, _ what: String) -> TransferError {
        switch error {
        case let error as TransferError: return error
        case is CancellationError: return TransferError(.local, "\(what): cancelled")
        case let error as SCPError:
            return TransferError(error.code == .badName || error.code == .unexpectedName ? .refusedName : .remote,
                                 "\(what): \(error.message)")
        default: return TransferError(.remote, "\(what): \(error)")
        }
    }
}

/// The channels of one SCP transfer, closed together when it is cancelled.
final class ChannelClosers: Sendable {
    private let state = Locked<(cancelled: Bool, closers: [@Sendable () async -> Void])>((false, []))

    /// Registers a channel's `close`; called at once if already cancelled.
    func add(_ close: @escaping @Sendable () async -> Void) {
        let now = state.withLock { state -> Bool in
            if state.cancelled { return true }
            state.closers.append(close)
            return false
        }
        if now { Task { await close() } }
    }

    func cancel() {
        let closers = state.withLock { state -> [@Sendable () async -> Void] in
            state.cancelled = true
            defer { state.closers = [] }
            return state.closers
        }
        for close in closers { Task { await close() } }
    }
}
