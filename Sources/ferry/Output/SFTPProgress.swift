#if canImport(Glibc)
import Glibc
#endif

/// The progress meter of `ferry sftp`: one meter per transfer command,
/// cleared when it ends, drawn only on a terminal; failures are the
/// shell's to print, so the display prints none.
enum SFTPProgress {
    static func display() -> TransferDisplay {
        var mode = TransferDisplay.Mode()
        mode.meter = OutputStreams.isTerminal(STDERR_FILENO)
        mode.problemLines = false
        mode.perCommand = true
        let display = TransferDisplay(mode: mode)
        display.start()
        return display
    }
}
