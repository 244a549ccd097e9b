import Foundation
import Locking
import Synchronization
import Transfer

/// TransferDisplay turns a transfer's events into what the user sees: the
/// progress meter on standard error, a line per finished file at `-v`
/// (more at `-vv`/`-vvv`), a line per failed or skipped file, and with
/// `--json` JSON Lines on standard output. Events come from any task;
/// byte counts (one event per block) cost one atomic add, everything else
/// takes a lock that the meter's redraws also take, so lines and the meter
/// never interleave.
///
/// The meter is drawn by its own thread, at most ten times a second and
/// never from the transfer's tasks: a slow terminal does not hold up the
/// event loop, and the cooperative pool is never blocked.
final class TransferDisplay: Sendable {
    /// What to show.
    struct Mode: Sendable {
        /// Draw the progress meter on standard error.
        var meter = false
        /// `-v` count: 1 lists finished files, 3 adds a line per file start.
        var verbosity = 0
        /// Write JSON Lines on standard output.
        var json = false
        /// `-q`: no skip lines, notices or `-v` lines (failures still show).
        var quiet = false
        /// Print failure, skip and notice lines (the sftp shell prints its own).
        var problemLines = true
        /// Clear the meter whenever no file is in flight, and start its
        /// figures anew with the next plan: one meter per sftp command.
        var perCommand = false
    }

    let mode: Mode
    private let bytesDone = Atomic<UInt64>(0)
    private let state = Locked(State())
    private let origin = ContinuousClock.now

    private struct State {
        var filesTotal: Int?
        var bytesTotal: UInt64?
        var filesDone = 0
        var failed = 0
        var skipped = 0
        /// Files in flight and when each started, oldest first.
        var active: [(path: String, since: Double)] = []
        var meterShown = false
        var throttle = RedrawThrottle()
        var jsonThrottle = RedrawThrottle(interval: 0.5)
        var rate = RateEstimator()
        var lastJSONBytes: UInt64?
        /// True once the JSON start event is out; file events wait for it.
        var startWritten = false
        var held: [String] = []
        var finished = false
        /// Bytes counted before the current command (perCommand).
        var bytesBase: UInt64 = 0
        /// The meter thread runs.
        var started = false
        /// A reconnect plans again what the first plan already counted.
        var replanning = false
    }

    init(mode: Mode) {
        self.mode = mode
    }

    /// The mode of a get, put, cp or sync: the meter on a terminal (or with
    /// `--progress`), never with `-q`, and not with `--json` unless asked.
    static func mode(_ output: OutputFlags, verbosity: Int, quiet: Bool) -> Mode {
        var mode = Mode()
        mode.quiet = quiet
        mode.verbosity = quiet ? 0 : verbosity
        mode.json = output.json
        mode.meter = !quiet && (output.progress || (OutputStreams.isTerminal(STDERR_FILENO) && !output.json))
        return mode
    }

    /// Starts the thread that redraws the meter and writes JSON progress.
    func start() {
        guard mode.meter || mode.json else { return }
        guard !state.withLock({ state in defer { state.started = true }; return state.started }) else { return }
        let thread = Thread { [self] in
            while !state.withLock({ $0.finished }) {
                usleep(100_000)
                tick()
            }
        }
        thread.name = "ferry progress"
        thread.start()
    }

    /// Seconds since the display was made.
    private func now() -> Double {
        let elapsed = origin.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }

