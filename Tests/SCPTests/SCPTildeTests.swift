import Foundation
import Testing
@testable import SCP

/// A leading `~` or `~user` is left to the remote shell (scp has always let
/// it expand a home directory), and nothing else: a "user name" that holds
/// shell syntax stays quoted. Checked by /bin/sh itself, as SCPShellTests.
@Suite struct SCPTildeTests {
    func shell(_ word: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "printf %s " + String(decoding: word, as: UTF8.self)]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = "/home-of-test"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The home directory /bin/sh gives `~root` here.
    var rootHome: String { (try? shell(Array("~root".utf8))) ?? "/root" }

    @Test func homeDirectoriesExpandInTargetsAndSources() throws {
        let sink = { (path: String) in
            let line = SCPShell.sinkCommand(Array(path.utf8), recursive: false, preserve: false, directory: false)
            return Array(line.dropFirst("scp -t ".utf8.count))
        }
        #expect(try shell(sink("~")) == "/home-of-test")
        #expect(try shell(sink("~/a b")) == "/home-of-test/a b")
        #expect(try shell(sink("~root")) == rootHome)
        #expect(try shell(sink("~root/x $(y)")) == rootHome + "/x $(y)")
        #expect(try shell(SCPShell.quoteGlob(Array("~root/x".utf8))) == rootHome + "/x")
    }

    @Test func userNamesWithShellSyntaxStayLiteral() throws {
        for text in ["~$(touch /tmp/ferry-tilde-pwned)", "~`id`/x", "~a;b", "~a b", "~-", "~+", "~-x/y", "~{a,b}", "~a*", "~a\nb"] {
            #expect(SCPShell.leadingTilde(Array(text.utf8)) == nil, "\(text)")
            #expect(try shell(SCPShell.quote(Array(text.utf8))) == text, "\(text)")
            let sink = SCPShell.sinkCommand(Array(text.utf8), recursive: false, preserve: false, directory: false)
            #expect(try shell(Array(sink.dropFirst("scp -t ".utf8.count))) == text, "\(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/ferry-tilde-pwned"))
    }
}
