import ArgumentParser
import FerryKit
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

    @Option(name: [.customShort("W"), .customLong("forward")], help: ArgumentHelp("Where the jump host should connect.", valueName: "host:port"))
    var forward: String

    @Argument(help: ArgumentHelp("[user@]jumphost", valueName: "jumphost"))
    var destination: String

    func run() async throws {
        let hop: SSHDestination
        do {
            hop = try SSHDestination(parsing: forward)
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
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        // Read as the stream takes the bytes: write waits while the
        // server's window holds back too much, and the next read waits for it.
        async let upstream: Void = {
            for try await chunk in FileDescriptorInput(descriptor: STDIN_FILENO) { try await stream.write(chunk) }
            try await stream.closeWrite()
        }()
        do {
            while let chunk = try await stream.read() { OutputWriter.writeAll(chunk, to: STDOUT_FILENO) }
        } catch {
            ErrorText.report(error)
        }
        _ = try? await upstream
        await client.close()
    }
}
