import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FileDescriptorInput is what a file descriptor yields when read to its end
/// (standard input, a pipe, a file, a terminal), as an async sequence of
/// byte chunks: the input `SSHClient.exec(_:stdin:…)` forwards to a command.
///
/// Reading is pulled, never pushed: a read is made only when `next()` asks
/// for a chunk, so a consumer that waits (for the peer's window) holds the
/// writer back through the pipe, and nothing is read ahead or buffered here.
/// The reads are blocking reads on a thread of the iterator's own, started by
/// the first `next()`: a terminal or an idle pipe may block for ever, which
/// must not hold one of the few threads of Swift's cooperative pool or NIO's
/// shared thread pool. A descriptor that someone left non-blocking is waited
/// on with poll(2), not spun on.
///
/// Cancelling the task waiting in `next()` ends that call at once with
/// `CancellationError`. A read already under way cannot be interrupted (a
/// terminal read lasts until a line or EOF comes, as ssh's does); its bytes
/// are kept for the next call, and the thread ends once the iterator is gone.
/// EOF ends the sequence; a failed read throws `SSHError(.io)`. The
/// descriptor is never closed here: it belongs to the caller.
public struct FileDescriptorInput: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    /// The descriptor read from.
    public let descriptor: Int32
    /// The most one read asks for (and so the largest chunk).
    public let chunkSize: Int

    public init(descriptor: Int32, chunkSize: Int = 64 * 1024) {
        self.descriptor = descriptor
        self.chunkSize = Swift.max(1, chunkSize)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(owner: ReaderOwner(DescriptorReader(descriptor: descriptor, chunkSize: chunkSize)))
    }

    /// Iterator hands out the chunks one `next()` at a time.
    public struct Iterator: AsyncIteratorProtocol {
        let owner: ReaderOwner

        public mutating func next() async throws -> ByteBuffer? {
            try await owner.reader.next()
        }
    }
}

/// ReaderOwner tells the reading thread to end when the last copy of the
/// iterator is gone (the thread itself holds only the `DescriptorReader`).
final class ReaderOwner: Sendable {
    let reader: DescriptorReader
    init(_ reader: DescriptorReader) { self.reader = reader }
    deinit { reader.abandon() }
}

/// DescriptorReader is the state shared by `FileDescriptorInput`'s iterator
/// and its reading thread: at most one read wanted, at most one waiter, and
/// the result of a read nobody waited for any more.
///
/// `@unchecked Sendable`: every stored property is read and written only
/// with `condition` locked; the thread sleeps on `condition` between reads.
final class DescriptorReader: @unchecked Sendable {
    private let descriptor: Int32
    private let chunkSize: Int
    private let condition = NSCondition()
    private var threadStarted = false
    /// A caller waits for a read.
    private var wanted = false
    /// The caller waiting in `next()`.
    private var waiter: CheckedContinuation<ByteBuffer?, Error>?
    /// A chunk read after its caller was cancelled, handed to the next call.
    private var unclaimed: ByteBuffer?
    /// How the input ended (nil: EOF), once it has; every later call gets it again.
    private var end: Result<Void, SSHError>?
    /// The iterator is gone: the thread ends after the read it is in.
    private var abandoned = false

    init(descriptor: Int32, chunkSize: Int) {
        self.descriptor = descriptor
        self.chunkSize = chunkSize
    }

    func next() async throws -> ByteBuffer? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, Error>) in
                condition.lock()
                defer { condition.unlock() }
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else if let chunk = unclaimed {
                    unclaimed = nil
                    continuation.resume(returning: chunk)
                } else if let end {
                    continuation.resume(with: end.map { _ -> ByteBuffer? in nil })
                } else if waiter != nil {
                    continuation.resume(throwing: SSHError(.io, "concurrent reads of one input"))
                } else {
                    waiter = continuation
                    wanted = true
                    if !threadStarted {
                        threadStarted = true
                        Thread.detachNewThread { [self] in readLoop() }
                    }
                    condition.signal()
                }
            }
        } onCancel: {
            condition.lock()
            let cancelled = waiter
            waiter = nil
            wanted = false
            condition.unlock()
            cancelled?.resume(throwing: CancellationError())
        }
    }

    /// The iterator is gone: no more reads.
    func abandon() {
        condition.lock()
        abandoned = true
        condition.signal()
        condition.unlock()
    }

    /// The thread: waits until a read is wanted, reads, hands the result over.
    private func readLoop() {
        while true {
            condition.lock()
            while !wanted && !abandoned { condition.wait() }
            if abandoned {
                condition.unlock()
                return
            }
            wanted = false
            condition.unlock()

            let result = readChunk()

            condition.lock()
            let resumed = waiter
            waiter = nil
            switch result {
            case .success(let chunk?):
                if resumed == nil { unclaimed = chunk }
            case .success(nil):
                end = .success(())
            case .failure(let error):
                end = .failure(error)
            }
            let finished = end != nil
            condition.unlock()
            resumed?.resume(with: result)
            if finished { return }
        }
    }

    /// One read of up to `chunkSize` bytes; nil at EOF.
    private func readChunk() -> Result<ByteBuffer?, SSHError> {
        var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
        while true {
            var failure: Int32 = 0
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { bytes in
                let n = read(descriptor, bytes.baseAddress, min(bytes.count, chunkSize))
                if n < 0 { failure = errno }
                return max(0, n)
            }
            if count > 0 { return .success(buffer) }
            switch failure {
            case 0:
                return .success(nil)
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                // Left non-blocking by someone else: sleep until readable.
                var waitFor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&waitFor, 1, -1)
            default:
                return .failure(SSHError(.io, "reading descriptor \(descriptor) failed: \(String(cString: strerror(failure)))"))
            }
        }
    }
}
