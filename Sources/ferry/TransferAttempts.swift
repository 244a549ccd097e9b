import ArgumentParser
import Foundation
import SFTP
import SSHCore
import Synchronization
import Transfer

/// The connections of one get, put or cp: the first, and with `--retries`
/// a new one each time a connection is lost, until the transfer is done
/// or the retries are spent.
///
/// A rerun plans the same request again with resume on (`-a`): each
/// unfinished file continues from its partial file after the verified
/// resume compares its last block; files that landed in an earlier
/// connection are left out (`CompletedFiles`). While a retry remains, the
/// per-file failures of a connection that was lost are held back: they
/// all say the connection went, which one line says instead.
struct TransferAttempts {
    let target: RemoteTarget
    let flags: ConnectionOptions
    let transfer: TransferFlags
    let selected: TransferProtocol
    let policy: RetryPolicy

    /// How one connection ended.
    enum Outcome {
        /// Connecting (or opening SFTP) failed.
        case connectFailed(Error)
        /// The transfer ran; `lost` says why the connection ended under it, if it did.
        case ran(TransferReport, lost: Error?)
    }

    /// Runs the transfer over as many connections as it takes. Returns the
    /// report summed over all of them (files and bytes of every connection,
    /// the failures of the last); throws exit 255 when no connection could
    /// be made.
    func run(options: TransferOptions,
             scp scpBody: (SCPTransfer) async -> TransferReport,
             _ body: (FileTransfer, TransferRun.Expand) async -> TransferReport) async throws -> TransferReport {
        var options = options
        if policy.retries > 0 { options.completed = CompletedFiles() }
        var total = TransferReport()
        var retriesUsed = 0
        let started = ContinuousClock.now
        while true {
            let held = HeldLines(holding: retriesUsed < policy.retries)
            let outcome = await attempt(options: options, held: held, scp: scpBody, body)
            switch outcome {
            case .connectFailed(let error):
                if error is ValidationError { throw error }
                if retriesUsed < policy.retries, RetryPolicy.isConnectionLoss(error) {
                    retriesUsed += 1
                    if !flags.quiet { say("\(error); reconnecting (\(retriesUsed)/\(policy.retries)) in \(policy.delayText)") }
                    try? await Task.sleep(for: policy.delay)
                    continue
                }
                say("\(error)")
                throw ExitCode(ExitCodes.sshFailure)
            case .ran(let report, let lost):
                total.files += report.files
                total.bytes += report.bytes
                total.skipped = report.skipped
                if let lost, retriesUsed < policy.retries, RetryPolicy.isConnectionLoss(lost) {
                    retriesUsed += 1
                    let elapsed = Self.seconds(started.duration(to: .now))
                    let done = options.completed?.count ?? total.files
                    if !flags.quiet { say(String(format: "connection lost after %.1f s (%d file%@ complete): %@; reconnecting (%d/%d) in %@",
                               elapsed, done, done == 1 ? "" : "s", "\(lost)", retriesUsed, policy.retries, policy.delayText)) }
                    options.resume = true
                    try? await Task.sleep(for: policy.delay)
                    if !flags.quiet, done > 0 { say("resuming: \(done) complete file\(done == 1 ? "" : "s") will not be copied again") }
                    continue
                }
                held.release()
                if let lost { say("connection lost: \(lost)") }
                total.failures = report.failures
                return total
            }
        }
    }

    /// One connection: connect, open the session, run the transfer, close.
    private func attempt(options: TransferOptions, held: HeldLines,
                         scp scpBody: (SCPTransfer) async -> TransferReport,
                         _ body: (FileTransfer, TransferRun.Expand) async -> TransferReport) async -> Outcome {
        let quiet = flags.quiet
        let client: SSHClient
        let sftp: SFTPClient?
        let channel: SSHChannelStream?
        do {
            client = try await SSHSession.connect(target, flags, connectTimeout: transfer.connectTimeout)
            do {
                let session = try await TransferRun.openSFTP(client, selected, transfer, quiet: quiet)
                (sftp, channel) = (session?.0, session?.1)
            } catch {
                await client.close()
                throw error
            }
        } catch {
            return .connectFailed(error)
        }
        let onEvent: @Sendable (TransferEvent) -> Void = { event in
            switch event {
            case .failed(let error):
                held.write("ferry: \(printable(error.message))\n")
            case .skipped(let path, let reason) where !quiet:
                // As sftp -r: one line per symbolic link or special file left out.
                held.write("ferry: \(printable(path)): \(reason), skipped\n")
            case .notice(let path, let message) where !quiet:
                held.write("ferry: \(printable(path)): \(printable(message))\n")
            default:
                break
            }
        }
        // The transfer runs on the connection's event loop: no thread hop
        // between a reply arriving and the task that waits for it.
        let (report, lost) = await withTaskExecutorPreference(client.taskExecutor) { () -> (TransferReport, Error?) in
            guard let sftp, let channel else {
                // SCP has no resume: its connection is not retried.
                return (await scpBody(SCPTransfer(client: client, options: options, onEvent: onEvent)), nil)
            }
            let files = FileTransfer(client: sftp, options: options, onEvent: onEvent)
            let expand: TransferRun.Expand = { path in try await files.expandGlob(path.bytes.isEmpty ? "." : path) }
            let report = await body(files, expand)
            // Asked before closing: closing ends the session on purpose.
            var lost: Error? = await client.connectionFailure
            if lost == nil, let failure = sftp.sessionFailure { lost = failure }
            sftp.close()
            await channel.close()
            return (report, lost)
        }
        await client.close()
        return .ran(report, lost: lost)
    }

    private func say(_ line: String) {
        FileHandle.standardError.write(Data("ferry: \(printable(line))\n".utf8))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// HeldLines writes stderr lines at once, or (while a retry remains) holds
/// them until the connection's fate is known: shown if it is the last,
/// dropped if a reconnect redoes their files.
final class HeldLines: Sendable {
    private let lines: Mutex<[String]?>

    init(holding: Bool) { lines = Mutex(holding ? [] : nil) }

    func write(_ line: String) {
        let now: Bool = lines.withLock { held in
            guard held != nil else { return true }
            held?.append(line)
            return false
        }
        if now { FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// Writes what was held; later lines go out at once.
    func release() {
        let held = lines.withLock { held -> [String] in
            defer { held = nil }
            return held ?? []
        }
        if !held.isEmpty { FileHandle.standardError.write(Data(held.joined().utf8)) }
    }
}