    /// Takes one event; called from any task.
    func handle(_ event: TransferEvent) {
        if case .progress(let bytes) = event {
            bytesDone.add(bytes, ordering: .relaxed)
            return
        }
        let time = now()
        state.withLock { state in
            switch event {
            case .progress:
                break
            case .planned(let files, let bytes):
                planned(files, bytes, &state)
            case .started(let path, let size):
                state.active.append((path, time))
                if mode.verbosity >= 3 {
                    line("debug3: \(printable(path)): started\(size.map { ", \($0) bytes" } ?? "")", &state)
                }
            case .finished(let path, let bytes):
                let seconds = ended(path, time, &state)
                state.filesDone += 1
                if mode.perCommand && state.active.isEmpty { clearMeter(&state) }
                if mode.verbosity >= 1 { line(Self.fileLine(path, bytes: bytes, seconds: seconds), &state) }
                json(JSONEvents.finished(path: path, bytes: bytes, seconds: seconds), &state)
            case .failed(let error):
                let seconds = error.path.flatMap { ended($0, time, &state) }
                state.failed += 1
                if mode.perCommand && state.active.isEmpty { clearMeter(&state) }
                if mode.problemLines { line("ferry: \(printable(error.message))", &state) }
                json(JSONEvents.failed(error, seconds: seconds), &state)
            case .skipped(let path, let reason):
                state.skipped += 1
                // As sftp -r: one line per symbolic link or special file left out.
                if mode.problemLines && !mode.quiet { line("ferry: \(printable(path)): \(reason), skipped", &state) }
                json(JSONEvents.skipped(path: path, reason: reason), &state)
            case .notice(let path, let message):
                if mode.problemLines && !mode.quiet { line("ferry: \(printable(path)): \(printable(message))", &state) }
                json(JSONEvents.notice(path: path, message: message), &state)
            case .resumed, .partialKept:
                // The "Resuming …" line and the -a hint are the run's (TransferRun).
                break
            }
        }
    }

    /// A `-v` line: name, size, time, rate.
    static func fileLine(_ path: String, bytes: UInt64, seconds: Double?) -> String {
        var text = "\(printable(path))  \(ProgressLine.bytes(bytes))"
        if let seconds {
            text += "  " + ProgressLine.formatted(seconds) + "s"
            if seconds > 0 { text += "  " + ProgressLine.bytes(UInt64(min(Double(bytes) / seconds, 1e18))) + "/s" }
        }
        return text
    }

    /// Ends the display: the meter is cleared (the summary takes its
    /// place) and, with `--json`, the summary event written.
    func finish(_ report: TransferReport, seconds: Double) {
        finish(files: report.files, bytes: report.bytes, failed: report.failures.count, skipped: report.skipped, seconds: seconds)
    }

