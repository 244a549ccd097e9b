import NIOCore

/// Direction moves one way of a proxied connection: bytes read by `source`
/// go through a `DelayLine` and are written by `destination` when due.
///
/// Lives on the connection's event loop; never touched from elsewhere.
final class Direction {
    private var line: DelayLine
    private let eventLoop: EventLoop
    private let statistics: DelayProxyStatistics
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var reportedPeak = 0

    /// The side whose reads feed this direction.
    weak var source: SideHandler?
    /// The side this direction writes to.
    weak var destination: SideHandler?

    init(line: DelayLine, eventLoop: EventLoop, statistics: DelayProxyStatistics) {
        self.line = line
        self.eventLoop = eventLoop
        self.statistics = statistics
    }

    /// True while the source must not be read.
    var shouldPauseReading: Bool { line.shouldPauseReading }

    /// Takes bytes the source just read.
    func receive(_ bytes: ByteBuffer) {
        line.enqueue(bytes, now: .now())
        if line.peakBufferedBytes > reportedPeak {
            reportedPeak = line.peakBufferedBytes
            statistics.buffered(peak: reportedPeak)
        }
        pump()
    }

    /// Takes the source's end (EOF or close).
    func receiveEnd(_ end: DelayLine.End) {
        line.enqueueEnd(end, now: .now())
        pump()
    }

    /// The destination is closed: drop what is queued, stop the timer, and let
    /// the source drain (its bytes are dropped until it is closed too).
    func destinationGone() {
        line.discardAll()
        cancelTimer()
        source?.resumeReading()
    }

    /// Writes out whatever is due and allowed, then arms the timer for the rest.
    func pump() {
        guard let destination, destination.isActive else { return }
        var wrote = false
        pumping: while destination.isWritable {
            switch line.next(now: .now()) {
            case .write(let bytes):
                statistics.forwarded(bytes.readableBytes)
                destination.write(bytes)
                wrote = true
            case .end(let end):
                // Earlier writes are flushed by `finish`; a `.close` may follow a `.halfClose`.
                wrote = false
                destination.finish(end)
            case .wait(let until):
                arm(until)
                break pumping
            case .idle:
                break pumping
            }
        }
        if wrote { destination.flush() }
        if !line.shouldPauseReading { source?.resumeReading() }
    }

    /// Cancels any pending timer (teardown).
    func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func arm(_ deadline: NIODeadline) {
        if let current = timerDeadline, current <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            pump()
        }
    }
}
