import Foundation
@_spi(Internals) import SSHCore
import Testing

/// `ferry config -F file host` (the built executable) against the library
/// rendering and against `ssh -G`, over the whole corpus.
@Suite struct SSHConfigCLITests {
    /// `$FERRY_BINARY`, else the ferry beside this test process (the
    /// same build directory: .build/, or a sanitizer's .build-thread/),
    /// else .build/debug/ferry of this checkout.
    static var ferryBinary: String {
        if let explicit = ProcessInfo.processInfo.environment["FERRY_BINARY"] { return explicit }
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
            if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
            let beside = directory.appendingPathComponent("ferry").path
            if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/ferry").path
    }

    func runFerry(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String, errorText: String) {
        let binary = Self.ferryBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) missing: run swift build --build-tests first")
        // scripts/sanitize: a sanitized ferry gets the children's options,
        // as the integration fixtures give them (detect_leaks=0: at exit,
        // `Match exec`'s Foundation.Process leaves a 32-byte weak-reference
        // side table that LeakSanitizer reports).
        var environment = environment
        if let child = ProcessInfo.processInfo.environment["FERRY_CHILD_ASAN_OPTIONS"] { environment["ASAN_OPTIONS"] = child }
        let result = try runProgram(binary, arguments, environment: environment)
        return (result.status, result.output, result.errorText)
    }

    @Test(arguments: configCorpus)
    func cliAgreesWithLibraryAndSSH(_ c: ConfigCase) throws {
        let fixture = try SSHConfigFixture(c.text, files: c.files)
        defer { fixture.remove() }
        for host in c.hosts {
            let cli = try runFerry(["config", "-F", fixture.main] + c.options.flatMap { ["-o", $0] } + [host],
                                   environment: fixture.environment)
            #expect(cli.status == 0, "ferry config \(host): \(cli.errorText)")
            #expect(cli.output == (try fixture.ferry(host, options: c.options)))
            let theirs = try fixture.ssh(host, options: c.options)
            let names = c.text.lowercased().contains("identityfile")
            #expect(SSHGComparison.normalise(cli.output, compareIdentityFiles: names)
                    == SSHGComparison.normalise(theirs.output, compareIdentityFiles: names), "\(c.name) / \(host)")
        }
    }

    @Test func cliReportsErrorsWithFileAndLineAndIgnoredKeywordsAtVerbose() throws {
        let bad = try SSHConfigFixture("Host *\n  Port 22\n  Nonsense yes\n")
        defer { bad.remove() }
        let failed = try runFerry(["config", "-F", bad.main, "foo"], environment: bad.environment)
        #expect(failed.status == 255)
        #expect(failed.errorText.contains("\(bad.main) line 3: Bad configuration option: nonsense"))

        let ignored = try SSHConfigFixture("Host *\n  ForwardAgent yes\n")
        defer { ignored.remove() }
        let verbose = try runFerry(["config", "-v", "-F", ignored.main, "-o", "ControlMaster=auto", "foo"], environment: ignored.environment)
        #expect(verbose.status == 0)
        #expect(verbose.errorText.contains("line 2: ignoring option \"forwardagent\""))
        #expect(verbose.errorText.contains("ignoring option \"controlmaster\""))
    }
}
