import FerryKit
import Foundation
import NIOCore
import SFTP
import SSHCore
import SSHCrypto
import Transfer

/// What one `ferry bench` connection measures and where.
struct BenchPlan: Sendable, Equatable {
    /// Bytes uploaded, then downloaded.
    var size: UInt64
    /// SFTP round trips timed for the RTT.
    var roundTrips: Int
    /// Where the temporary file goes; nil for the login directory.
    var remoteDirectory: String?
    var blockLength: Int?
    var maxOutstanding: Int
}

/// BenchError is a failure of `ferry bench`. `fatal` errors stop the whole
/// run (the remote directory cannot take the file: every cipher would fail
/// the same way); others fail one cipher's row.
struct BenchError: Error, CustomStringConvertible {
    var message: String
    var fatal: Bool
    var description: String { message }
}

/// BenchConnection measures one cipher over one new connection: connect
/// time, SFTP round-trip time, then upload and download of `plan.size`
/// random bytes through a temporary file that is removed afterwards, on
/// failure too (and on cancellation, which is how Ctrl-C arrives).
enum BenchConnection {
    struct Outcome: Sendable {
        var result: BenchResult
        /// The directory the file went to, as the server resolved it.
        var remoteDirectory: String
    }

    static func measure(cipher: String, base: SSHConnectionPlan, flags: ConnectionOptions,
                        plan: BenchPlan, payload: ByteBuffer) async throws -> Outcome {
        var connectionPlan = base
        connectionPlan.configuration.transport.algorithms.ciphers = [cipher]
        let started = ContinuousClock.now
        let client = try await connectionPlan.connect()
        var result = BenchResult(cipher: cipher)
        result.connectMs = BenchStatistics.milliseconds(started.duration(to: .now))
        let negotiated = await client.negotiatedAlgorithms
        result.mac = negotiated?.macServerToClient?.rawValue
        let sftp: SFTPClient
        let channel: SSHChannelStream
        do {
            (sftp, channel) = try await client.openSFTP()
        } catch {
            await client.close()
            throw error
        }
        do {
            // On the connection's event loop, as get and put run, so the
            // figures are the ones a transfer would see.
            let directory = try await withTaskExecutorPreference(client.taskExecutor) {
                try await measureTransfers(sftp, plan: plan, payload: payload, into: &result)
            }
            sftp.close()
            await channel.close()
            await client.close()
            return Outcome(result: result, remoteDirectory: directory)
        } catch {
            sftp.close()
            await channel.close()
            await client.close()
            throw error
        }
    }

    /// RTT, upload, download; the temporary file is removed on every path.
    private static func measureTransfers(_ sftp: SFTPClient, plan: BenchPlan, payload: ByteBuffer,
                                         into result: inout BenchResult) async throws -> String {
        var samples: [Double] = []
        for _ in 0..<plan.roundTrips {
            try Task.checkCancellation()
            let t = ContinuousClock.now
            _ = try await sftp.realpath(".")
            samples.append(BenchStatistics.milliseconds(t.duration(to: .now)))
        }
        result.rttMinMs = samples.min() ?? 0
        result.rttMedianMs = BenchStatistics.median(samples)

        let directory: SFTPPath
        do {
            directory = try await sftp.realpath(SFTPPath(plan.remoteDirectory ?? "."))
        } catch {
            throw BenchError(message: "remote directory \(plan.remoteDirectory ?? "."): \(ErrorText.message(error))", fatal: true)
        }
        let name = ".ferry-bench-" + (try randomHex(8))
        let path = directory.appending(Array(name.utf8))
        let handle: SFTPHandle
        do {
            handle = try await sftp.open(path, flags: [.write, .create, .exclusive], attributes: SFTPAttributes(permissions: 0o600))
        } catch {
            throw BenchError(message: "cannot create \(path) for the upload: \(ErrorText.message(error))", fatal: true)
        }
        do {
            try await upload(sftp, handle, plan: plan, payload: payload, into: &result)
            try Task.checkCancellation()
            try await download(sftp, path, plan: plan, into: &result)
            try Task.checkCancellation()
        } catch {
            await remove(sftp, path)
            throw error
        }
        await remove(sftp, path)
        return directory.description
    }

    private static func upload(_ sftp: SFTPClient, _ handle: SFTPHandle, plan: BenchPlan, payload: ByteBuffer,
                               into result: inout BenchResult) async throws {
        let size = plan.size
        let period = UInt64(payload.readableBytes)
        let cpu = CPUTime.now()
        let started = ContinuousClock.now
        do {
            let pipeline = WritePipeline(client: sftp, handle: handle, blockLength: plan.blockLength, maxOutstanding: plan.maxOutstanding)
            let written = try await pipeline.run { offset, maxLength in
                try Task.checkCancellation()
                guard offset < size else { return nil }
                let at = Int(offset % period)
                let length = min(maxLength, Int(period) - at, Int(min(size - offset, UInt64(Int.max))))
                return payload.getSlice(at: payload.readerIndex + at, length: length)
            }
            guard written == size else {
                throw BenchError(message: "the upload ended at \(written) of \(size) bytes", fatal: false)
            }
        } catch {
            try? await sftp.close(handle)
            throw error
        }
        try await sftp.close(handle)
        let elapsed = started.duration(to: .now)
        result.uploadMBps = BenchStatistics.megabytesPerSecond(size, elapsed)
        result.uploadCPUPercent = cpu.percent(of: elapsed)
    }

    private static func download(_ sftp: SFTPClient, _ path: SFTPPath, plan: BenchPlan,
                                 into result: inout BenchResult) async throws {
        let cpu = CPUTime.now()
        let started = ContinuousClock.now
        let handle = try await sftp.open(path, flags: [.read])
        var received: UInt64 = 0
        do {
            let pipeline = ReadPipeline(client: sftp, handle: handle, blockLength: plan.blockLength, maxOutstanding: plan.maxOutstanding)
            try await pipeline.run { _, data in
                try Task.checkCancellation()
                received += UInt64(data.readableBytes)
            }
        } catch {
            try? await sftp.close(handle)
            throw error
        }
        try await sftp.close(handle)
        let elapsed = started.duration(to: .now)
        guard received == plan.size else {
            throw BenchError(message: "the download returned \(received) of \(plan.size) bytes", fatal: false)
        }
        result.downloadMBps = BenchStatistics.megabytesPerSecond(plan.size, elapsed)
        result.downloadCPUPercent = cpu.percent(of: elapsed)
    }

    /// Removes the temporary file; says so when that fails, so the user can.
    private static func remove(_ sftp: SFTPClient, _ path: SFTPPath) async {
        do {
            try await sftp.remove(path)
        } catch {
            FileHandle.standardError.write(Data("ferry: could not remove the temporary file \(printable(path.description)): \(ErrorText.describe(error))\n".utf8))
        }
    }

    /// `count` random bytes in lower-case hex.
    static func randomHex(_ count: Int) throws -> String {
        try SecureRandom.bytes(count).map { String(format: "%02x", $0) }.joined()
    }
}

/// This process's CPU time (user + system) at one moment.
struct CPUTime {
    var seconds: Double

    static func now() -> CPUTime {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return CPUTime(seconds: Double(t.tv_sec) + Double(t.tv_nsec) / 1e9)
    }

    /// CPU time since `self` as a percentage of `wall`.
    func percent(of wall: Duration) -> Double {
        let wallSeconds = BenchStatistics.milliseconds(wall) / 1e3
        return wallSeconds > 0 ? (CPUTime.now().seconds - seconds) / wallSeconds * 100 : 0
    }
}
