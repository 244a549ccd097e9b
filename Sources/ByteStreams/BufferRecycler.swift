import NIOCore

/// BufferRecycler gives out buffers for bytes that stream through (an SSH
/// channel's received data, an SFTP packet gathered from two chunks) and
/// takes back the ones whose readers have all let go.
///
/// Why: a download moves every byte through such a buffer, and a new
/// 256 KiB buffer each time is memory the C allocator has often just given
/// back to the kernel, so each of its pages is faulted in and zeroed again.
/// A 1 GiB get took about 108,000 page faults that way, most of its system
/// time. A recycled buffer's pages are already mapped, and warm in cache.
///
/// How: the recycler keeps a reference to each buffer it gave out
/// (`keep`). Readers slice it and drop their slices when done (a DATA reply
/// once written to its file). A kept buffer whose storage is referenced by
/// the recycler alone has no reader left, so it is cleared and given out
/// again; one still read is skipped. Nothing is ever written to a buffer
/// anybody else can see: ByteBuffer's copy-on-write is never triggered.
///
/// At most `limit` buffers are kept; keeping one more lets the oldest go
/// (freed by its last reader). A buffer that grew past `maximumCapacity`
/// (a channel's data piling up while its reader was slow) is not kept: held
/// for the rest of the session, a few of those would cost far more memory
/// than their page faults cost time. Not thread-safe: one owner at a time
/// (a channel's buffer on its event loop, a decoder in its read loop).
public struct BufferRecycler: Sendable {
    public let limit: Int
    public let maximumCapacity: Int
    private var kept: [ByteBuffer] = []
    private let allocator = ByteBufferAllocator()

    public init(limit: Int, maximumCapacity: Int) {
        self.limit = max(0, limit)
        self.maximumCapacity = maximumCapacity
    }

    /// Buffers kept, free or still read (for tests).
    public var keptCount: Int { kept.count }

    /// An empty buffer of at least `capacity` bytes that no one else holds:
    /// a kept one with no reader left, or a new one.
    public mutating func buffer(capacity: Int) -> ByteBuffer {
        for index in kept.indices {
            // Checked in place: copying the element out would itself add a
            // reference and make every buffer look shared.
            let free = kept[index].modifyIfUniquelyOwned { $0.capacity >= capacity } ?? false
            if free {
                var buffer = kept.remove(at: index)
                buffer.clear()
                return buffer
            }
        }
        return allocator.buffer(capacity: capacity)
    }

    /// Keeps a reference to `buffer`, which its owner has filled and will
    /// not write again, to give it out again once its readers are done.
    public mutating func keep(_ buffer: ByteBuffer) {
        guard limit > 0, buffer.capacity <= maximumCapacity else { return }
        if kept.count >= limit { kept.removeFirst() }
        kept.append(buffer)
    }
}
