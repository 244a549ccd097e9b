import Dispatch
import Foundation
import Glibc
import NIOCore
import SFTP

/// SFTPServerProcess is OpenSSH's `sftp-server` run as a child over two
/// pipes, and the `ByteStream` that talks to it. Shared by the SFTP and
/// Transfer test targets (a target of its own, since test targets cannot
/// share sources).
///
/// Started with `posix_spawn` rather than Foundation's `Process`, whose exit
/// notification proved unreliable when tests spawn in parallel (see
/// IntegrationTests/Fixtures/ChildProcess.swift): the child gets the two
/// pipe ends and stderr only. Blocking pipe reads and writes run on
/// dispatch queues of their own so they never occupy the cooperative pool.
public final class SFTPServerProcess: ByteStream, @unchecked Sendable {
    public static let path = "/usr/lib/openssh/sftp-server"

    public let pid: pid_t
    private let input: Int32   // we write requests here
    private let output: Int32  // we read replies here
    private let readQueue = DispatchQueue(label: "sftp-server.read")
    private let writeQueue = DispatchQueue(label: "sftp-server.write")
    /// Read and written on `writeQueue` only.
    private var inputClosed = false
    /// Read and written on `readQueue` only.
    private var outputClosed = false

    public init(arguments: [String]) throws {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
            throw SFTPTestError("pipe: \(String(cString: strerror(errno)))")
        }
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Descriptors other tests opened meanwhile (their pipes) must not
        // leak into this child, or their servers never see end of input.
        if let addCloseFrom = Self.addCloseFrom { _ = addCloseFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        let argv = ([Self.path] + arguments).map { strdup($0) } + [nil]
        let environment: [String] = ["PATH=/usr/bin:/bin", "HOME=\(NSHomeDirectory())"]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let error = posix_spawn(&pid, Self.path, &actions, &attributes, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard error == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw SFTPTestError("posix_spawn \(Self.path): \(String(cString: strerror(error)))")
        }
        self.pid = pid
        self.input = toChild[1]
        self.output = fromChild[0]
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the
    /// Glibc module does not import.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    public func read() async throws -> ByteBuffer? {
        let fd = output
        return try await withCheckedThrowingContinuation { continuation in
            readQueue.async {
                // After stop() the descriptor's number may belong to
                // another test's pipe: never read it again.
                if self.outputClosed { return continuation.resume(returning: nil) }
                var buffer = ByteBuffer()
                buffer.reserveCapacity(64 * 1024)
                let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { raw -> Int in
                    var n: Int
                    repeat { n = Glibc.read(fd, raw.baseAddress, raw.count) } while n < 0 && errno == EINTR
                    return max(n, 0)
                }
                continuation.resume(returning: count == 0 ? nil : buffer)
            }
        }
    }

    public func write(_ data: ByteBuffer) async throws {
        let fd = input
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            writeQueue.async {
                // The same for writes: once closed, the number is not ours.
                if self.inputClosed { return continuation.resume(throwing: SFTPTestError("sftp-server's input is closed")) }
                let failed = data.withUnsafeReadableBytes { raw -> Bool in
                    var offset = 0
                    while offset < raw.count {
                        let n = Glibc.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                        if n < 0 {
                            if errno == EINTR { continue }
                            return true
                        }
                        offset += n
                    }
                    return false
                }
                if failed { continuation.resume(throwing: SFTPTestError("write to sftp-server failed")) }
                else { continuation.resume() }
            }
        }
    }

    public func closeWrite() async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            writeQueue.async {
                self.closeInput()
                continuation.resume()
            }
        }
    }

    /// On `writeQueue` only.
    private func closeInput() {
        if !inputClosed {
            inputClosed = true
            close(input)
        }
    }

    /// Ends the child (closing its input first, then SIGTERM if needed) and
    /// reaps it; waits up to a few seconds.
    ///
    /// Both descriptors are closed on their own queues, behind any read or
    /// write still queued there: closed here while a queued read had not
    /// run yet, the read went to whatever pipe the next test had been given
    /// that number, and either took that test's replies (a hang) or failed
    /// on a write end ("closed the stream before sending its version"), as
    /// seen under AddressSanitizer's slower timing. A read still queued
    /// returns end of stream once the child is gone (no writer is left).
    public func stop() {
        writeQueue.async { self.closeInput() }
        for attempt in 0..<400 {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || result < 0 { break }
            if attempt == 200 { kill(pid, SIGTERM) }
            usleep(10_000)
        }
        readQueue.async {
            self.outputClosed = true
            close(self.output)
        }
    }
}

public struct SFTPTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    /// A new directory under `base` (default: the temporary directory).
    public init(prefix: String = "ferry-sftp", in base: String = FileManager.default.temporaryDirectory.path) throws {
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SFTPTestError("mkdtemp failed") }
        // realpath: the server reports canonical paths (/tmp may be a link).
        path = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
    }

    public func file(_ name: String) -> String { "\(path)/\(name)" }
    public func sftp(_ name: String) -> SFTPPath { SFTPPath(file(name)) }

    /// Creates (or replaces) a file under the directory.
    public func create(_ name: String, _ contents: Data) throws {
        guard FileManager.default.createFile(atPath: file(name), contents: contents) else {
            throw SFTPTestError("cannot create \(file(name))")
        }
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `body` with a client connected to a fresh sftp-server (started
/// with `arguments`) and a temporary directory; tears both down after.
public func withSFTPServer<T>(_ arguments: [String] = [], _ body: (SFTPClient, TemporaryDirectory) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let server = try SFTPServerProcess(arguments: arguments)
    defer { server.stop() }
    let client = try await SFTPClient.connect(over: server)
    defer { client.close() }
    return try await body(client, directory)
}
