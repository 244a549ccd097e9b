import CompareCore
import Foundation
import Testing

@Suite(.serialized) struct ChildProcessTests {
    @Test func exitStatusPassesThrough() throws {
        #expect(try runCommand(["sh", "-c", "exit 3"]).exitStatus == 3)
        #expect(try runCommand(["true"]).succeeded)
    }

    @Test func killedChildReportsTheSignal() throws {
        #expect(try runCommand(["sh", "-c", "kill -9 $$"]).exitStatus == 128 + 9)
    }

    /// rusage from wait4 counts the child's CPU, including a grandchild it
    /// waited for (as sftp waits for its ssh).
    @Test func rusageCountsChildrenAndWallTime() throws {
        let outcome = try runCommand(["sh", "-c", "sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'; sleep 0.2"])
        #expect(outcome.succeeded)
        #expect(outcome.cpuSeconds > 0.05)
        #expect(outcome.wallSeconds >= 0.2)
        #expect(outcome.maxRSSKiB > 0)
    }

    @Test func standardStreamsGoWhereAsked() throws {
        let directory = try Setup.makeTemporaryDirectory(under: "/tmp", prefix: "compare-tests")
        defer { removeTree(directory) }
        try writeText("hello\n", to: directory + "/in")
        let outcome = try runCommand(["sh", "-c", "cat; echo oops >&2"], stdin: directory + "/in",
                                     stdout: directory + "/out", stderr: directory + "/err")
        #expect(outcome.succeeded)
        #expect(try String(contentsOfFile: directory + "/out", encoding: .utf8) == "hello\n")
        #expect(try String(contentsOfFile: directory + "/err", encoding: .utf8) == "oops\n")
    }

    /// Children start with an empty signal mask and default handlers even when
    /// the harness blocks or ignores signals (SIG_IGN survives exec otherwise).
    @Test func signalMaskAndHandlersAreReset() throws {
        let directory = try Setup.makeTemporaryDirectory(under: "/tmp", prefix: "compare-tests")
        defer { removeTree(directory) }
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGUSR1)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        let oldHandler = signal(SIGUSR2, SIG_IGN)
        defer {
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            signal(SIGUSR2, oldHandler)
        }
        let outcome = try runCommand(["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"], stdout: directory + "/status")
        #expect(outcome.succeeded)
        let status = try String(contentsOfFile: directory + "/status", encoding: .utf8)
        // Signals 1-31 (glibc reserves 32 and 33 for itself and cannot reset them).
        let lines = status.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16)
            #expect(mask.map { $0 & 0x7fff_ffff } == 0, "\(line)")
        }
    }

    @Test func missingProgramIsAnError() {
        #expect(throws: SpawnError.self) { try runCommand(["/nonexistent/program"]) }
    }
}

@Suite struct ChildProcessTimeoutTests {
    /// A hung tool is killed (its whole process group) and reported as timed out.
    @Test func watchdogKillsAHungChild() throws {
        let started = monotonicSeconds()
        let child = try ChildProcess.spawn(["sh", "-c", "sleep 30 & sleep 30; wait"])
        let outcome = child.wait(timeout: 0.3)
        #expect(child.timedOut)
        #expect(outcome.exitStatus == 128 + 9)
        #expect(monotonicSeconds() - started < 5)
    }

    @Test func watchdogLeavesAQuickChildAlone() throws {
        let child = try ChildProcess.spawn(["true"])
        #expect(child.wait(timeout: 5).succeeded)
        #expect(!child.timedOut)
    }
}

@Suite struct PeakMemoryTests {
    /// Through GNU time a small tool reports its own small RSS, not the
    /// (larger) RSS of the process that spawned it.
    @Test(.enabled(if: PeakMemory.isAvailable)) func smallToolReportsItsOwnRSS() throws {
        let directory = try Setup.makeTemporaryDirectory(under: "/tmp", prefix: "compare-tests")
        defer { removeTree(directory) }
        // Make this process's RSS clearly larger than a shell's.
        let ballast = [UInt8](repeating: 1, count: 64 << 20)
        let report = directory + "/rss"
        let outcome = try runCommand(PeakMemory.wrap(["sh", "-c", "exit 3"], report: report))
        #expect(outcome.exitStatus == 3)
        let kib = try #require(PeakMemory.read(report: report))
        #expect(kib > 100 && kib < 16 * 1024, "\(kib) KiB")
        #expect(outcome.maxRSSKiB > 64 * 1024, "wait4 sees the spawner's RSS: \(outcome.maxRSSKiB) KiB")
        withExtendedLifetime(ballast) {}
    }
}
