import Foundation
import NIOCore
@_spi(Internals) import SSHCore
import SSHCrypto
import Testing

// Volume through ferry's client, with key re-exchanges every megabyte (asked
// for by sshd or by ferry) and with compression: hundreds of MiB must arrive
// intact, hashed as they stream in (never held in memory), and compared with
// the sha256sum the server computed of what it sent.

/// A command that writes `bytes` from `source` (a shell pipeline producing
/// at least that much) to stdout, and the SHA-256 of exactly those bytes, as
/// `sha256sum` prints it, to stderr. A FIFO in `directory` feeds the tee'd
/// copy to sha256sum; `wait` makes the exit come after the hash is printed.
private func streamWithHash(_ bytes: Int, from source: String, in directory: String) -> String {
    let fifo = "\(directory)/hash-\(UUID().uuidString).fifo"
    return """
        set -e; mkfifo \(fifo); sha256sum < \(fifo) >&2 & \
        \(source) | head -c \(bytes) | tee \(fifo); wait; rm -f \(fifo)
        """
}

/// The result of streaming a command's output through the streaming exec API.
private struct StreamedRun {
    var bytes: UInt64
    var sha256: String
    var stderr: String
    var exit: RemoteExit
    var seconds: Double

    var megabytesPerSecond: Double { Double(bytes) / 1_048_576 / max(seconds, 0.001) }
    /// The hash the server printed (first word of stderr).
    var serverSHA256: String { String(stderr.split(separator: " ").first ?? "") }
}

/// Runs `command` with the streaming exec API, hashing stdout as it arrives.
private func stream(_ command: String, on client: SSHClient, timeout: Duration = .seconds(300)) async throws -> StreamedRun {
    let digest = StreamingDigest()
    let errors = StreamingCollector()
    let clock = ContinuousClock()
    let began = clock.now
    let exit = try await client.exec(command, timeout: timeout,
                                     stdout: { digest.update($0) }, stderr: { errors.append($0) })
    let elapsed = clock.now - began
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return StreamedRun(bytes: digest.byteCount, sha256: digest.finalize(), stderr: errors.text, exit: exit,
                       seconds: seconds)
}

/// Expects `run` to hold exactly `bytes` bytes whose hash is the server's.
private func expectIntact(_ run: StreamedRun, bytes: Int, _ label: String, log: @autoclosure () -> String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.exit == .status(0) && run.bytes == UInt64(bytes) && run.sha256 == run.serverSHA256,
            """
            \(label): \(run.bytes) of \(bytes) bytes, exit \(run.exit); received sha256 \(run.sha256), \
            server's: \(run.stderr)
            --- server log (tail) ---
            \(tail(log()))
            """, sourceLocation: sourceLocation)
    print("\(label): \(run.bytes / 1_048_576) MiB in \(String(format: "%.2f", run.seconds)) s = \(String(format: "%.1f", run.megabytesPerSecond)) MB/s")
}

/// How many key exchanges sshd (LogLevel DEBUG1) finished on its connections.
private func completedKeyExchanges(in log: String) -> Int {
    log.components(separatedBy: "SSH2_MSG_NEWKEYS received").count - 1
}

private let mebibyte = 1 << 20

