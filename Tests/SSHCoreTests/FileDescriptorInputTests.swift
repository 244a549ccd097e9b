import Foundation
import Glibc
import NIOCore
@_spi(Internals) import SSHCore
import Testing

/// FileDescriptorInput: chunks in order then nil at EOF; a read only when
/// asked (nothing read ahead); cancellation ends a waiting `next()` at once
/// and the bytes that arrive later are not lost; a non-blocking descriptor is
/// waited on, not failed; an unreadable one throws.
@Suite struct FileDescriptorInputTests {
    /// A pipe: (read end, write end).
    static func makePipe() throws -> (Int32, Int32) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw SSHError(.io, "pipe failed") }
        return (ends[0], ends[1])
    }

    static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    static func string(_ buffer: ByteBuffer?) -> String? {
        buffer.map { String(buffer: $0) }
    }

    @Test func chunksInOrderThenEOF() async throws {
        let (reader, writer) = try Self.makePipe()
        defer { close(reader) }
        var iterator = FileDescriptorInput(descriptor: reader).makeAsyncIterator()
        Self.write("abc", to: writer)
        #expect(Self.string(try await iterator.next()) == "abc")
        Self.write("def", to: writer)
        #expect(Self.string(try await iterator.next()) == "def")
        close(writer)
        #expect(try await iterator.next() == nil)
        #expect(try await iterator.next() == nil)
    }

    @Test func readsOnlyWhatIsAskedFor() async throws {
        let (reader, writer) = try Self.makePipe()
        defer { close(reader); close(writer) }
        var iterator = FileDescriptorInput(descriptor: reader, chunkSize: 4).makeAsyncIterator()
        Self.write("0123456789", to: writer)
        #expect(Self.string(try await iterator.next()) == "0123")
        // The other six bytes are still in the pipe: nothing was read ahead.
        try await Task.sleep(for: .milliseconds(100))
        #expect(fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK) == 0)
        var rest = [UInt8](repeating: 0, count: 16)
        let n = rest.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
        #expect(n == 6 && String(decoding: rest[..<max(0, n)], as: UTF8.self) == "456789")
    }

    @Test func cancellationEndsAWaitAndLosesNothing() async throws {
        let (reader, writer) = try Self.makePipe()
        defer { close(reader); close(writer) }
        let input = FileDescriptorInput(descriptor: reader)
        let iterator = IteratorBox(input.makeAsyncIterator())
        let waiting = Task { try await iterator.next() }
        try await Task.sleep(for: .milliseconds(100))  // the read is under way, on an idle pipe
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        // What arrives after is handed to the next call.
        Self.write("late", to: writer)
        #expect(Self.string(try await iterator.next()) == "late")
    }

    @Test func aNonBlockingDescriptorIsWaitedOn() async throws {
        let (reader, writer) = try Self.makePipe()
        defer { close(reader); close(writer) }
        #expect(fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK) == 0)
        var iterator = FileDescriptorInput(descriptor: reader).makeAsyncIterator()
        let writing = Task {
            try await Task.sleep(for: .milliseconds(200))
            Self.write("after a while", to: writer)
        }
        #expect(Self.string(try await iterator.next()) == "after a while")
        try await writing.value
    }

    @Test func anUnreadableDescriptorThrows() async throws {
        let (reader, writer) = try Self.makePipe()
        defer { close(reader); close(writer) }
        var iterator = FileDescriptorInput(descriptor: writer).makeAsyncIterator()
        for _ in 0..<2 {
            await #expect { _ = try await iterator.next() } throws: { error in
                (error as? SSHError).map { $0.code == .io && $0.message.contains("Bad file descriptor") } == true
            }
        }
    }
}

/// Lets two tasks take turns with one iterator (never at once).
private final class IteratorBox: @unchecked Sendable {
    private var iterator: FileDescriptorInput.Iterator
    init(_ iterator: FileDescriptorInput.Iterator) { self.iterator = iterator }
    func next() async throws -> ByteBuffer? { try await iterator.next() }
}
