#if FERRY_TSAN
#if canImport(Glibc)
import Glibc
#endif

/// Locked is the lock every module above SSHCore guards shared state
/// with. In a normal build it is the standard library's `Mutex`.
///
/// `Mutex` on Linux locks with bare futex calls, which ThreadSanitizer
/// cannot see: every access it guards is reported as a race (a 12-line
/// program with four threads under one `Mutex` gets five reports), so a
/// TSan run of ferry would drown in them. `scripts/sanitize thread` builds
/// with `FERRY_TSAN` set, and Locked is then this pthread mutex, whose
/// lock and unlock TSan intercepts: what it reports is then real.
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ initialValue: consuming Value) {
        value = initialValue
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
#else
import Synchronization

/// Locked is the lock every module above SSHCore guards shared state
/// with: the standard library's `Mutex`, except in a ThreadSanitizer
/// build (`FERRY_TSAN`), where it is a pthread mutex TSan can see (see
/// the other branch of this file).
public typealias Locked<Value: ~Copyable> = Mutex<Value>
#endif
