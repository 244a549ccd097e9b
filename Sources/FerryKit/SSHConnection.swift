import Locking
import NIOCore

/// SSHConnection is one authenticated SSH connection, made the way `ssh
/// host` makes it: the destination resolved through ssh_config, the host
/// key checked against known_hosts under StrictHostKeyChecking, the agent
/// and identity files offered, jump hosts crossed in process.
///
/// ```swift
/// let ssh = try await SSHConnection.connect(to: "build-box")
/// let result = try await ssh.run("uname -a", timeout: .seconds(10))
/// print(result.standardOutput)
/// let sftp = try await ssh.openSFTP()
/// try await sftp.download("logs/today.log", to: "today.log")
/// await ssh.close()
/// ```
///
/// Every operation is async and cancellable: cancelling the task that
/// awaits it ends a command (SIGTERM, then its channel closed) or a
/// transfer (nothing is left under a final name).
public final class SSHConnection: Sendable {
    /// The low-level client, for what this type does not wrap (subsystems,
    /// direct-tcpip channels, the negotiated algorithms).
    public let client: SSHClient
    /// How this connection was made; `reconnect()` uses it again.
    public let plan: SSHConnectionPlan

    init(client: SSHClient, plan: SSHConnectionPlan) {
        self.client = client
        self.plan = plan
    }

    /// Connects to `destination` (`[user@]host[:port]`, `ssh://…`, or an
    /// ssh_config alias) with `options`.
    public static func connect(to destination: String, options: SSHOptions = SSHOptions()) async throws -> SSHConnection {
        try await connect(to: SSHDestination(parsing: destination), options: options)
    }

    public static func connect(to destination: SSHDestination, options: SSHOptions = SSHOptions()) async throws -> SSHConnection {
        try await connect(SSHConnectionPlan.make(destination, options: options))
    }

    /// Connects with a plan made earlier; nobody is asked for a passphrase again.
    public static func connect(_ plan: SSHConnectionPlan) async throws -> SSHConnection {
        SSHConnection(client: try await plan.connect(), plan: plan)
    }

    /// A new connection to the same destination, made the same way.
    public func reconnect() async throws -> SSHConnection {
        try await Self.connect(plan)
    }

    /// Runs `command` with no input (as `ssh -n`) and collects its output.
    /// With a `timeout` the command is sent SIGTERM and its channel closed
    /// when time runs out, and `SSHError` with code `.timeout` is thrown:
    /// the exec timeout paramiko's `exec_command` lacks. A command that
    /// exits non-zero is not an error; look at `CommandResult.exitStatus`
    /// or call `CommandResult.check()`.
    public func run(_ command: String, timeout: Duration? = nil) async throws -> CommandResult {
        let result = try await client.exec(command, timeout: timeout)
        return CommandResult(command: command, standardOutput: result.stdout, standardError: result.stderr, exit: result.exit)
    }

    /// Runs `command` with `input` as its standard input (EOF after it).
    public func run(_ command: String, input: [UInt8], timeout: Duration? = nil) async throws -> CommandResult {
        var buffer = ByteBuffer()
        buffer.writeBytes(input)
        let chunks = buffer.readableBytes == 0 ? [] : [buffer]
        return try await run(command, stdin: AsyncChunks(chunks), timeout: timeout)
    }

    /// Runs `command` with `stdin` forwarded as the server's window allows,
    /// and collects its output.
    public func run<Input: AsyncSequence & Sendable>(_ command: String, stdin: Input,
                                                       timeout: Duration? = nil) async throws -> CommandResult
    where Input.Element == ByteBuffer {
        let out = Locked<[UInt8]>([])
        let err = Locked<[UInt8]>([])
        let exit = try await client.exec(command, stdin: stdin, timeout: timeout,
                                         stdout: { b in out.withLock { $0.append(contentsOf: b.readableBytesView) } },
                                         stderr: { b in err.withLock { $0.append(contentsOf: b.readableBytesView) } })
        return CommandResult(command: command, standardOutput: out.withLock { $0 }, standardError: err.withLock { $0 }, exit: exit)
    }

    /// Runs `command` and streams its output to the handlers as it arrives
    /// (on the connection's event loop: copy what you keep, return soon).
    public func run(_ command: String, timeout: Duration? = nil,
                    standardOutput: @escaping @Sendable (ByteBuffer) -> Void,
                    standardError: @escaping @Sendable (ByteBuffer) -> Void) async throws -> RemoteExit {
        try await client.exec(command, timeout: timeout, stdout: standardOutput, stderr: standardError)
    }

    /// Runs `command` with `stdin` forwarded and its output streamed to the
    /// handlers as it arrives.
    public func run<Input: AsyncSequence & Sendable>(_ command: String, stdin: Input, timeout: Duration? = nil,
                                                       standardOutput: @escaping @Sendable (ByteBuffer) -> Void,
                                                       standardError: @escaping @Sendable (ByteBuffer) -> Void) async throws -> RemoteExit
    where Input.Element == ByteBuffer {
        try await client.exec(command, stdin: stdin, timeout: timeout, stdout: standardOutput, stderr: standardError)
    }

    /// Opens an SFTP session on a channel of this connection.
    /// `requestTimeout`: a server that leaves requests unanswered this long
    /// ends the session (nil: never).
    public func openSFTP(requestTimeout: Duration? = SFTPClient.defaultRequestTimeout) async throws -> SFTPSession {
        let (sftp, channel) = try await client.openSFTP(requestTimeout: requestTimeout)
        await sftp.limitsResolved()
        return SFTPSession(client: sftp, channel: channel, connection: client, plan: plan, requestTimeout: requestTimeout)
    }

    /// Disconnects, and closes the jump hosts' connections it went through.
    public func close() async {
        await client.close()
    }
}

/// A fixed list of chunks as an async sequence (a command's whole input).
struct AsyncChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    init(_ chunks: [ByteBuffer]) { self.chunks = chunks }

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<ByteBuffer>
        mutating func next() async -> ByteBuffer? { rest.popFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks[...]) }
}
