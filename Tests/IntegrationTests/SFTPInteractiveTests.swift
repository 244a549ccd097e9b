import Foundation
import Glibc
import Testing

/// The interactive `ferry sftp` prompt, driven through a real terminal
/// (tmux): the prompt, a command, Tab completion of a remote name, history
/// recall, Ctrl-C during a transfer (back to the prompt, nothing under the
/// final name) and Ctrl-D to leave.
@Suite("ferry sftp interactive prompt (tmux)", .serialized)
struct SFTPInteractiveTests {
    /// A tmux server of its own, and one session in it.
    struct Terminal {
        let socket: String
        let session = "ferry"

        func tmux(_ arguments: [String]) async throws -> CommandResult {
            try await FixtureCommand.run("tmux", ["-L", socket] + arguments, timeout: .seconds(20))
        }

        func send(_ keys: String...) async throws {
            _ = try await tmux(["send-keys", "-t", session] + keys)
        }

        func screen() async throws -> String {
            try await tmux(["capture-pane", "-p", "-t", session, "-S", "-200"]).stdout
        }

        /// Waits until the screen satisfies `condition` (up to `seconds`).
        func waitFor(_ seconds: Double = 20, _ condition: (String) -> Bool) async throws -> String {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            var last = ""
            while ContinuousClock.now < deadline {
                last = try await screen()
                if condition(last) { return last }
                try await Task.sleep(for: .milliseconds(100))
            }
            return last
        }
    }

    @Test("prompt, pwd, Tab completion, history, Ctrl-C mid-transfer, Ctrl-D")
    func promptSession() async throws {
        guard let ferry = FerryCLI.executable else {
            Issue.record("the ferry executable was not found")
            return
        }
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let work = try FixtureDirectory.create(prefix: "sftp-tty")
        defer { work.remove() }
        let local = work.file("local")
        try Proof.makeDirectory(local)
        try Proof.makeDirectory(work.file("home"))
        let remote = sshd.scratchDirectory
        try Proof.write("\(remote)/report-2024.txt", Array("quarterly\n".utf8))
        Proof.giveToAccount("\(remote)/report-2024.txt", sshd)
        try Proof.writeSparse("\(remote)/huge.bin", size: 4 << 30, [(0, [1, 2, 3])])
        Proof.giveToAccount("\(remote)/huge.bin", sshd)

        let terminal = Terminal(socket: "ferry-test-\(getpid())")
        let arguments = (["sftp"] + FerryCLI.connectionArguments(for: sshd) + ["\(sshd.user)@\(sshd.host):\(remote)"])
            .map { "'\($0)'" }.joined(separator: " ")
        let shell = "cd '\(local)' && HOME='\(work.file("home"))' exec '\(ferry)' \(arguments); sleep 30"
        _ = try await terminal.tmux(["new-session", "-d", "-s", terminal.session, "-x", "200", "-y", "50", shell])
        defer { Task { _ = try? await terminal.tmux(["kill-server"]) } }

        var screen = try await terminal.waitFor { $0.contains("sftp> ") }
        #expect(screen.contains("Connected to \(sshd.host)."), "\(screen)")

        try await terminal.send("pwd", "Enter")
        screen = try await terminal.waitFor { $0.contains("Remote working directory: \(remote)") }
        #expect(screen.contains("Remote working directory: \(remote)"), "\(screen)")

        // Tab completes the remote name; the file arrives.
        try await terminal.send("get rep", "Tab")
        screen = try await terminal.waitFor { $0.contains("sftp> get report-2024.txt") }
        #expect(screen.contains("sftp> get report-2024.txt"), "completion: \(screen)")
        try await terminal.send("Enter")
        _ = try await terminal.waitFor { _ in Proof.exists("\(local)/report-2024.txt") }
        #expect(Proof.contents("\(local)/report-2024.txt") == Array("quarterly\n".utf8))

        // History: ↑ recalls the last line.
        try await terminal.send("C-u", "Up")
        screen = try await terminal.waitFor { $0.components(separatedBy: "sftp> get report-2024.txt").count >= 3 }
        #expect(screen.components(separatedBy: "sftp> get report-2024.txt").count >= 3, "history: \(screen)")
        try await terminal.send("C-u")

        // Ctrl-C during a long transfer: back at the prompt, nothing under
        // the final name.
        try await terminal.send("get huge.bin", "Enter")
        _ = try await terminal.waitFor(10) { _ in !Proof.partialFiles(under: local).isEmpty }
        try await terminal.send("C-c")
        screen = try await terminal.waitFor { $0.contains("Interrupted.") }
        #expect(screen.contains("Interrupted."), "Ctrl-C: \(screen)")
        #expect(!Proof.exists("\(local)/huge.bin"), "a partial file under the final name: \(String(describing: Proof.size("\(local)/huge.bin"))) \(Proof.partialFiles(under: local)) \(screen)")
        try await terminal.send("lpwd", "Enter")
        screen = try await terminal.waitFor { $0.contains("Local working directory: \(local)") }
        #expect(screen.contains("Local working directory: \(local)"), "prompt after Ctrl-C: \(screen)")

        // Ctrl-D on an empty line ends the session.
        try await terminal.send("C-d")
        let gone = try await terminal.waitFor { _ in
            (try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8)) != nil
                && ((try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.isEmpty == false)
                && !Self.ferryRunning(in: local)
        }
        _ = gone
        #expect(!Self.ferryRunning(in: local), "ferry still running after Ctrl-D")
    }

    /// True while a process whose working directory is `directory` runs ferry.
    static func ferryRunning(in directory: String) -> Bool {
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
        for pid in pids where Int(pid) != nil {
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"), cwd == directory,
                  let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") else { continue }
            if exe.hasSuffix("/ferry") { return true }
        }
        return false
    }
}
