import Foundation

/// LatencyCase is one short command of the latency rows (`Compare
/// --latency`): a 1-byte download, or a remote `echo`, where the handshake
/// and the round trips before the first data byte are all there is to
/// measure. Each writes its data to standard output, so the harness sees
/// when the first byte arrives as well as when the command exits.
public struct LatencyCase: Sendable, Equatable {
    /// "get 1 B", "exec echo".
    public var what: String
    /// "ferry", "sftp", "scp -O", "ssh".
    public var tool: String
    public var arguments: [String]
    /// False for a tool that cannot write the file to a pipe (sftp and
    /// scp truncate and seek their local file): it writes a scratch file,
    /// and only its exit is timed.
    public var writesToStdout = true

    /// The commands compared: a 1-byte get by ferry, sftp, scp -O and
    /// `ssh cat` (the floor: no SFTP at all), and a remote `echo` by
    /// `ferry exec` and ssh. `remoteFile` holds one byte.
    public static func all(context: ToolContext, remoteFile: String) -> [LatencyCase] {
        let config = context.sshConfig
        let host = Tool.hostAlias
        return [
            LatencyCase(what: "get 1 B", tool: "ferry",
                        arguments: [context.ferry, "get", "-q", "-F", config, "\(host):\(remoteFile)", "-"]),
            LatencyCase(what: "get 1 B", tool: "sftp",
                        arguments: ["sftp", "-q", "-F", config, "\(host):\(remoteFile)", context.scratch + "/latency-sftp"],
                        writesToStdout: false),
            LatencyCase(what: "get 1 B", tool: "scp -O",
                        arguments: ["scp", "-O", "-q", "-F", config, "\(host):\(remoteFile)", context.scratch + "/latency-scp"],
                        writesToStdout: false),
            LatencyCase(what: "get 1 B", tool: "ssh cat",
                        arguments: ["ssh", "-F", config, host, "cat", remoteFile]),
            LatencyCase(what: "exec echo", tool: "ferry",
                        arguments: [context.ferry, "exec", "-F", config, host, "--", "echo", "x"]),
            LatencyCase(what: "exec echo", tool: "ssh",
                        arguments: ["ssh", "-F", config, host, "echo", "x"]),
        ]
    }
}

/// LatencyResult is one case at one round-trip time: the medians of the
/// counted runs, from spawn to the first byte on stdout and to exit.
public struct LatencyResult: Sendable, Codable, Equatable {
    public var what: String
    public var tool: String
    public var rttMilliseconds: Int
    public var firstByteSeconds: Double?
    public var exitSeconds: Double?
    /// Runs that failed (non-zero exit, or no byte on stdout).
    public var failures: Int

    public init(what: String, tool: String, rttMilliseconds: Int, firstByteSeconds: Double?, exitSeconds: Double?,
                failures: Int) {
        self.what = what
        self.tool = tool
        self.rttMilliseconds = rttMilliseconds
        self.firstByteSeconds = firstByteSeconds
        self.exitSeconds = exitSeconds
        self.failures = failures
    }

    /// Round trips the time to the first byte is worth (nil at 0 ms).
    public var roundTripsToFirstByte: Double? {
        guard rttMilliseconds > 0, let firstByteSeconds else { return nil }
        return firstByteSeconds * 1000 / Double(rttMilliseconds)
    }
}

