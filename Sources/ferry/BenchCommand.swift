import ArgumentParser
import FerryKit
import Foundation
import NIOCore
import SFTP
import SSHCore
import SSHCrypto

/// `ferry bench [options] [user@]host`: measures a link as ferry uses it —
/// connect time, SFTP round-trip time, and download and upload throughput
/// through a temporary file — once per cipher both sides offer, and names
/// the settings that moved files fastest.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure round-trip time and SFTP throughput to a host, per cipher.",
        discussion: """
            Each cipher that both sides offer (or those --ciphers names) gets its own connection: \
            the connect time, the time of --round-trips SFTP requests (min and median), then --size MiB \
            of random bytes uploaded to a temporary file .ferry-bench-<random> in --remote-dir and \
            downloaded to memory. The file is removed afterwards, also when something fails or on Ctrl-C. \
            CPU is ferry's own (user+system) as a share of one core.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("MiB to upload and download per cipher.", valueName: "MiB"))
    var size: Int = 64

    @Option(help: ArgumentHelp("SFTP round trips timed per connection (REALPATH).", valueName: "count"))
    var roundTrips: Int = 20

    @Option(help: ArgumentHelp("Remote directory for the temporary file (default: the login directory).", valueName: "path"))
    var remoteDir: String?

    @Option(help: ArgumentHelp("Measure only these ciphers (default: every cipher both sides offer).", valueName: "cipher,…"))
    var ciphers: String?

    @Option(name: [.customShort("B"), .customLong("buffer-size")], help: ArgumentHelp("Bytes per read/write request (default: the server's limit, else 32768).", valueName: "bytes"))
    var blockSize: Int?

    @Option(name: [.customShort("R"), .customLong("requests")], help: ArgumentHelp("Requests outstanding.", valueName: "count"))
    var requests: Int = 64

    @Flag(help: "Print a JSON document instead of the table.")
    var json = false

    @Argument(help: ArgumentHelp("[user@]host", valueName: "destination"))
    var destination: String

    func validate() throws {
        guard (1...(1 << 20)).contains(size) else { throw ValidationError("--size must be between 1 and 1048576 MiB") }
        guard (1...10_000).contains(roundTrips) else { throw ValidationError("--round-trips must be between 1 and 10000") }
        if let blockSize, !(1...SFTPProtocol.maxReadLength).contains(blockSize) {
            throw ValidationError("-B must be between 1 and \(SFTPProtocol.maxReadLength)")
        }
        guard (1...4096).contains(requests) else { throw ValidationError("-R must be between 1 and 4096") }
        _ = try restrictedCiphers()
    }

    /// The names `--ciphers` gives, each one ferry implements; nil without it.
    func restrictedCiphers() throws -> [String]? {
        guard let ciphers else { return nil }
        let names = ciphers.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("malformed --ciphers list \"\(ciphers)\"") }
        for name in names where CipherAlgorithm(rawValue: name) == nil {
            throw ValidationError("unknown cipher \"\(name)\" in --ciphers; see ferry -Q cipher")
        }
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }

    var plan: BenchPlan {
        BenchPlan(size: UInt64(size) << 20, roundTrips: roundTrips, remoteDirectory: remoteDir,
                  blockLength: blockSize, maxOutstanding: requests)
    }

    func run() async throws {
        let location = try RemoteLocation.destination(destination)
        let target = try RemoteTarget(location.destination)
        var flags = connection
        if let port = location.port { flags.port = port }
        let quiet = flags.quiet
        let base: SSHConnectionPlan
        let server: BenchServerCiphers
        do {
            base = try await SSHSession.plan(target, flags)
            let client = try await base.connect()
            let offer = await client.serverAlgorithmOffer
            await client.close()
            server = BenchServerCiphers(clientToServer: offer?.ciphersClientToServer ?? [],
                                        serverToClient: offer?.ciphersServerToClient ?? [])
        } catch let error as ValidationError {
            throw error
        } catch {
            ErrorText.report(error)
            throw ExitCode(ExitCodes.sshFailure)
        }
        let (selected, unavailable) = BenchStatistics.ciphers(
            client: base.configuration.transport.algorithms.ciphers, server: server, restrict: try restrictedCiphers())
        if !quiet {
            for name in unavailable { Self.note("\(name): not offered by both sides, skipped") }
        }
        guard !selected.isEmpty else {
            Self.note("no cipher to measure: the server offers \(server.all.joined(separator: ","))")
            throw ExitCode(1)
        }

        let plan = self.plan
        let payload = ByteBuffer(bytes: try SecureRandom.bytes(1 << 20))
        let work = Task { () throws -> (results: [BenchResult], directory: String?) in
            var results: [BenchResult] = []
            var directory: String?
            for cipher in selected {
                try Task.checkCancellation()
                if !quiet { Self.note("measuring \(cipher)…") }
                do {
                    let outcome = try await BenchConnection.measure(cipher: cipher, base: base, flags: flags, plan: plan, payload: payload)
                    results.append(outcome.result)
                    directory = directory ?? outcome.remoteDirectory
                } catch let error as BenchError where error.fatal {
                    throw error
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    if !quiet { Self.note("\(cipher): \(ErrorText.describe(error))") }
                    results.append(BenchResult(cipher: cipher, error: ErrorText.message(error)))
                }
            }
            return (results, directory)
        }
        let interrupt = InterruptSignal { work.cancel() }
        let outcome = await work.result
        interrupt.cancel()

        let results: [BenchResult]
        let directory: String?
        do {
            (results, directory) = try outcome.get()
        } catch is CancellationError {
            Self.note("interrupted")
            throw ExitCode(130)
        } catch {
            Self.note(ErrorText.describe(error))
            throw ExitCode(1)
        }
        var report = BenchReport(
            host: base.configuration.host, port: base.configuration.port, user: base.configuration.user,
            remoteDirectory: directory ?? plan.remoteDirectory ?? ".",
            sizeBytes: plan.size, roundTrips: plan.roundTrips,
            serverCiphers: server.all, results: results)
        report.best = BenchReport.best(of: results)
        if json {
            print(try report.json())
        } else if quiet {
            print(report.table().split(separator: "\n").last.map(String.init) ?? "")
        } else {
            print(report.table())
        }
        if results.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("ferry: \(message)\n".utf8))
    }
}
