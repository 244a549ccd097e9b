import Foundation
import Glibc
import Testing

// Helpers of the transfer proofs (TransferProofTests, TransferProofEdgeTests):
// running the ferry binary against an SSHDFixture in the foreground or in
// the background (to kill it mid-file), making large, sparse and
// deterministic files quickly, and reading back what a transfer left.

/// Proof gathers the helpers of the end-to-end transfer proofs.
enum Proof {
    static let ok = ExitStatus(code: 0, signaled: false)
    static let someFailed = ExitStatus(code: 1, signaled: false)
    static let killed = ExitStatus(code: SIGKILL, signaled: true)

    // MARK: Running ferry

    /// `ferry command [fixture connection options] arguments…`.
    static func ferry(_ command: String, _ arguments: [String], on sshd: SSHDFixture,
                      timeout: Duration = .seconds(120)) async throws -> CommandResult {
        try await FerryCLI.run([command] + FerryCLI.connectionArguments(for: sshd) + arguments, timeout: timeout)
    }

    /// The fixture's connection options without `-P` (the port then comes
    /// from an sftp:// URI).
    static func connectionArgumentsWithoutPort(for sshd: SSHDFixture) -> [String] {
        var arguments = FerryCLI.connectionArguments(for: sshd)
        if let index = arguments.firstIndex(of: "-P") { arguments.removeSubrange(index...index + 1) }
        return arguments
    }

    /// `user@127.0.0.1:path`.
    static func remote(_ sshd: SSHDFixture, _ path: String) -> String { "\(sshd.user)@\(sshd.host):\(path)" }

