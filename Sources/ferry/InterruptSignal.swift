import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// InterruptSignal turns the first SIGINT (Ctrl-C) into a call of a handler,
/// so that work can be cancelled and clean up after itself (remove a
/// temporary remote file); a second SIGINT ends the process as usual.
final class InterruptSignal {
    private let source: DispatchSourceSignal

    init(_ handler: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            signal(SIGINT, SIG_DFL)
            handler()
        }
        source.resume()
    }

    /// Restores the default action.
    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
