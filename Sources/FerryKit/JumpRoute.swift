#if canImport(Glibc)
import Glibc
#endif
import Locking
import Logging
import NIOCore
import NIOPosix

/// JumpRoute reaches a host through a jump host inside this process, as
/// ProxyJump does: the hop is connected (itself through the earlier hops,
/// each verified against known_hosts and authenticated as its own host),
/// a direct-tcpip channel is opened through it to the target, and the
/// target's SSH connection runs over one end of a socketpair whose other
/// end `SocketRelay` joins to that channel. No `ssh -W` or `ferry proxy`
/// process is run.
struct JumpRoute {
    /// The last jump host, the one the target is reached from.
    let hop: SSHDestination
    /// The hops before it, first first.
    let earlier: [SSHDestination]
    /// What the hops are resolved with.
    let options: SSHOptions

    /// Connects to `configuration`'s host and port through the hops.
    func connect(_ configuration: SSHClient.Configuration) async throws -> SSHClient {
        var hopOptions = options
        // ssh runs `ssh -J earlier -W host:port hop`: the earlier hops are
        // given; without any, the hop's own ssh_config ProxyJump applies.
        if !earlier.isEmpty { hopOptions.jump = earlier.map(\.description).joined(separator: ",") }
        let plan = try await SSHConnectionPlan.make(hop, options: hopOptions)
        let jump = try await plan.connect()
        let relay: SocketRelay
        do {
            let stream: SSHChannelStream
            do {
                stream = try await jump.openDirectTCPIP(host: configuration.host, port: configuration.port,
                                                        timeout: configuration.connectTimeout)
            } catch let error as SSHError {
                // Name the hop and the target: "administratively prohibited"
                // alone does not say which of the hops refused what.
                throw SSHError(error.code, "jump host \(hop) could not connect to \(configuration.host) port \(configuration.port): \(error.message)")
            }
            relay = try await SocketRelay.start(stream, on: jump.eventLoop)
        } catch {
            await jump.close()
            throw error
        }
        var configuration = configuration
        configuration.socketDescriptor = relay.descriptor
        configuration.proxyCommand = nil
        let previous = configuration.onClosed
        let closed = ClosedOnce()
        let release: @Sendable () async -> Void = {
            guard closed.first() else { return }
            await previous?()
            // The jump connection first: its end fails the relay's reads.
            await jump.close()
            await relay.stop()
        }
        configuration.onClosed = release
        do {
            return try await SSHClient.connect(configuration)
        } catch {
            await release()
            throw error
        }
    }
}

/// SocketRelay joins a channel stream to one end of a socketpair and hands
/// out the other end: bytes written to the descriptor go out on the
/// channel, bytes the channel receives come out of it. Each direction waits
/// for the other side to take what it has (the channel's window, the
/// socket's buffer), so neither buffers without bound.
struct SocketRelay: Sendable {
    /// The end for the SSH connection that runs through the relay; its
    /// new owner closes it.
    let descriptor: Int32
    private let task: Task<Void, Never>

    static func start(_ stream: SSHChannelStream, on eventLoop: EventLoop) async throws -> SocketRelay {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw SSHError(.io, "socketpair: \(String(cString: strerror(errno)))")
        }
        let output = dup(ends[1])
        guard output >= 0 else {
            let reason = String(cString: strerror(errno))
            close(ends[0]); close(ends[1])
            throw SSHError(.io, "socketpair: dup failed: \(reason)")
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await NIOPipeBootstrap(group: eventLoop)
                .takingOwnershipOfDescriptors(input: ends[1], output: output) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            close(ends[0])
            throw error
        }
        let task = Task {
            try? await channel.executeThenClose { inbound, outbound in
                await withTaskGroup(of: Void.self) { group in
                    // Socket to channel: the connection's packets go out.
                    group.addTask {
                        do {
                            for try await chunk in inbound { try await stream.write(chunk) }
                            try await stream.closeWrite()
                        } catch {}
                    }
                    // Channel to socket: the server's packets come in.
                    group.addTask {
                        do {
                            while let chunk = try await stream.read() { try await outbound.write(chunk) }
                        } catch {}
                        outbound.finish()
                    }
                    // Either direction ending ends the relay: a connection
                    // whose other half is gone cannot go on.
                    await group.next()
                    group.cancelAll()
                }
            }
            await stream.close()
        }
        return SocketRelay(descriptor: ends[0], task: task)
    }

    /// Ends both directions and waits for the relay to finish.
    func stop() async {
        task.cancel()
        await task.value
    }
}

/// True for the first caller of `first()` only.
final class ClosedOnce: Sendable {
    private let done = Locked(false)

    func first() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
