import Foundation
import Testing
@_spi(Internals) @testable import SSHCore

/// Inputs the FuzzSSHConfig target (Fuzz/) turned up, kept as regressions.
@Suite struct SSHConfigFuzzRegressionTests {
    func context(_ path: String) -> SSHConfigContext {
        SSHConfigContext(originalHost: "h", configFile: path, localUser: "u", homeDirectory: "/nonexistent",
                         userID: 1, localHostName: "l", runCommand: { _ in 1 })
    }

    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "ferry-config-\(UUID().uuidString)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The fuzzer's first finding: an empty config file leaked the 4 KiB
    /// Foundation's `contents(atPath:)` allocated for it (LeakSanitizer, seen
    /// under `scripts/sanitize address`). Config files are now read with a
    /// bounded read(2) loop.
    @Test func emptyFileReadsAsEmpty() throws {
        let path = try write("")
        defer { unlink(path) }
        var options = ClientOptions()
        let report = try SSHConfigFile.resolve(into: &options, context: context(path))
        #expect(report.filesRead == [path])
        #expect(options.hostName == "h")
    }

    /// `Include /dev/zero` used to read without end (the size limit was
    /// checked only after the whole file was in memory); now reading stops
    /// at the limit with an error naming the file.
    @Test func endlessIncludeIsRefusedAtTheSizeLimit() throws {
        let path = try write("Include /dev/zero\nPort 2222\n")
        defer { unlink(path) }
        var options = ClientOptions()
        let error = #expect(throws: SSHError.self) { try SSHConfigFile.resolve(into: &options, context: context(path)) }
        #expect(error?.message.contains("/dev/zero: configuration file larger than") == true)
    }

    /// `-F /dev/null` (a character device) is still an empty config, as to ssh.
    @Test func devNullIsAnEmptyConfig() throws {
        var options = ClientOptions()
        let report = try SSHConfigFile.resolve(into: &options, context: context("/dev/null"))
        #expect(report.filesRead == ["/dev/null"])
    }
}
