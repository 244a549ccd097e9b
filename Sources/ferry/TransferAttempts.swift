import ArgumentParser
import FerryKit
import Foundation
import SFTP
import SSHCore
import Locking
import Transfer

/// The connections of one get, put or cp: the first, and with `--retries`
/// a new one each time a connection is lost, until the transfer is done,
/// the retries are spent or the user presses Ctrl-C.
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
    /// Paths STATed together with the SFTP INIT (see `SFTPClient.connect`).
    let statsAhead: [SFTPPath]
    let direction: TransferDirection
    let display: TransferDisplay
    let interruption: TransferInterruption
    /// The "Resuming …" lines go to stderr when the file goes to stdout.
    let summaryToStandardError: Bool

    /// Runs the transfer over as many connections as it takes
    /// (`RetryPolicy.run`). Returns the report summed over all of them
    /// (files and bytes of every connection, the failures of the last);
    /// throws exit 255 when no connection could be made.
    func run(options: TransferOptions,
             scp scpBody: (SCPTransfer) async -> TransferReport,
             _ body: (FileTransfer, TransferRun.Expand) async -> TransferReport) async throws -> TransferReport {
        var options = options
        if policy.retries > 0 { options.completed = CompletedFiles() }
        var total = TransferReport()
        let started = ContinuousClock.now
        // Resolved and its keys loaded once: a reconnect asks nobody for a
        // passphrase again.
        let plan: SSHConnectionPlan
        do {
            plan = try await SSHSession.plan(target, flags, connectTimeout: transfer.connectTimeout)
        } catch let error as ValidationError {
            throw error
        } catch {
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        let policy = policy, quiet = flags.quiet, display = display, interruption = interruption
        // Whether the try under way got as far as the transfer: its loss
        // then says how far the transfer got, and its report counts.
        var ran = false
        var held: HeldEvents?
        // After a loss under a transfer: the files complete, said once the
        // next connection is up.
        var complete: Int?
        do {
            try await interruption.endingRetryWaits { waits in
                try await policy.run(connectingWith: plan) { connection, attempt in
                    waits.disarm()
                    if let done = complete {
                        complete = nil
                        if !quiet, done > 0 { say("resuming: \(done) complete file\(done == 1 ? "" : "s") will not be copied again") }
                    }
                    // While a retry remains, the lines about single files
                    // wait until the connection's fate is known.
                    let events = HeldEvents(holding: !attempt.isLast, display: display)
                    held = events
                    interruption.forgetPartialFiles()
                    let (report, lost) = try await self.attempt(connection.client, plan, options: options, held: events,
                                                                scp: scpBody, body)
                    ran = true
                    total.files += report.files
                    total.bytes += report.bytes
                    total.skipped = report.skipped
                    total.failures = report.failures
                    // A loss is for `run` to retry, unless Ctrl-C caused it.
                    if let lost, !interruption.interrupted { throw lost }
                    events.release()
                } onRetry: { retry in
                    if ran {
                        ran = false
                        let elapsed = Self.seconds(started.duration(to: .now))
                        let done = options.completed?.count ?? total.files
                        if !quiet { say(String(format: "connection lost after %.1f s (%d file%@ complete): %@; reconnecting (%d/%d) in %@",
                                               elapsed, done, done == 1 ? "" : "s", "\(retry.error)", retry.number, retry.limit,
                                               policy.delayText)) }
                        options.resume = true
                        display.reconnected()
                        complete = done
                    } else if !quiet {
                        say("\(retry.error); reconnecting (\(retry.number)/\(retry.limit)) in \(policy.delayText)")
                    }
                    waits.arm()
                }
            }
        } catch where interruption.interrupted {
            // Ctrl-C during the wait (or the reconnect after it): the
            // transfer ends with what the connections before did.
            return total
        } catch where ran {
            // The connection was lost under the transfer, for good.
            held?.release()
            say("connection lost: \(error)")
        } catch let error as ValidationError {
            throw error
        } catch {
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        return total
    }

    /// One connection: open the session, run the transfer beside a task
    /// that waits for Ctrl-C, close. Returns the report and, when the
    /// connection ended under the transfer, why; throws when the session
    /// could not be opened (the caller closes the client then).
    private func attempt(_ client: SSHClient, _ plan: SSHConnectionPlan, options: TransferOptions, held: HeldEvents,
                         scp scpBody: (SCPTransfer) async -> TransferReport,
                         _ body: (FileTransfer, TransferRun.Expand) async -> TransferReport) async throws -> (TransferReport, Error?) {
        let quiet = flags.quiet
        let session = try await TransferRun.openSFTP(client, selected, transfer, quiet: quiet, statsAhead: statsAhead)
        let (sftp, channel) = (session?.0, session?.1)
        let interruption = interruption
        let display = display
        let showsResuming = !quiet && !transfer.output.json
        let resumingTo = summaryToStandardError ? STDERR_FILENO : STDOUT_FILENO
        let onEvent: @Sendable (TransferEvent) -> Void = { event in
            interruption.note(event)
            switch event {
            case .failed where interruption.interrupted:
                // Every file in flight fails with the cancellation: one
                // line after the run says what was left instead.
                return
            case .resumed(let source, let destination, let offset, let upload) where showsResuming:
                // sftp's line, on stdout as sftp prints it (stderr when the
                // file itself goes to stdout).
                let line = TransferInterruption.resumingLine(source: source, destination: destination, offset: offset, upload: upload)
                display.writeLine(line + "\n", to: resumingTo)
            default:
                break
            }
            held.handle(event)
        }
        if let sftp { await SFTPSessionLog.log(sftp, flags) }
        display.start()
        // The transfer is a child task beside one that waits for Ctrl-C,
        // so that SIGINT can cancel it; both end before this returns.
        let signal = interruption.start()
        let (report, lost) = await interruption.cancellingOnSignal(on: client.taskExecutor, orElse: (TransferReport(), nil)) {
            () async -> (TransferReport, Error?) in
            guard let sftp else {
                // SCP has no resume: its connection is not retried.
                var scp = SCPTransfer(client: client, options: options, onEvent: onEvent)
                if let channels = transfer.sessions.channels { scp.sessions = channels }
                return (await scpBody(scp), nil)
            }
            let pool = SFTPSessionPool.spreading(transfer.sessions.spread, client: client, sftp: sftp, plan: plan,
                                                 direction: direction, requestTimeout: transfer.requestTimeout,
                                                 logger: plan.configuration.logger, roundTrip: channel?.openRoundTrip)
            let files = FileTransfer(pool: pool, options: options, onEvent: onEvent)
            let expand: TransferRun.Expand = { path in try await files.expandSource(path) }
            let report = await body(files, expand)
            // Asked before closing: closing ends the session on purpose.
            var lost: Error? = await client.connectionFailure
            if lost == nil, let failure = sftp.sessionFailure { lost = failure }
            await pool.close()
            for failure in pool.openFailures {
                flags.log(1, "could not open another SFTP session: \(failure)")
            }
            return (report, lost)
        }
        signal.cancel()
        if let sftp, let channel {
            sftp.close()
            await channel.close()
        }
        await client.close()
        return (report, lost)
    }

    private func say(_ line: String) {
        display.writeLine("ferry: \(printable(line))\n", to: STDERR_FILENO)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// HeldEvents passes a connection's events to the display, except that
/// while a retry remains it holds the lines about single files (failed,
/// skipped, a notice) until the connection's fate is known: shown if it
/// is the last, dropped if a reconnect redoes their files, which would
/// otherwise be reported twice or reported failed and then copied.
///
/// With an `interruption`, it first counts the partial files the events
/// say were kept, for the line Ctrl-C leaves (sync's events come only
/// through here).
final class HeldEvents: Sendable {
    private let held: Locked<[TransferEvent]?>
    let display: TransferDisplay
    let interruption: TransferInterruption?

    init(holding: Bool, display: TransferDisplay, interruption: TransferInterruption? = nil) {
        held = Locked(holding ? [] : nil)
        self.display = display
        self.interruption = interruption
    }

    func handle(_ event: TransferEvent) {
        interruption?.note(event)
        // After Ctrl-C every file in flight fails with the cancellation:
        // the line after the run says what was left instead.
        if case .failed = event, interruption?.interrupted == true { return }
        switch event {
        case .failed, .skipped, .notice:
            let now: Bool = held.withLock { held in
                guard held != nil else { return true }
                held?.append(event)
                return false
            }
            if now { display.handle(event) }
        default:
            display.handle(event)
        }
    }

    /// Shows what was held; later events go through at once.
    func release() {
        let events = held.withLock { held -> [TransferEvent] in
            defer { held = nil }
            return held ?? []
        }
        for event in events { display.handle(event) }
    }
}
