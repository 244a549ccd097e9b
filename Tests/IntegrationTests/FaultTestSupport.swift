import Foundation
import Glibc
import Testing

// Running ferry against an SSHDFixture through a FaultProxy, and what the
// fault tests check afterwards: the copy identical, no partial file left.

/// A FaultProxy in front of a fixture's sshd, with the known_hosts file
/// ferry needs to trust the server at the proxy's port.
struct FaultedServer {
    let sshd: SSHDFixture
    let proxy: FaultProxy
    let directory: FixtureDirectory

    init(_ sshd: SSHDFixture, faults: @escaping @Sendable (Int) -> FaultProxy.Fault) throws {
        self.sshd = sshd
        proxy = try FaultProxy(upstreamPort: sshd.port, faults: faults)
        directory = try FixtureDirectory.create(prefix: "ferry-fault")
        try directory.write("known_hosts", knownHostsText(host: "127.0.0.1", port: proxy.port, keys: sshd.hostKeys), mode: 0o644)
    }

    init(_ sshd: SSHDFixture, first fault: FaultProxy.Fault) throws {
        try self.init(sshd) { $0 == 0 ? fault : .none }
    }

    func stop() {
        proxy.stop()
        directory.remove()
    }

    /// The fixture's connection options, pointed at the proxy.
    var connectionArguments: [String] {
        var arguments = FerryCLI.connectionArguments(for: sshd, options: ["-o", "UserKnownHostsFile=\(directory.file("known_hosts"))"])
        if let index = arguments.firstIndex(of: "-P") { arguments[index + 1] = String(proxy.port) }
        return arguments
    }

    /// `ferry command [connection options to the proxy] arguments…`.
    func ferry(_ command: String, _ arguments: [String], timeout: Duration = .seconds(180)) async throws -> CommandResult {
        try await FerryCLI.run([command] + connectionArguments + arguments, timeout: timeout)
    }
}

enum FaultCheck {
    /// A pseudo-random cut point in `range` from `seed` (SplitMix64), so a
    /// failing run can be repeated from the seed in its message.
    static func point(in range: ClosedRange<UInt64>, seed: UInt64) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return range.lowerBound + z % (range.upperBound - range.lowerBound + 1)
    }

    /// Expects the two files to have the same SHA-256.
    static func expectIdentical(_ copy: String, _ original: String, _ label: String,
                                sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (a, b) = (try? await Proof.sha256(copy), try await Proof.sha256(original))
        #expect(a == b, "\(label): \(copy) differs from \(original)", sourceLocation: sourceLocation)
    }

    /// Expects no `.NAME.ferry-part` under `root`.
    static func expectNoPartials(under root: String, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let left = Proof.partialFiles(under: root)
        #expect(left.isEmpty, "\(label): temporary files left under \(root): \(left.prefix(5))", sourceLocation: sourceLocation)
    }

    /// A tree of `count` files of 1–24 KiB in eight directories (four at
    /// the top, each with one nested): many files in flight at once, as a
    /// cut in the middle of a tree finds them.
    static func tree(files count: Int) -> ProofTree {
        var entries: [ProofTree.Entry] = []
        var directories: [String] = []
        for d in 0..<4 {
            directories.append("t\(d)")
            directories.append("t\(d)/n\(d)")
        }
        for path in directories {
            entries.append(ProofTree.Entry(path: path, contents: nil, mode: 0o755, accessTime: 1_400_000_000, modificationTime: 1_450_000_000))
        }
        for i in 0..<count {
            let size = 1024 + (i &* 7919) % (23 * 1024 + 1)
            entries.append(ProofTree.Entry(path: "\(directories[i % directories.count])/f\(i)", contents: Proof.bytes(size, seed: UInt64(i) + 77),
                                           mode: 0o644, accessTime: 1_300_000_000 + i, modificationTime: 1_500_000_000 + i))
        }
        return ProofTree(entries: entries)
    }

    /// Waits (up to `limit`) until the proxy's fault has happened; the
    /// instant it noticed, or nil.
    static func waitForFault(_ proxy: FaultProxy, limit: Duration = .seconds(60)) async -> ContinuousClock.Instant? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while proxy.faultsDone == 0 {
            guard clock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return clock.now
    }
}
