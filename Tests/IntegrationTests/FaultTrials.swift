import Foundation
import Glibc
import Testing

// The long fault trials of issue 16, run by scripts/fault-trials (not by
// scripts/test: they take tens of minutes): N random cut points during a
// 256 MiB get and a 256 MiB put and during a 2000-file tree each way, each
// run with --retries 5 through a FaultProxy. Each kind reports how many
// runs completed (exit 0), how many copies were identical (sha256 of the
// file, every byte of the tree) and how many left temporary files; the
// counts go to stdout and to $FERRY_FAULT_TRIALS_REPORT when set.
//
// FERRY_FAULT_TRIALS=N sets N (the suite is skipped without it);
// FERRY_FAULT_TRIALS_KINDS=get,put,tree-get,tree-put picks the kinds;
// FERRY_FAULT_TRIALS_SEED the first seed (cut points are reproducible).

@Suite("Fault trials (scripts/fault-trials)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["FERRY_FAULT_TRIALS"] != nil))
struct FaultTrials {
    static let environment = ProcessInfo.processInfo.environment
    static let count = Int(environment["FERRY_FAULT_TRIALS"] ?? "") ?? 50
    static let kinds = (environment["FERRY_FAULT_TRIALS_KINDS"] ?? "get,put,tree-get,tree-put").split(separator: ",").map(String.init)
    static let firstSeed = UInt64(environment["FERRY_FAULT_TRIALS_SEED"] ?? "") ?? 1000
    static let bigSize = 256 << 20
    static let retry = ["--retries", "5", "--retry-delay", "0.1"]

    /// The counts of one kind of trial.
    struct Tally: CustomStringConvertible {
        var kind: String
        var runs = 0
        var completed = 0
        var identical = 0
        var leftovers = 0
        var reconnects = 0
        var seconds = 0.0
        var failures: [String] = []

        var description: String {
            String(format: "%@: %d runs, %d completed, %d identical, %d with temporary files left, %d reconnects, %.0f s",
                   kind, runs, completed, identical, leftovers, reconnects, seconds)
                + (failures.isEmpty ? "" : "\n  " + failures.prefix(10).joined(separator: "\n  "))
        }
    }

    static func record(_ tally: Tally) {
        print("FAULT-TRIALS \(tally)")
        if let path = environment["FERRY_FAULT_TRIALS_REPORT"] {
            let before = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            try? (before + "\(tally)\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    @Test("256 MiB get and put, cut at random points, --retries 5")
    func bigFile() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-trials-big")
        defer { home.remove() }
        let remote = "\(sshd.scratchDirectory)/big"
        let local = home.file("big")
        try await Proof.makeRandomFile(remote, bytes: Self.bigSize, seed: 0x61)
        Proof.giveToAccount(remote, sshd)
        try await Proof.makeRandomFile(local, bytes: Self.bigSize, seed: 0x62)
        let remoteDigest = try await Proof.sha256(remote)
        let localDigest = try await Proof.sha256(local)
        for kind in ["get", "put"] where Self.kinds.contains(kind) {
            var tally = Tally(kind: "\(kind) 256 MiB")
            let began = ContinuousClock.now
            for trial in 0..<Self.count {
                let seed = Self.firstSeed + UInt64(trial) + (kind == "put" ? 50_000 : 0)
                let cut = FaultCheck.point(in: 64_000...UInt64(Self.bigSize), seed: seed)
                let server = try FaultedServer(sshd, first: .cut(after: cut, kind == "get" ? .toClient : .toServer))
                let copy = kind == "get" ? home.file("copy") : "\(sshd.scratchDirectory)/copy"
                let arguments = kind == "get" ? [Proof.remote(sshd, remote), copy] : [local, Proof.remote(sshd, copy)]
                let result = try await server.ferry(kind, Self.retry + arguments, timeout: .seconds(600))
                server.stop()
                tally.runs += 1
                tally.reconnects += max(0, server.proxy.connections - 1)
                if result.succeeded { tally.completed += 1 } else { tally.failures.append("seed \(seed) cut \(cut): \(result.exit) \(result.stderr.suffix(300))") }
                if (try? await Proof.sha256(copy)) == (kind == "get" ? remoteDigest : localDigest) {
                    tally.identical += 1
                } else if result.succeeded {
                    tally.failures.append("seed \(seed) cut \(cut): the copy differs")
                }
                let root = kind == "get" ? home.path : sshd.scratchDirectory
                if !Proof.partialFiles(under: root).isEmpty { tally.leftovers += 1 }
                unlink(copy)
                for partial in Proof.partialFiles(under: root) { unlink("\(root)/\(partial)") }
            }
            tally.seconds = Self.seconds(since: began)
            Self.record(tally)
            #expect(tally.completed == tally.runs && tally.identical == tally.runs && tally.leftovers == 0, "\(tally)")
        }
    }

    @Test("2000-file tree each way, cut at random points, --retries 5")
    func tree() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let home = try FixtureDirectory.create(prefix: "ferry-trials-tree")
        defer { home.remove() }
        let tree = ProofTree.twoThousandFiles()
        try tree.write(under: home.file("src"))
        try tree.write(under: "\(sshd.scratchDirectory)/src", for: sshd)
        let bytes = tree.byteCount
        for kind in ["tree-get", "tree-put"] where Self.kinds.contains(kind) {
            var tally = Tally(kind: "\(kind) 2000 files")
            let began = ContinuousClock.now
            for trial in 0..<Self.count {
                let seed = Self.firstSeed + UInt64(trial) + (kind == "tree-put" ? 150_000 : 100_000)
                let cut = FaultCheck.point(in: 16_000...bytes, seed: seed)
                let get = kind == "tree-get"
                let server = try FaultedServer(sshd, first: .cut(after: cut, get ? .toClient : .toServer))
                let copy = get ? home.file("copy") : "\(sshd.scratchDirectory)/copy"
                let arguments = get ? ["-r", Proof.remote(sshd, "\(sshd.scratchDirectory)/src"), copy]
                                    : ["-r", home.file("src"), Proof.remote(sshd, copy)]
                let result = try await server.ferry(get ? "get" : "put", Self.retry + arguments, timeout: .seconds(600))
                server.stop()
                tally.runs += 1
                tally.reconnects += max(0, server.proxy.connections - 1)
                if result.succeeded { tally.completed += 1 } else { tally.failures.append("seed \(seed) cut \(cut): \(result.exit) \(result.stderr.suffix(300))") }
                if Self.holds(tree, at: copy) {
                    tally.identical += 1
                } else if result.succeeded {
                    tally.failures.append("seed \(seed) cut \(cut): the copy differs")
                }
                if !Proof.partialFiles(under: copy).isEmpty { tally.leftovers += 1 }
                _ = try? await FixtureCommand.run("/bin/rm", ["-rf", copy], environment: [:], timeout: .seconds(60))
            }
            tally.seconds = Self.seconds(since: began)
            Self.record(tally)
            #expect(tally.completed == tally.runs && tally.identical == tally.runs && tally.leftovers == 0, "\(tally)")
        }
    }

    static func seconds(since began: ContinuousClock.Instant) -> Double {
        let elapsed = began.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// True when `root` holds exactly the tree's paths and bytes.
    static func holds(_ tree: ProofTree, at root: String) -> Bool {
        guard ProofTree.listing(root) == Set(tree.entries.map(\.path)) else { return false }
        return tree.files.allSatisfy { Proof.contents("\(root)/\($0.path)") == $0.contents }
    }
}
