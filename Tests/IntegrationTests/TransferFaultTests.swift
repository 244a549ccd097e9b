import Foundation
import Glibc
import Testing

// Network faults over real TCP (a FaultProxy between ferry and sshd):
// a flipped byte is an integrity failure with a clean error and nothing
// under a final name; a stalled connection is noticed by the keepalives
// (ServerAliveInterval × ServerAliveCountMax); a cut connection fails
// cleanly, leaves partial data only under temporary names for -a, and
// with --retries is reconnected and resumed to an identical copy.

@Suite("ferry get/put through a fault proxy: cuts, stalls, flipped bytes, --retries", .serialized)
struct TransferFaultTests {
    static let bigSize = 32 << 20
    static let retry = ["--retries", "5", "--retry-delay", "0.2"]

    /// An sshd with a 32 MiB random file in its scratch directory.
    static func serverWithBigFile() async throws -> (SSHDFixture, String) {
        let sshd = try await SSHDFixture.start()
        let remote = "\(sshd.scratchDirectory)/big"
        try await Proof.makeRandomFile(remote, bytes: bigSize, seed: 0x5E)
        Proof.giveToAccount(remote, sshd)
        return (sshd, remote)
    }

    // MARK: Flipped byte

    @Test("get: a byte flipped server→client is a MAC failure: exit 1, the message, nothing under the final name")
    func flippedGet() async throws {
        let (sshd, remote) = try await Self.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .flip(at: 5 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-flip-get")
        defer { home.remove() }
        let result = try await server.ferry("get", [Proof.remote(sshd, remote), home.file("big")])
        #expect(result.exit == Proof.someFailed, "\(result.summary)")
        #expect(server.proxy.faultsDone == 1)
        #expect(result.stderr.contains("corrupted MAC on input"), "\(result.stderr)")
        #expect(!Proof.exists(home.file("big")), "nothing under the final name")
        let kept = Proof.size(home.file(".big.ferry-part")) ?? 0
        #expect(kept <= 5 << 20, "the partial file holds only bytes before the flip: \(kept)")
        // What was kept is the start of the file: -a finishes it.
        let resumed = try await Proof.ferry("get", ["-a", Proof.remote(sshd, remote), home.file("big")], on: sshd)
        #expect(resumed.succeeded, "\(resumed.summary)")
        try await FaultCheck.expectIdentical(home.file("big"), remote, "after -a")
    }

    @Test("put: a byte flipped client→server: sshd drops the connection, exit 1, nothing under the final name")
    func flippedPut() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-flip-put")
        defer { home.remove() }
        let local = home.file("big")
        try await Proof.makeRandomFile(local, bytes: Self.bigSize, seed: 0x7A)
        let server = try FaultedServer(sshd, first: .flip(at: 5 << 20, .toServer))
        defer { server.stop() }
        let result = try await server.ferry("put", [local, Proof.remote(sshd, sshd.scratchDirectory)])
        #expect(result.exit == Proof.someFailed, "\(result.summary)")
        #expect(result.stderr.contains("connection lost"), "\(result.stderr)")
        #expect(!Proof.exists("\(sshd.scratchDirectory)/big"), "nothing under the final name")
    }

    @Test("get --retries: a flipped byte costs a reconnect; the copy is identical")
    func flippedGetRetried() async throws {
        let (sshd, remote) = try await Self.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .flip(at: 9 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-flip-retry")
        defer { home.remove() }
        let result = try await server.ferry("get", Self.retry + [Proof.remote(sshd, remote), home.file("big")])
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.stderr.contains("corrupted MAC on input") && result.stderr.contains("reconnecting (1/5) in 0.2 s"), "\(result.stderr)")
        #expect(server.proxy.connections == 2)
        try await FaultCheck.expectIdentical(home.file("big"), remote, "flip + retry")
        FaultCheck.expectNoPartials(under: home.path, "flip + retry")
    }

