import Foundation

/// ReadinessSignal is how a fixture knows that the process it started — and
/// not some other server that happens to hold the same port — is listening.
enum ReadinessSignal: Sendable {
    /// The server writes its pid to this file after binding its listening
    /// socket (sshd, dropbear).
    case pidFile(String)
    /// The server logs this text once it listens (socat with `-d -d`).
    case logContains(String)
}

/// LaunchPlan is how to start a server on one port.
struct LaunchPlan: Sendable {
    /// Absolute path of the program.
    var executable: String
    /// Its arguments.
    var arguments: [String]
    /// What proves the program itself is listening.
    var readiness: ReadinessSignal
}

/// ServerLauncher starts a server on a free loopback port and waits until it
/// answers with an "SSH-2.0-" identification string.
///
/// Safe to use from many tests at once: each start picks its own port
/// (`PortPicker` never hands one out twice in a process) and, when the port
/// was taken meanwhile by something outside the process (the server logs
/// "Address already in use" and exits), starts again on a new one, up to
/// `maximumAttempts` times. Readiness needs both the server's own signal and
/// the banner, so a banner from a stranger on the port is never mistaken
/// for ours.
enum ServerLauncher {
    /// How many ports a start tries before giving up.
    static let maximumAttempts = 5

    /// What a successful launch gives back.
    struct Launched {
        /// The running server.
        var process: ServerProcess
        /// The port it listens on (127.0.0.1).
        var port: Int
        /// Its identification string ("SSH-2.0-…").
        var identification: String
    }

    /// Starts the server `plan(port)` describes, in `directory` (which holds
    /// `<software>.log`); `preferredPort`, if given, is tried first.
    /// `timeout` bounds the wait of each attempt. On failure the error
    /// carries the server's log, and no process is left running.
    static func launch(_ software: String, in directory: FixtureDirectory, preferredPort: Int? = nil,
                       timeout: Duration, plan: (Int) async throws -> LaunchPlan) async throws -> Launched {
        var collisions: [String] = []
        for attempt in 1...maximumAttempts {
            let port = try (attempt == 1 ? preferredPort : nil) ?? PortPicker.freePort()
            let launchPlan = try await plan(port)
            let logPath = directory.file("\(software).log")
            if attempt > 1 {  // keep the log of the previous attempt for the record
                try? FileManager.default.moveItem(atPath: logPath, toPath: logPath + ".attempt\(attempt - 1)")
            }
            let server = try ServerProcess.launch(launchPlan.executable, launchPlan.arguments, logPath: logPath)
            do {
                if let identification = try await waitUntilReady(
                    server, software: software, port: port, readiness: launchPlan.readiness, timeout: timeout) {
                    return Launched(process: server, port: port, identification: identification)
                }
            } catch {
                server.stop()
                throw error
            }
            server.stop()
            collisions.append("port \(port): \(lastLines(server.readLog()))")
        }
        throw FixtureError("""
            \(software) found every port it tried taken (\(maximumAttempts) attempts):
            \(collisions.joined(separator: "\n"))
            """)
    }

    /// Waits until `server` is ready; returns its identification string, or
    /// nil if it exited because the port was taken. Throws with the log when
    /// it exited for another reason or was not ready within `timeout`.
    private static func waitUntilReady(_ server: ServerProcess, software: String, port: Int,
                                       readiness: ReadinessSignal, timeout: Duration) async throws -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var lastBanner: String?
        while true {
            if let status = server.exitStatus {
                let log = server.readLog()
                if log.contains("Address already in use") { return nil }
                throw FixtureError("""
                    \(software) exited (\(status)) before accepting connections on 127.0.0.1:\(port)
                    --- \(software) log ---
                    \(log)
                    """)
            }
            if signalled(readiness, by: server) {
                if let banner = BannerProbe.identification(port: port) {
                    if banner.hasPrefix("SSH-2.0-") { return banner }
                    lastBanner = banner
                }
            }
            if clock.now >= deadline {
                throw FixtureError("""
                    \(software) did not accept SSH connections on 127.0.0.1:\(port) within \(timeout)\
                    \(lastBanner.map { " (it sent \($0.debugDescription))" } ?? "")
                    --- \(software) log ---
                    \(server.readLog())
                    """)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    private static func signalled(_ readiness: ReadinessSignal, by server: ServerProcess) -> Bool {
        switch readiness {
        case .pidFile(let path):
            let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
            return text?.trimmingCharacters(in: .whitespacesAndNewlines) == String(server.pid)
        case .logContains(let text):
            return server.readLog().contains(text)
        }
    }

    private static func lastLines(_ log: String) -> String {
        log.split(separator: "\n").suffix(3).joined(separator: " | ")
    }
}
