import ArgumentParser
import Foundation
import NIOCore
import SSHCore

/// `ferry proxy -W host:port [options] [user@]jumphost`: connects to the jump
/// host and relays stdin/stdout to host:port through a direct-tcpip channel —
/// what `ssh -W` does, and what ProxyJump runs for each hop.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Relay stdin/stdout to host:port through a jump host (like ssh -W)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customShort("W"), help: ArgumentHelp("Where the jump host should connect.", valueName: "host:port"))
    var forward: String

    @Argument(help: "[user@]jumphost")
    var destination: String

    func run() async throws {
        let hop: ProxyJumpCommand.Hop
        do {
            hop = try ProxyJumpCommand.Hop(forward)
        } catch {
            throw ValidationError("-W needs host:port, not \"\(forward)\"")
        }
        guard let port = hop.port, hop.user == nil else { throw ValidationError("-W needs host:port, not \"\(forward)\"") }
        let client: SSHClient
        let stream: SSHChannelStream
        do {
            client = try await SSHSession.connect(try RemoteTarget(destination), connection)
            stream = try await client.openDirectTCPIP(host: hop.host, port: port)
        } catch {
            FileHandle.standardError.write(Data("ferry: \(error)\n".utf8))
            throw ExitCode(ExitCodes.sshFailure)
        }
        let input = StandardInputReader.chunks()
        async let upstream: Void = {
            for await chunk in input { try await stream.write(chunk) }
            try await stream.closeWrite()
        }()
        do {
            while let chunk = try await stream.read() { OutputWriter.writeAll(chunk, to: STDOUT_FILENO) }
        } catch {
            FileHandle.standardError.write(Data("ferry: \(error)\n".utf8))
        }
        _ = try? await upstream
        await client.close()
    }
}

/// Reads standard input on a thread of its own (a blocking read must not
/// hold one of the few cooperative threads) and hands out the chunks.
enum StandardInputReader {
    static func chunks(size: Int = 64 * 1024) -> AsyncStream<ByteBuffer> {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingOldest(16))
        Thread.detachNewThread {
            var bytes = [UInt8](repeating: 0, count: size)
            while true {
                let n = bytes.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, size) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                var buffer = ByteBufferAllocator().buffer(capacity: n)
                buffer.writeBytes(bytes[0..<n])
                // Waits (by spinning briefly) when the consumer is 16 chunks behind.
                while case .dropped = continuation.yield(buffer) { usleep(1000) }
            }
            continuation.finish()
        }
        return stream
    }
}