    @Test("get --retries: the reconnect reuses the loaded keys; an encrypted key's passphrase is asked once")
    func reconnectAsksNoPassphraseAgain() async throws {
        let (sshd, remote) = try await Self.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .flip(at: 9 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-retry-askpass", traversable: true)
        defer { home.remove() }
        // An extra encrypted identity: loading it asks SSH_ASKPASS, which
        // counts its runs.
        let key = home.file("id_extra")
        let made = try await FixtureCommand.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret words", "-f", key])
        #expect(made.exit.code == 0, "\(made.summary)")
        let count = home.file("asked")
        let askpass = try home.write("askpass", "#!/bin/sh\necho x >> '\(count)'\necho 'secret words'\n", mode: 0o700)
        guard let ferry = FerryCLI.executable else { Issue.record("ferry binary not built"); return }
        var environment = ProcessInfo.processInfo.environment
        environment["SSH_ASKPASS"] = askpass
        environment["SSH_ASKPASS_REQUIRE"] = "force"
        environment["DISPLAY"] = ":0"
        let result = try await FixtureCommand.run(
            ferry, ["get", "-o", "BatchMode=no"] + server.connectionArguments + ["-i", key] + Self.retry + [Proof.remote(sshd, remote), home.file("big")],
            environment: environment, timeout: .seconds(180))
        #expect(result.exit.code == 0, "\(result.summary)")
        #expect(server.proxy.connections == 2, "\(result.stderr)")
        let asked = (try? String(contentsOfFile: count, encoding: .utf8)) ?? ""
        #expect(asked == "x\n", "the passphrase was asked \(asked.count / 2) times over two connections")
        try await FaultCheck.expectIdentical(home.file("big"), remote, "flip + retry + askpass")
    }

    // MARK: Stall

    @Test("get: both directions stalled: ServerAliveInterval=1, ServerAliveCountMax=2 ends it in 3–4 s with exit 1")
    func stalledGet() async throws {
        let (sshd, remote) = try await Self.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .stall(after: 4 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-stall-proxy")
        defer { home.remove() }
        let arguments = ["get"] + server.connectionArguments + ["--timeout", "0", "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2",
                                                                Proof.remote(sshd, remote), home.file("big")]
        async let run = FerryCLI.run(arguments, timeout: .seconds(60))
        let stalledAt = await FaultCheck.waitForFault(server.proxy)
        let result = try await run
        let noticed = stalledAt.map { ContinuousClock.now - $0 }
        print("stalled get: ferry ended \(noticed.map { "\($0)" } ?? "?") after the stall began")
        #expect(result.exit == Proof.someFailed, "\(result.summary)")
        #expect(result.stderr.contains("Timeout, server not responding (2 keepalives unanswered)"), "\(result.stderr)")
        // Ticks once a second: the silence is noticed 3 ticks after the
        // last byte (as OpenSSH counts), the first tick up to 1 s later.
        #expect(noticed.map { $0 >= .milliseconds(2500) && $0 < .seconds(8) } == true, "noticed after \(String(describing: noticed))")
        #expect(!Proof.exists(home.file("big")))
        #expect((Proof.size(home.file(".big.ferry-part")) ?? 0) > 0, "the partial file stays for -a")
    }

    @Test("put --retries: a stalled connection is given up on and the upload resumed on a new one")
    func stalledPutRetried() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-stall-retry")
        defer { home.remove() }
        let local = home.file("big")
        try await Proof.makeRandomFile(local, bytes: Self.bigSize, seed: 0x33)
        let server = try FaultedServer(sshd, first: .stall(after: 6 << 20, .toServer))
        defer { server.stop() }
        let result = try await server.ferry("put", Self.retry + ["-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2",
                                                                 local, Proof.remote(sshd, sshd.scratchDirectory)])
        #expect(result.succeeded, "\(result.summary)")
        #expect(result.stderr.contains("Timeout, server not responding"), "\(result.stderr)")
        try await FaultCheck.expectIdentical("\(sshd.scratchDirectory)/big", local, "stall + retry")
        FaultCheck.expectNoPartials(under: sshd.scratchDirectory, "stall + retry")
    }

    // MARK: Cuts with --retries

    @Test("get --retries 5: cut at random points (three cuts in turn), the copy is identical, no temporary file left",
          arguments: [UInt64(1), 2])
    func cutGet(seed: UInt64) async throws {
        let (sshd, remote) = try await Self.serverWithBigFile()
        defer { sshd.stop() }
        // Each connection is cut once; the later ones have less to send.
        let cuts = [FaultCheck.point(in: 100_000...UInt64(Self.bigSize), seed: seed),
                    FaultCheck.point(in: 50_000...UInt64(Self.bigSize / 2), seed: seed + 100),
                    FaultCheck.point(in: 20_000...UInt64(Self.bigSize / 4), seed: seed + 200)]
        let server = try FaultedServer(sshd) { $0 < cuts.count ? .cut(after: cuts[$0], .toClient) : .none }
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-cut-get")
        defer { home.remove() }
        let result = try await server.ferry("get", Self.retry + [Proof.remote(sshd, remote), home.file("big")])
        #expect(result.succeeded, "cuts \(cuts): \(result.summary)")
        #expect(result.stderr.contains("reconnecting (1/5)"), "\(result.stderr)")
        try await FaultCheck.expectIdentical(home.file("big"), remote, "cuts \(cuts)")
        FaultCheck.expectNoPartials(under: home.path, "cuts \(cuts)")
    }

    @Test("put --retries 5: cut at random points (two cuts in turn), the copy is identical, no temporary file left",
          arguments: [UInt64(3), 4])
    func cutPut(seed: UInt64) async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-cut-put")
        defer { home.remove() }
        let local = home.file("big")
        try await Proof.makeRandomFile(local, bytes: Self.bigSize, seed: UInt8(seed))
        let cuts = [FaultCheck.point(in: 100_000...UInt64(Self.bigSize), seed: seed),
                    FaultCheck.point(in: 50_000...UInt64(Self.bigSize / 2), seed: seed + 100)]
        let server = try FaultedServer(sshd) { $0 < cuts.count ? .cut(after: cuts[$0], .toServer) : .none }
        defer { server.stop() }
        let result = try await server.ferry("put", Self.retry + [local, Proof.remote(sshd, sshd.scratchDirectory)])
        #expect(result.succeeded, "cuts \(cuts): \(result.summary)")
        try await FaultCheck.expectIdentical("\(sshd.scratchDirectory)/big", local, "cuts \(cuts)")
        FaultCheck.expectNoPartials(under: sshd.scratchDirectory, "cuts \(cuts)")
    }

