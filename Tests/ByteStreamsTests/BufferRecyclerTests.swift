import ByteStreams
import NIOCore
import Testing

/// A recycled buffer is one nobody reads any more: its storage is given out
/// again; one with a slice still alive never is, so no reader ever sees its
/// bytes change.
@Suite struct BufferRecyclerTests {
    /// Where a buffer's bytes live, to tell one storage from another.
    static func address(_ buffer: ByteBuffer) -> UInt {
        buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    }

    @Test func aBufferNobodyReadsIsGivenOutAgainEmpty() {
        var recycler = BufferRecycler(limit: 2, maximumCapacity: 1 << 20)
        var first = recycler.buffer(capacity: 1024)
        first.writeString("first")
        let place = Self.address(first)
        recycler.keep(first)
        first = ByteBuffer()  // the reader is done
        // Asked for less, given the kept buffer: its whole capacity, in
        // the same place (a new buffer would have 16 bytes).
        let again = recycler.buffer(capacity: 16)
        #expect(Self.address(again) == place)
        #expect(again.readableBytes == 0)
        #expect(again.capacity >= 1024)
        #expect(recycler.keptCount == 0)
    }

    @Test func aBufferWithALiveSliceIsNotTouched() {
        var recycler = BufferRecycler(limit: 4, maximumCapacity: 1 << 20)
        var first = recycler.buffer(capacity: 64)
        first.writeBytes([UInt8](repeating: 0xAA, count: 64))
        let slice = first.getSlice(at: 8, length: 16)!  // a reply still being written
        let place = Self.address(first)
        recycler.keep(first)
        first = ByteBuffer()
        var second = recycler.buffer(capacity: 64)
        #expect(Self.address(second) != place)
        second.writeBytes([UInt8](repeating: 0x55, count: 64))
        #expect(Array(slice.readableBytesView) == [UInt8](repeating: 0xAA, count: 16))
        #expect(recycler.keptCount == 1)
    }

    @Test func aKeptBufferTooSmallIsNotGivenOut() {
        var recycler = BufferRecycler(limit: 4, maximumCapacity: 1 << 20)
        recycler.keep(recycler.buffer(capacity: 16))
        let big = recycler.buffer(capacity: 1 << 16)
        #expect(big.capacity >= 1 << 16)
        #expect(recycler.keptCount == 1)
        let small = recycler.buffer(capacity: 8)
        #expect(small.capacity >= 8)
        #expect(recycler.keptCount == 0)
    }

    @Test func atMostLimitAreKeptTheOldestLetGo() {
        var recycler = BufferRecycler(limit: 3, maximumCapacity: 1 << 20)
        var held: [ByteBuffer] = []
        for index in 0..<5 {
            var buffer = recycler.buffer(capacity: 32)
            buffer.writeInteger(UInt8(index))
            recycler.keep(buffer)
            held.append(buffer)
        }
        #expect(recycler.keptCount == 3)
        // Every buffer is still read: none is given out, and none changed.
        _ = recycler.buffer(capacity: 32)
        #expect(held.map { $0.getInteger(at: 0, as: UInt8.self) } == [0, 1, 2, 3, 4])
        let newest = Self.address(held[4])
        held.removeAll()
        // Only the newest three were kept; the last kept comes back first
        // when it is the only one free.
        var seen: [UInt] = []
        for _ in 0..<3 { seen.append(Self.address(recycler.buffer(capacity: 32))) }
        #expect(seen.contains(newest))
        #expect(recycler.keptCount == 0)
    }

    /// A buffer that grew large (data piling up behind a slow reader) is
    /// let go, not held for the rest of the session.
    @Test func aBufferThatGrewPastTheMaximumIsNotKept() {
        var recycler = BufferRecycler(limit: 4, maximumCapacity: 4096)
        var grown = recycler.buffer(capacity: 1024)
        grown.writeBytes([UInt8](repeating: 1, count: 10_000))
        recycler.keep(grown)
        #expect(recycler.keptCount == 0)
        var small = recycler.buffer(capacity: 1024)
        small.writeBytes([1, 2, 3])
        recycler.keep(small)
        #expect(recycler.keptCount == 1)
    }

    @Test func aLimitOfZeroKeepsNothing() {
        var recycler = BufferRecycler(limit: 0, maximumCapacity: 1 << 20)
        recycler.keep(recycler.buffer(capacity: 8))
        #expect(recycler.keptCount == 0)
    }
}
