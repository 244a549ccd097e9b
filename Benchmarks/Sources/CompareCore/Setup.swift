import Foundation

/// Setup gets the machine ready: missing Debian packages installed with
/// apt-get, ferry built in release mode, the Python peers' venv created.
/// Each step says on stderr what it does, since it may take minutes.
public enum Setup {
    /// The full path of `program` on PATH, or nil.
    public static func which(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Installs the Debian packages that provide missing programs (sshd and
    /// ssh-keygen always; the tools' own programs), as root through apt-get.
    public static func ensurePrograms(for tools: [Tool], progress: (String) -> Void) throws {
        var needed: [(String, String)] = [("/usr/sbin/sshd", "openssh-server"), ("ssh-keygen", "openssh-client"),
                                          ("ssh", "openssh-client"), ("cp", "coreutils"),
                                          (PeakMemory.time, "time")]
        for tool in tools { needed += tool.requiredPrograms }
        let missing = Set(needed.filter { which($0.0) == nil }.map(\.1)).sorted()
        guard !missing.isEmpty else { return }
        guard geteuid() == 0, which("apt-get") != nil else {
            throw HarnessError("missing packages \(missing.joined(separator: " ")): install them (apt-get needs root)")
        }
        progress("installing \(missing.joined(separator: " ")) with apt-get")
        let environment = ProcessInfo.processInfo.environment.merging(["DEBIAN_FRONTEND": "noninteractive"]) { $1 }
        _ = try runCommand(["apt-get", "update", "-qq"], stderr: "/dev/null", environment: environment)
        let outcome = try runCommand(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                              stdout: ChildProcess.parentStderr, stderr: ChildProcess.parentStderr,
                              environment: environment)
        guard outcome.succeeded else { throw HarnessError("apt-get install \(missing.joined(separator: " ")) failed") }
    }

    /// Builds ferry in release mode in the repository at `repository` and
    /// returns the binary's path. The build's output goes to stderr.
    public static func buildFerry(repository: String, progress: (String) -> Void) throws -> String {
        progress("building ferry (release) in \(repository)")
        let outcome = try runCommand(["swift", "build", "-c", "release", "--product", "ferry", "--package-path", repository],
                              stdout: ChildProcess.parentStderr, stderr: ChildProcess.parentStderr)
        guard outcome.succeeded else { throw HarnessError("swift build -c release --product ferry failed") }
        let binary = repository + "/.build/release/ferry"
        guard access(binary, X_OK) == 0 else { throw HarnessError("no ferry binary at \(binary) after the build") }
        return binary
    }

    /// Builds the Examples package's `fetch` (release) in `repository` and
    /// returns its path: the `ferry-lib` tool, FerryKit as a program uses it.
    public static func buildFetch(repository: String, progress: (String) -> Void) throws -> String {
        let examples = repository + "/Examples"
        progress("building Examples' fetch (release) in \(examples)")
        let outcome = try runCommand(["swift", "build", "-c", "release", "--product", "fetch", "--package-path", examples],
                                     stdout: ChildProcess.parentStderr, stderr: ChildProcess.parentStderr)
        guard outcome.succeeded else { throw HarnessError("swift build -c release --product fetch (Examples) failed") }
        let binary = examples + "/.build/release/fetch"
        guard access(binary, X_OK) == 0 else { throw HarnessError("no fetch binary at \(binary) after the build") }
        return binary
    }

    /// Creates (once) a venv under `directory` with paramiko and asyncssh from
    /// PyPI and returns its python.
    public static func pythonPeers(in directory: String, progress: (String) -> Void) throws -> String {
        let python = directory + "/venv/bin/python"
        let check = try? runCommand([python, "-c", "import paramiko, asyncssh"], stderr: "/dev/null")
        if check?.succeeded == true { return python }
        progress("creating \(directory)/venv with paramiko and asyncssh (pip)")
        try makeDirectories(directory)
        guard let python3 = which("python3") else { throw HarnessError("--with-python-peers needs python3") }
        var outcome = try runCommand([python3, "-m", "venv", directory + "/venv"], stdout: ChildProcess.parentStderr, stderr: ChildProcess.parentStderr)
        guard outcome.succeeded else { throw HarnessError("python3 -m venv failed (Debian: apt-get install python3-venv)") }
        outcome = try runCommand([python, "-m", "pip", "install", "-q", "paramiko", "asyncssh"],
                          stdout: ChildProcess.parentStderr, stderr: ChildProcess.parentStderr)
        guard outcome.succeeded else { throw HarnessError("pip install paramiko asyncssh failed") }
        return python
    }

    /// The first line a command prints (stdout, then stderr), for the report's
    /// environment section; "" when it fails.
    public static func firstLine(_ arguments: [String], scratch: String) -> String {
        let path = scratch + "/capture.txt"
        defer { unlink(path) }
        guard (try? runCommand(arguments, stdout: path, stderr: path)) != nil,
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Where the temporary work folder goes: /dev/shm (tmpfs) when it exists
    /// and has room for `bytes`, so the data sets are in memory on both ends
    /// and disks do not limit; else $TMPDIR or /tmp.
    public static func scratchParent(needing bytes: Int64 = 0) -> String {
        var info = stat()
        if stat("/dev/shm", &info) == 0, info.st_mode & S_IFMT == S_IFDIR, access("/dev/shm", W_OK) == 0,
           freeBytes("/dev/shm").map({ $0 >= bytes }) ?? false {
            return "/dev/shm"
        }
        return ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    }

    /// Bytes available to us on the file system holding `path`.
    public static func freeBytes(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Creates a fresh private folder under `parent`.
    public static func makeTemporaryDirectory(under parent: String, prefix: String) throws -> String {
        var template = Array("\(parent)/\(prefix).XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError("cannot create a temporary folder under \(parent): \(String(cString: strerror(errno)))")
        }
        return String(cString: result)
    }
}