@Suite("rekeying and compression against sshd")
struct ClientRekeyCompressionTests {
    @Test("256 MiB with sshd rekeying every 1 MiB arrive intact (throughput logged)")
    func serverRekeyLimit() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["RekeyLimit 1M", "LogLevel DEBUG1"])
        defer { sshd.stop() }
        let client = try await FerryClient.connect(to: sshd)
        let size = 256 * mebibyte
        let run = try await stream(streamWithHash(size, from: "cat /dev/urandom", in: sshd.scratchDirectory), on: client)
        expectIntact(run, bytes: size, "256 MiB, sshd RekeyLimit 1M, \(await client.negotiatedAlgorithms?.cipherServerToClient.rawValue ?? "?")",
                     log: sshd.log)
        // After the data, the connection still works (the last rekey ended cleanly).
        await expectProbe(client, "after 256 rekeys", log: tail(sshd.log))
        await client.close()
        let rekeys = completedKeyExchanges(in: sshd.log)
        #expect(rekeys > 200, "sshd should have rekeyed about 256 times, finished \(rekeys) key exchanges")
    }

    @Test("64 MiB with ferry rekeying every 1 MiB (rekeyLimitBytes) arrive intact")
    func clientRekeyLimit() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["LogLevel DEBUG1"])
        defer { sshd.stop() }
        let client = try await FerryClient.connect(to: sshd, rekeyLimitBytes: UInt64(mebibyte))
        let size = 64 * mebibyte
        let run = try await stream(streamWithHash(size, from: "cat /dev/urandom", in: sshd.scratchDirectory), on: client)
        expectIntact(run, bytes: size, "64 MiB, ferry rekeyLimitBytes 1 MiB", log: sshd.log)
        await expectProbe(client, "after client-initiated rekeys", log: tail(sshd.log))
        await client.close()
        // sshd's own limit (2^32 blocks) is never reached here: every rekey is
        // ferry's. The limit is a threshold for starting one, as in OpenSSH:
        // what the server has in flight when ferry's KEXINIT leaves still
        // arrives under the old keys, so there are fewer than 64 — about 50
        // on an idle machine, a dozen when the tests run in parallel.
        let rekeys = completedKeyExchanges(in: sshd.log) - 1
        #expect(rekeys >= 5, "ferry should have rekeyed repeatedly, sshd finished \(rekeys) re-exchanges")
    }

    // Sizes are modest: a debug build inflates at a few MB/s (see the report
    // on ZlibDecompressor's zero-filled output growth).
    @Test("zlib@openssh.com: base64 text, random bytes and zeros intact across rekeys every 1 MiB")
    func compressionWithRekey() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["RekeyLimit 1M", "LogLevel DEBUG1", "Compression yes"])
        defer { sshd.stop() }
        let client = try await FerryClient.connect(
            to: sshd, algorithms: FerryClient.only(compression: AlgorithmPreferences.compressionOn))
        let negotiated = try #require(await client.negotiatedAlgorithms)
        #expect(negotiated.compressionClientToServer == .zlibOpenSSH && negotiated.compressionServerToClient == .zlibOpenSSH,
                "\(negotiated)")
        let size = 16 * mebibyte
        let text = try await stream(streamWithHash(size, from: "base64 /dev/urandom", in: sshd.scratchDirectory), on: client)
        expectIntact(text, bytes: size, "16 MiB base64, zlib@openssh.com, RekeyLimit 1M", log: sshd.log)
        let random = try await stream(streamWithHash(size, from: "cat /dev/urandom", in: sshd.scratchDirectory), on: client)
        expectIntact(random, bytes: size, "16 MiB random, zlib@openssh.com, RekeyLimit 1M", log: sshd.log)
        let zeros = try await stream(streamWithHash(size, from: "cat /dev/zero", in: sshd.scratchDirectory), on: client)
        expectIntact(zeros, bytes: size, "16 MiB zeros, zlib@openssh.com, RekeyLimit 1M", log: sshd.log)
        await expectProbe(client, "compressed, after rekeys", log: tail(sshd.log))
        await client.close()
        // Rekeys count compressed bytes: about 16 for the random data, 12 for base64.
        let rekeys = completedKeyExchanges(in: sshd.log) - 1
        #expect(rekeys >= 20, "sshd finished only \(rekeys) re-exchanges")
    }

    @Test("sshd with Compression no: ferry offering zlib then none settles on none")
    func compressionRefused() async throws {
        let sshd = try await SSHDFixture.start(extraConfig: ["Compression no"])
        defer { sshd.stop() }
        await expectRoundTrip(sshd, "Compression no", algorithms: FerryClient.only(compression: AlgorithmPreferences.compressionOn)) { negotiated, _ in
            negotiated.compressionClientToServer == .none && negotiated.compressionServerToClient == .none
        }
        // Offering only zlib to a server that refuses it fails cleanly, naming the category.
        do {
            let client = try await FerryClient.connect(to: sshd, algorithms: FerryClient.only(compression: ["zlib@openssh.com", "zlib"]))
            await client.close()
            Issue.record("connected with compression only, to a server with Compression no")
        } catch let error as SSHError {
            expectConnectFailure(error, .noCommonAlgorithm, containing: ["compression"], "compression only")
        }
    }
}
