import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// InterruptSignal turns the first SIGINT (Ctrl-C) into a call of a handler,
/// so that work can be cancelled and clean up after itself (remove a
/// temporary remote file); a second SIGINT ends the process as usual.
///
/// A process may watch many times (get and put watch during each
/// connection's transfer and each `--retry-delay` wait), so the signal is
/// caught with `sigaction`, whose handler only writes a byte to a pipe
/// that a dispatch read source drains. A `DispatchSourceSignal` would hear
/// only the first time: libdispatch on Linux installs its own handler for
/// a signal when the first source for it is made, never again, so once the
/// default action is back, a later source hears nothing.
final class InterruptSignal {
    private let source: DispatchSourceRead

    init(_ handler: @escaping @Sendable () -> Void) {
        let pipe = InterruptPipe.shared
        // A byte left by a SIGINT nobody read is not this watch's.
        InterruptPipe.drain()
        source = DispatchSource.makeReadSource(fileDescriptor: pipe.read, queue: .global())
        source.setEventHandler {
            guard InterruptPipe.drain() else { return }
            handler()
        }
        source.resume()
        guard pipe.write >= 0 else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = interruptCaught
        sigemptyset(&action.sa_mask)
        // The first SIGINT puts the default action back: a second one
        // ends the process.
        action.sa_flags = SA_RESTART | Int32(bitPattern: UInt32(SA_RESETHAND))
        sigaction(SIGINT, &action, nil)
    }

    /// Restores the default action.
    func cancel() {
        signal(SIGINT, SIG_DFL)
        source.cancel()
    }
}

/// The pipe from the SIGINT handler to the dispatch source: made once per
/// process, both ends non-blocking and closed on exec.
private enum InterruptPipe {
    static let shared: (read: Int32, write: Int32) = {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { return (-1, -1) }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
        interruptWriteDescriptor = descriptors[1]
        return (descriptors[0], descriptors[1])
    }()

    /// Reads what the pipe holds; true when it held anything.
    @discardableResult
    static func drain() -> Bool {
        var any = false
        var buffer = [UInt8](repeating: 0, count: 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(shared.read, $0.baseAddress, $0.count) }
            if n > 0 {
                any = true
            } else if n < 0, errno == EINTR {
                continue
            } else {
                return any
            }
        }
    }
}

/// The pipe's write end, for the signal handler (set before the handler
/// is installed; a plain load there).
nonisolated(unsafe) private var interruptWriteDescriptor: Int32 = -1

/// The SIGINT handler: async-signal-safe, it only writes one byte.
private func interruptCaught(_: Int32) {
    let saved = errno
    var byte: UInt8 = 1
    _ = write(interruptWriteDescriptor, &byte, 1)
    errno = saved
}
