#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// DescriptorBudget sizes the files in flight to the process's descriptor
/// limit (`ulimit -n`, RLIMIT_NOFILE's soft limit). Each file in flight
/// holds a local descriptor (the source, or the partial file; two while a
/// resume compares), and a transfer that opens more than the limit allows
/// fails files with "Too many open files" that would have gone through one
/// after another. With the usual limits (1024 and up) this changes nothing;
/// under `ulimit -n 64` it keeps a 2000-file transfer within the limit.
enum DescriptorBudget {
    /// Descriptors left for everything else: standard streams, the
    /// connection's socket, the event loops' epoll, eventfd and timer
    /// descriptors, directory listings, the caller's own files.
    static let reserved = 24
    /// The most descriptors one file in flight holds at once.
    static let perFile = 2

    /// How many files may be in flight under the current soft limit (at
    /// least one; `Int.max` when there is no limit or it cannot be read).
    static var filesInFlight: Int {
        var limit = rlimit()
        guard getrlimit(noFile, &limit) == 0 else { return .max }
        // RLIM_INFINITY is the largest value: it clamps to Int.max.
        let descriptors = Int(clamping: limit.rlim_cur)
        return max(1, (descriptors - reserved) / perFile)
    }

    #if canImport(Glibc)
    private static let noFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let noFile = RLIMIT_NOFILE
    #endif
}