    func finish(files: Int, bytes: UInt64, failed: Int, skipped: Int, seconds: Double) {
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            clearMeter(&state)
            guard mode.json else { return }
            writeStart(&state)
            OutputStreams.write(JSONEvents.summary(files: files, bytes: bytes, failed: failed, skipped: skipped, seconds: seconds),
                                to: STDOUT_FILENO)
        }
    }

    /// Ends one command's meter (an sftp command that ended, even by
    /// Ctrl-C, when its files may never report their end): the meter is
    /// cleared and the next plan starts a new one.
    func commandEnded() {
        state.withLock { state in
            state.active = []
            state.filesTotal = state.filesTotal.map { _ in state.filesDone + state.failed }
            clearMeter(&state)
        }
    }

    /// A reconnect (`--retries`): the files in flight were dropped with
    /// the connection and will start again, and the next plan covers
    /// files the totals already hold, so it does not add to them.
    func reconnected() {
        state.withLock { state in
            state.active = []
            state.replanning = state.filesTotal != nil
            clearMeter(&state)
        }
    }

    /// Writes `text` as a line on standard error, clearing the meter first
    /// (it is redrawn at the next tick): for other writers of the terminal.
    func writeLine(_ text: String, to fd: Int32) {
        state.withLock { state in
            clearMeter(&state)
            OutputStreams.write(text, to: fd)
        }
    }

    // MARK: - Under the lock

    private func planned(_ files: Int, _ bytes: UInt64, _ state: inout State) {
        // Undercounts only when a connection was lost before its planning
        // ended; the meter then stops at the last plan's totals.
        if state.replanning { return }
        if mode.perCommand, state.active.isEmpty,
           let total = state.filesTotal, state.filesDone + state.failed >= total {
            // The previous command's files are all done: a new meter.
            state.filesTotal = nil
            state.bytesTotal = nil
            state.filesDone = 0
            state.failed = 0
            state.bytesBase = bytesDone.load(ordering: .relaxed)
            state.rate = RateEstimator()
        }
        state.filesTotal = (state.filesTotal ?? 0) + files
        state.bytesTotal = (state.bytesTotal ?? 0) &+ bytes
        guard mode.json else { return }
        if state.startWritten {
            OutputStreams.write(JSONEvents.plan(files: files, bytes: bytes, filesTotal: state.filesTotal ?? 0,
                                                bytesTotal: state.bytesTotal ?? 0), to: STDOUT_FILENO)
        } else {
            writeStart(&state)
        }
    }

    /// Writes the start event (with the totals so far) and what waited for it.
    private func writeStart(_ state: inout State) {
        guard !state.startWritten else { return }
        state.startWritten = true
        OutputStreams.write(JSONEvents.start(files: state.filesTotal ?? 0, bytes: state.bytesTotal ?? 0), to: STDOUT_FILENO)
        for text in state.held { OutputStreams.write(text, to: STDOUT_FILENO) }
        state.held = []
    }

    /// Removes `path` from the files in flight; the seconds it took.
    private func ended(_ path: String, _ time: Double, _ state: inout State) -> Double? {
        guard let index = state.active.firstIndex(where: { $0.path == path }) else { return nil }
        let since = state.active[index].since
        state.active.remove(at: index)
        return max(0, time - since)
    }

    private func line(_ text: String, _ state: inout State) {
        clearMeter(&state)
        OutputStreams.write(text + "\n", to: STDERR_FILENO)
    }

    /// Writes (or holds) one `--json` line. `text` is only made with
    /// `--json`: serialising an object per file otherwise cost a seventh
    /// of a small-file sync's CPU for nothing.
    private func json(_ text: @autoclosure () -> String, _ state: inout State) {
        guard mode.json else { return }
        if state.startWritten { OutputStreams.write(text(), to: STDOUT_FILENO) } else { state.held.append(text()) }
    }

    private func clearMeter(_ state: inout State) {
        guard state.meterShown else { return }
        state.meterShown = false
        OutputStreams.write("\r\u{1B}[K", to: STDERR_FILENO)
    }

    private func figures(_ state: State) -> ProgressLine.Figures {
        let done = bytesDone.load(ordering: .relaxed) &- state.bytesBase
        return ProgressLine.Figures(name: state.active.last.map { printable($0.path) } ?? "", bytesDone: done,
                                    bytesTotal: state.bytesTotal, filesDone: state.filesDone + state.failed,
                                    filesTotal: state.filesTotal, rate: state.rate.rate)
    }

    /// One beat of the display thread: sample the rate, redraw the meter,
    /// write a JSON progress event when something moved.
    private func tick() {
        let time = now()
        state.withLock { state in
            guard !state.finished else { return }
            state.rate.sample(bytes: bytesDone.load(ordering: .relaxed) &- state.bytesBase, at: time)
            let current = figures(state)
            if mode.json, state.startWritten, current.bytesDone != state.lastJSONBytes, state.jsonThrottle.shouldDraw(at: time) {
                state.lastJSONBytes = current.bytesDone
                OutputStreams.write(JSONEvents.progress(current, seconds: time), to: STDOUT_FILENO)
            }
            guard mode.meter else { return }
            if mode.perCommand && state.active.isEmpty {
                clearMeter(&state)
                return
            }
            guard state.filesTotal != nil || !state.active.isEmpty, state.throttle.shouldDraw(at: time) else { return }
            let text = ProgressLine.render(current, width: OutputStreams.columns(of: STDERR_FILENO))
            OutputStreams.write("\r" + text + "\u{1B}[K", to: STDERR_FILENO)
            state.meterShown = true
        }
    }
}