    /// Starts `ferry command … arguments` in the background; its stdout and
    /// stderr go to `stdout` and `stderr` in `home`, which is also its HOME.
    static func spawnFerry(_ command: String, _ arguments: [String], on sshd: SSHDFixture,
                           home: FixtureDirectory) throws -> ChildProcess {
        guard let executable = FerryCLI.executable else {
            throw FixtureError("the ferry executable was not found next to the tests: run swift build --product ferry")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        return try ChildProcess.spawn(executable, [command] + FerryCLI.connectionArguments(for: sshd) + arguments,
                                      environment: environment, stdout: home.file("stdout"), stderr: home.file("stderr"))
    }

    /// Runs `ferry command … arguments` in the background, waits until the
    /// file `partial` holds at least `threshold` bytes, and kills ferry
    /// with SIGKILL. While waiting and after, `final` must keep `previous`
    /// (the old file a transfer replaces), or never appear when nil
    /// (atomicity).
    /// Afterwards waits until the server has no session left (so that no
    /// write of the killed session is still landing). Records an issue and
    /// returns false when ferry ended on its own first.
    static func killMidFile(_ command: String, _ arguments: [String], on sshd: SSHDFixture,
                            partial: String, final: String, previous: [UInt8]? = nil, threshold: UInt64,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws -> Bool {
        let home = try FixtureDirectory.create(prefix: "ferry-kill")
        defer { home.remove() }
        let child = try spawnFerry(command, arguments, on: sshd, home: home)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(60))
        var finalChanged = false
        while (size(partial) ?? 0) < threshold {
            if size(final) != previous.map({ UInt64($0.count) }) { finalChanged = true }
            if let status = child.exitStatus {
                Issue.record("ferry \(command) ended (\(status)) before it could be killed; partial \(size(partial).map(String.init) ?? "absent")\n\(home.read("stderr") ?? "")",
                             sourceLocation: sourceLocation)
                return false
            }
            if clock.now >= deadline {
                child.send(SIGKILL)
                _ = await child.wait(timeout: .seconds(10))
                Issue.record("\(partial) never reached \(threshold) bytes\n\(home.read("stderr") ?? "")", sourceLocation: sourceLocation)
                return false
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        child.send(SIGKILL)
        let status = await child.wait(timeout: .seconds(10))
        #expect(status == killed, "ferry \(command): \(status.map { "\($0)" } ?? "still running")", sourceLocation: sourceLocation)
        let finalKept = contents(final) == previous
        #expect(!finalChanged && finalKept,
                "\(final) \(previous == nil ? "appeared" : "changed") while the transfer ran", sourceLocation: sourceLocation)
        // The server notices the closed connection and ends the session.
        let quiet = clock.now.advanced(by: .seconds(15))
        while sshd.serverProcesses.count > 1 && clock.now < quiet { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sshd.serverProcesses.count == 1, "the killed session is still running on the server", sourceLocation: sourceLocation)
        return true
    }

    // MARK: The summary line

    /// One parsed summary line: "N files, B bytes in S s (R MB/s)[, F failed]".
    struct Summary: Equatable {
        var files: Int
        var bytes: UInt64
        var seconds: Double
        var rate: Double
        var failed: Int
    }

    /// The summary `stdout` holds, when it is exactly one summary line
    /// (after sftp's "Resuming …" lines, which `-a` prints first).
    static func summary(_ stdout: String) -> Summary? {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("Resuming ") }
        guard lines.count == 2, lines[1].isEmpty,
              let pattern = try? Regex(#"^([0-9]+) files?, ([0-9]+) bytes in ([0-9]+\.[0-9]{2}) s \(([0-9]+\.[0-9]) MB/s\)(, ([0-9]+) failed)?$"#),
              let match = try? pattern.wholeMatch(in: String(lines[0])) else { return nil }
        func text(_ index: Int) -> String? { match.output[index].substring.map(String.init) }
        guard let files = text(1).flatMap({ Int($0) }), let bytes = text(2).flatMap({ UInt64($0) }),
              let seconds = text(3).flatMap({ Double($0) }), let rate = text(4).flatMap({ Double($0) }) else { return nil }
        return Summary(files: files, bytes: bytes, seconds: seconds, rate: rate, failed: text(6).flatMap { Int($0) } ?? 0)
    }

    /// The lines of `text` (no trailing empty line).
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    // MARK: Making files

    /// Writes `count` pseudo-random bytes to `path` fast (the AES-128-CTR
    /// key stream of a key made from `seed`, by openssl), mode 0644.
    static func makeRandomFile(_ path: String, bytes count: Int, seed: UInt8) async throws {
        let key = String(repeating: String(format: "%02x", seed), count: 16)
        let script = "head -c \(count) /dev/zero | openssl enc -aes-128-ctr -bufsize 1048576 -nosalt -K \(key) -iv \(String(repeating: "0", count: 32)) > \(shellQuoted(path))"
        let result = try await FixtureCommand.run("/bin/sh", ["-c", script], timeout: .seconds(120))
        guard result.succeeded, size(path) == UInt64(count) else { throw FixtureError("cannot make \(path):\n\(result.summary)") }
        chmod(path, 0o644)
    }

    /// `count` deterministic pseudo-random bytes (SplitMix64 from `seed`).
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                if offset + 8 <= count {
                    raw.storeBytes(of: z.littleEndian, toByteOffset: offset, as: UInt64.self)
                    offset += 8
                } else {
                    for shift in stride(from: 0, to: 64, by: 8) where offset < count {
                        raw[offset] = UInt8(truncatingIfNeeded: z >> UInt64(shift))
                        offset += 1
                    }
                }
            }
        }
        return out
    }

    /// Writes `contents` to `path` (created or truncated) with `mode`.
    static func write(_ path: String, _ contents: [UInt8], mode: mode_t = 0o644) throws {
        try writeSparse(path, size: UInt64(contents.count), [(0, contents)], mode: mode)
    }

    /// Makes `path` a file of `size` bytes holding `regions` (offset, bytes)
    /// and holes elsewhere (nothing else is written, so a 4 GiB file costs
    /// only its regions).
    static func writeSparse(_ path: String, size: UInt64, _ regions: [(UInt64, [UInt8])], mode: mode_t = 0o644) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FixtureError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, mode)
        guard ftruncate(fd, off_t(size)) == 0 else { throw FixtureError("cannot size \(path): \(String(cString: strerror(errno)))") }
        for (offset, contents) in regions {
            var done = 0
            while done < contents.count {
                let n = contents[done...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FixtureError("cannot write \(path): \(String(cString: strerror(errno)))") }
                done += n
            }
        }
    }

    /// Sets the access and modification times of `path` (not following a link).
    static func setTimes(_ path: String, access: Int, modification: Int) {
        var times = [timespec(tv_sec: access, tv_nsec: 0), timespec(tv_sec: modification, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// Creates `path` (and its parents) as a directory.
    static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Gives `path` to the fixture's account (files the server must write).
    static func giveToAccount(_ path: String, _ sshd: SSHDFixture) {
        chown(path, sshd.server.account.uid, sshd.server.account.gid)
    }

    // MARK: Reading back

    /// lstat(2) of `path`, nil if it does not exist.
    static func status(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    static func exists(_ path: String) -> Bool { status(path) != nil }

    /// The size of `path`, nil if it does not exist.
    static func size(_ path: String) -> UInt64? { status(path).map { UInt64($0.st_size) } }

    /// `count` bytes of `path` at `offset` (fewer at end of file); nil if it
    /// cannot be opened.
    static func read(_ path: String, at offset: UInt64 = 0, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        return Array(out.prefix(done))
    }

    /// Expects `path` to hold exactly `expected`, without printing
    /// megabytes of array when it does not (which takes seconds).
    static func expectHolds(_ path: String, _ expected: [UInt8], _ label: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = contents(path)
        let same = actual == expected
        #expect(same, "\(label): \(path) holds \(actual.map { "\($0.count) bytes" } ?? "nothing"), not the expected \(expected.count)",
                sourceLocation: sourceLocation)
    }

    /// The whole of a (small) file; nil if it cannot be read.
    static func contents(_ path: String) -> [UInt8]? {
        guard let size = size(path) else { return nil }
        return read(path, count: Int(size))
    }

    /// The names in directory `path` as the file system spells them (bytes
    /// decoded as UTF-8), `.` and `..` left out, sorted; nil if unreadable.
    static func names(_ path: String) -> [String]? {
        (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted()
    }

    /// Every entry under `root` that a partial transfer left
    /// (`.NAME.ferry-part`), as paths relative to `root`.
    static func partialFiles(under root: String) -> [String] {
        var found: [String] = []
        func walk(_ relative: String) {
            let path = relative.isEmpty ? root : "\(root)/\(relative)"
            for name in names(path) ?? [] {
                let child = relative.isEmpty ? name : "\(relative)/\(name)"
                if name.hasSuffix(".ferry-part") { found.append(child) }
                if let st = status("\(root)/\(child)"), st.st_mode & S_IFMT == S_IFDIR { walk(child) }
            }
        }
        walk("")
        return found
    }

    /// The file's SHA-256 in lowercase hex, by `openssl dgst` (several
    /// times faster than sha256sum(1) where the CPU has SHA instructions).
    static func sha256(_ path: String) async throws -> String {
        let result = try await FixtureCommand.run("openssl", ["dgst", "-sha256", "-r", path], environment: [:], timeout: .seconds(120))
        let digest = String(result.stdout.prefix(64))
        guard result.succeeded, digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
            throw FixtureError("openssl dgst failed:\n\(result.summary)")
        }
        return digest
    }
}
