import Foundation
import NIOCore
@_spi(Internals) import SSHCore
import Locking
import Testing

// SSHClient.exec(_:stdin:…) as a library caller uses it: any async sequence
// of chunks is the command's input, in order and then EOF; a failing input
// stops the command instead of passing for a whole one; and a command that
// ends first is not held up by an input that never does.

@Suite("SSHClient.exec with stdin against sshd")
struct ClientExecStdinTests {
    /// Collects a command's output.
    final class Output: Sendable {
        private let bytes = Locked<[UInt8]>([])
        func append(_ buffer: ByteBuffer) { bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) } }
        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
    }

    @Test("the chunks of an AsyncStream reach the command in order, then EOF")
    func asyncStreamInput() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let client = try await connectClient(to: sshd)
        let (input, continuation) = AsyncStream<ByteBuffer>.makeStream()
        for word in ["one\n", "two\n", "three\n"] { continuation.yield(ByteBuffer(string: word)) }
        continuation.finish()
        let out = Output(), err = Output()
        let exit = try await client.exec("cat; echo end", stdin: input, stdout: out.append, stderr: err.append)
        #expect(exit == .status(0) && out.text == "one\ntwo\nthree\nend\n", "\(exit) \(out.text) \(err.text)")
        await client.close()
    }

    @Test("an input that fails stops the command, and exec throws the input's failure")
    func failingInput() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let client = try await connectClient(to: sshd)
        struct Broken: Error, CustomStringConvertible { var description: String { "the producer broke" } }
        let (input, continuation) = AsyncThrowingStream<ByteBuffer, Error>.makeStream()
        continuation.yield(ByteBuffer(string: "partial\n"))
        continuation.finish(throwing: Broken())
        let out = Output()
        let clock = ContinuousClock()
        let began = clock.now
        // Without the failure, `cat; sleep 30` would run for 30 s.
        await #expect { try await client.exec("cat; sleep 30", stdin: input, stdout: out.append, stderr: { _ in }) } throws: { error in
            (error as? SSHError).map { $0.code == .io && $0.message.contains("the producer broke") } == true
        }
        #expect(clock.now - began < .seconds(20), "took \(clock.now - began)")
        await client.close()
    }

    @Test("a command that ends first returns at once, even if the input ignores cancellation")
    func commandEndsFirst() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let client = try await connectClient(to: sshd)
        /// One chunk, then a wait for a chunk that takes 15 s and is deaf to cancellation.
        struct Stubborn: AsyncSequence, Sendable {
            typealias Element = ByteBuffer
            struct Iterator: AsyncIteratorProtocol {
                var sent = false
                mutating func next() async -> ByteBuffer? {
                    if !sent {
                        sent = true
                        return ByteBuffer(string: "first\n")
                    }
                    await Task.detached { try? await Task.sleep(for: .seconds(15)) }.value
                    return ByteBuffer(string: "late\n")
                }
            }
            func makeAsyncIterator() -> Iterator { Iterator() }
        }
        let out = Output()
        let clock = ContinuousClock()
        let began = clock.now
        let exit = try await client.exec("head -1; exit 7", stdin: Stubborn(), stdout: out.append, stderr: { _ in })
        #expect(exit == .status(7) && out.text == "first\n", "\(exit) \(out.text)")
        #expect(clock.now - began < .seconds(10), "took \(clock.now - began)")
        // The client closes at once too; the late chunk later finds the gate shut.
        await client.close()
        #expect(clock.now - began < .seconds(12), "close took until \(clock.now - began)")
    }
}