extension Runner {
    /// Runs every latency case `warmup + counted` times at each round-trip
    /// time in `rtts` (alternating the tools, as the scenarios do).
    public func latency(rtts: [Int], warmup: Int, counted: Int) throws -> [LatencyResult] {
        let remoteFile = workDirectory + "/data/latency-1B"
        try makeDirectories(workDirectory + "/data")
        try writeText("x", to: remoteFile)
        var results: [LatencyResult] = []
        for rtt in rtts {
            let port = try port(forRTT: rtt, rate: nil)
            let config = workDirectory + "/ssh_config"
            try server.writeClientConfig(to: config, port: port, cipher: CipherSuite.standard[0])
            let context = ToolContext(
                sshConfig: config, ferry: ferry, python: nil, peerScript: peerScript,
                scratch: workDirectory, port: port, user: server.user, identity: server.identity,
                knownHosts: server.knownHosts)
            let cases = LatencyCase.all(context: context, remoteFile: remoteFile)
            var samples = Array(repeating: (firstByte: [Double](), exit: [Double](), failures: 0), count: cases.count)
            for round in 0..<(warmup + counted) {
                for (index, latencyCase) in cases.enumerated() {
                    guard !ChildRegistry.shared.isStopping else { break }
                    let sample = LatencyProbe.measure(latencyCase.arguments, scratch: workDirectory,
                                                      expectsOutput: latencyCase.writesToStdout)
                    guard round >= warmup else { continue }
                    if let exit = sample.exit {
                        if let firstByte = sample.firstByte { samples[index].firstByte.append(firstByte) }
                        samples[index].exit.append(exit)
                    } else {
                        samples[index].failures += 1
                    }
                }
            }
            for (latencyCase, sample) in zip(cases, samples) {
                let result = LatencyResult(what: latencyCase.what, tool: latencyCase.tool, rttMilliseconds: rtt,
                                           firstByteSeconds: Statistics.median(sample.firstByte),
                                           exitSeconds: Statistics.median(sample.exit), failures: sample.failures)
                progress(String(format: "    %@ %@ at %d ms: first byte %@, exit %@", result.what, result.tool, rtt,
                                result.firstByteSeconds.map { String(format: "%.3f s", $0) } ?? "-",
                                result.exitSeconds.map { String(format: "%.3f s", $0) } ?? "-"))
                results.append(result)
            }
        }
        return results
    }
}

/// LatencyProbe times one command: spawn to the first byte on its
/// stdout, and to its exit.
public enum LatencyProbe {
    /// One run: stdout is a FIFO the harness reads, so the first byte is
    /// timed as it arrives. Nil times when the command failed, or wrote
    /// nothing though `expectsOutput`.
    public static func measure(_ arguments: [String], scratch: String, timeout: Double = 60,
                               expectsOutput: Bool = true) -> (firstByte: Double?, exit: Double?) {
        let fifo = scratch + "/latency-stdout"
        unlink(fifo)
        guard mkfifo(fifo, 0o600) == 0 else { return (nil, nil) }
        defer { unlink(fifo) }
        // The reader opens its end first: posix_spawn waits (vfork) until the
        // child has exec'd, and the child's open of the write end waits for
        // a reader, so a reader started after spawn would never come.
        let firstByte = LockedValue<Double?>(nil)
        let started = LockedValue<Double>(monotonicSeconds())
        let reader = Thread {
            let descriptor = open(fifo, O_RDONLY)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            var byte: UInt8 = 0
            if read(descriptor, &byte, 1) == 1 {
                let now = monotonicSeconds()
                firstByte.withLock { $0 = now - started.withLock { $0 } }
            }
            var sink = [UInt8](repeating: 0, count: 4096)
            while read(descriptor, &sink, sink.count) > 0 {}
        }
        reader.start()
        started.withLock { $0 = monotonicSeconds() }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(arguments, stdout: fifo, stderr: scratch + "/latency.stderr")
        } catch {
            releaseReader(reader, fifo: fifo)
            return (nil, nil)
        }
        let outcome = child.wait(timeout: timeout)
        releaseReader(reader, fifo: fifo)
        let first = firstByte.withLock { $0 }
        guard outcome.succeeded, first != nil || !expectsOutput else { return (nil, nil) }
        return (first, outcome.wallSeconds)
    }
}

/// Waits for `reader` to finish; a reader still in its open() (the child
/// never opened its stdout) is released by opening the write end here.
private func releaseReader(_ reader: Thread, fifo: String) {
    while !reader.isFinished {
        // Fails (ENXIO) until the reader is in its open(); so, retried.
        let unblock = open(fifo, O_WRONLY | O_NONBLOCK)
        if unblock >= 0 { close(unblock) }
        usleep(1000)
    }
}

/// A small lock for the reader thread's result (Synchronization's Mutex
/// needs macOS 15; this package also builds there).
final class LockedValue<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// The latency rows as a Markdown table.
public enum LatencyReport {
    public static func markdown(_ results: [LatencyResult]) -> String {
        var lines = [
            "| what | tool | RTT | first byte | exit | round trips to first byte | failed runs |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.3f s", $0) } ?? "-" }
        for result in results {
            lines.append("| \(result.what) | \(result.tool) | \(result.rttMilliseconds) ms | \(seconds(result.firstByteSeconds)) | "
                + "\(seconds(result.exitSeconds)) | \(result.roundTripsToFirstByte.map { String(format: "%.1f", $0) } ?? "-") | "
                + "\(result.failures) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