    @Test("get -r and put -r --retries 5 of 200 files, cut mid-tree: every file identical, none copied twice, no temporary file")
    func cutTrees() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let tree = FaultCheck.tree(files: 200)
        let home = try FixtureDirectory.create(prefix: "ferry-cut-tree")
        defer { home.remove() }
        try tree.write(under: home.file("src"))
        let bytes = tree.byteCount
        // put: cut a third of the way through the upload.
        let up = try FaultedServer(sshd, first: .cut(after: bytes / 3, .toServer))
        let put = try await up.ferry("put", Self.retry + ["-r", home.file("src"), Proof.remote(sshd, "\(sshd.scratchDirectory)/up")])
        up.stop()
        #expect(put.succeeded, "\(put.summary)")
        #expect(put.stderr.contains("reconnecting (1/5)"), "\(put.stderr)")
        #expect(Proof.summary(put.stdout)?.files == 200, "each file counted once: \(put.stdout)")
        tree.expectCopy(at: "\(sshd.scratchDirectory)/up", preserved: false, "put -r after a cut")
        FaultCheck.expectNoPartials(under: "\(sshd.scratchDirectory)/up", "put -r")
        // get: cut half way through the download.
        let down = try FaultedServer(sshd, first: .cut(after: bytes / 2, .toClient))
        let get = try await down.ferry("get", Self.retry + ["-r", Proof.remote(sshd, "\(sshd.scratchDirectory)/up"), home.file("down")])
        down.stop()
        #expect(get.succeeded, "\(get.summary)")
        #expect(Proof.summary(get.stdout)?.files == 200, "each file counted once: \(get.stdout)")
        tree.expectCopy(at: home.file("down"), preserved: false, "get -r after a cut")
        FaultCheck.expectNoPartials(under: home.file("down"), "get -r")
    }

    @Test("sync --retries 5 of 200 files each way, cut mid-tree: both sides identical, no temporary file")
    func cutSync() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let tree = FaultCheck.tree(files: 200)
        let home = try FixtureDirectory.create(prefix: "ferry-cut-sync")
        defer { home.remove() }
        try tree.write(under: home.file("src"))
        let bytes = tree.byteCount
        let up = try FaultedServer(sshd, first: .cut(after: bytes / 2, .toServer))
        let pushed = try await up.ferry("sync", Self.retry + [home.file("src"), Proof.remote(sshd, "\(sshd.scratchDirectory)/up")])
        up.stop()
        #expect(pushed.succeeded, "\(pushed.summary)")
        #expect(pushed.stderr.contains("reconnecting (1/5)"), "\(pushed.stderr)")
        #expect(up.proxy.connections == 2)
        tree.expectCopy(at: "\(sshd.scratchDirectory)/up", preserved: false, "sync up after a cut")
        FaultCheck.expectNoPartials(under: "\(sshd.scratchDirectory)/up", "sync up")
        let down = try FaultedServer(sshd, first: .cut(after: bytes / 3, .toClient))
        let pulled = try await down.ferry("sync", Self.retry + [Proof.remote(sshd, "\(sshd.scratchDirectory)/up"), home.file("down")])
        down.stop()
        #expect(pulled.succeeded, "\(pulled.summary)")
        #expect(down.proxy.connections == 2)
        tree.expectCopy(at: home.file("down"), preserved: false, "sync down after a cut")
        FaultCheck.expectNoPartials(under: home.file("down"), "sync down")
    }

    // MARK: Cuts without --retries

    @Test("get without --retries: a cut is a clean error (exit 1), partial data only under the temporary name, -a finishes")
    func cutGetWithoutRetries() async throws {
        let (sshd, remote) = try await Self.serverWithBigFile()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .cut(after: 7 << 20, .toClient))
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-cut-plain")
        defer { home.remove() }
        let result = try await server.ferry("get", [Proof.remote(sshd, remote), home.file("big")])
        #expect(result.exit == Proof.someFailed, "\(result.summary)")
        #expect(result.stderr.contains("connection lost"), "\(result.stderr)")
        #expect(!Proof.exists(home.file("big")), "nothing under the final name")
        let kept = Proof.size(home.file(".big.ferry-part")) ?? 0
        #expect(kept > 0 && kept < 7 << 20, "partial: \(kept) bytes")
        let resumed = try await server.ferry("get", ["-a", Proof.remote(sshd, remote), home.file("big")])
        #expect(resumed.succeeded, "\(resumed.summary)")
        #expect((Proof.summary(resumed.stdout)?.bytes ?? 0) <= UInt64(Self.bigSize) - kept, "-a sent only the rest: \(resumed.stdout)")
        try await FaultCheck.expectIdentical(home.file("big"), remote, "after -a")
        FaultCheck.expectNoPartials(under: home.path, "after -a")
    }

    @Test("put without --retries: a cut is a clean error (exit 1), the remote partial only under its temporary name, -a finishes")
    func cutPutWithoutRetries() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-cut-plain-put")
        defer { home.remove() }
        let local = home.file("big")
        try await Proof.makeRandomFile(local, bytes: Self.bigSize, seed: 0x44)
        let server = try FaultedServer(sshd, first: .cut(after: 9 << 20, .toServer))
        defer { server.stop() }
        let result = try await server.ferry("put", [local, Proof.remote(sshd, sshd.scratchDirectory)])
        #expect(result.exit == Proof.someFailed, "\(result.summary)")
        #expect(!Proof.exists("\(sshd.scratchDirectory)/big"), "nothing under the final name")
        // sshd's session may still be writing what reached it: wait for it to end.
        let clock = ContinuousClock()
        let quiet = clock.now.advanced(by: .seconds(15))
        while sshd.serverProcesses.count > 1 && clock.now < quiet { try await Task.sleep(for: .milliseconds(10)) }
        let kept = Proof.size("\(sshd.scratchDirectory)/.big.ferry-part") ?? 0
        #expect(kept > 0 && kept < 9 << 20, "remote partial: \(kept) bytes")
        let resumed = try await server.ferry("put", ["-a", local, Proof.remote(sshd, sshd.scratchDirectory)])
        #expect(resumed.succeeded, "\(resumed.summary)")
        try await FaultCheck.expectIdentical("\(sshd.scratchDirectory)/big", local, "after put -a")
        FaultCheck.expectNoPartials(under: sshd.scratchDirectory, "after put -a")
    }

    @Test("--retries does not retry what the server refuses: a missing file fails once, exit 1, one connection")
    func refusalNotRetried() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let server = try FaultedServer(sshd, first: .none)
        defer { server.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-no-retry")
        defer { home.remove() }
        let result = try await server.ferry("get", Self.retry + [Proof.remote(sshd, "\(sshd.scratchDirectory)/missing"), home.file("x")])
        #expect(result.exit == Proof.someFailed, "\(result.summary)")
        #expect(!result.stderr.contains("reconnecting"), "\(result.stderr)")
        #expect(server.proxy.connections == 1)
    }
}
