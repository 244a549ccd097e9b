import Foundation
import Testing
@testable import SCP

/// The quoting is checked by the shell it is for: each quoted word is run
/// through `/bin/sh -c 'printf %s WORD'` and must come back byte for byte.
@Suite struct SCPShellTests {
    static let hostile: [String] = [
        "plain", "with space", "it's", "a\"b", "$(touch /tmp/ferry-pwned)", "`id`", "a;rm -rf x", "new\nline",
        "-rf", "--", "tab\there", "back\\slash", "'", "''", "$HOME", "a|b&c>d<e", "{a,b}", "~", "~user", "!x", "#c", "é ü",
    ]

    /// What `sh` makes of `word` as the argument of printf %s.
    func shell(_ word: [UInt8], in directory: String? = nil) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "printf %s " + String(decoding: word, as: UTF8.self)]
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }

    @Test func quotedWordsReachTheCommandLiterally() throws {
        for text in Self.hostile {
            #expect(try shell(SCPShell.quote(Array(text.utf8))) == Array(text.utf8), "\(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/ferry-pwned"))
    }

    @Test func sourceWordsKeepOnlyGlobsActive() throws {
        for text in Self.hostile where !text.hasPrefix("~") {
            #expect(try shell(SCPShell.quoteGlob(Array(text.utf8))) == Array(text.utf8), "\(text)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scp-glob-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["a 1.log", "b$(x).log", "c.txt", "d]"] {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: nil)
        }
        #expect(String(decoding: try shell(SCPShell.quoteGlob(Array("*.log".utf8)), in: directory), as: UTF8.self) == "a 1.logb$(x).log")
        #expect(String(decoding: try shell(SCPShell.quoteGlob(Array("[!ab]*".utf8)), in: directory), as: UTF8.self) == "c.txtd]")
        #expect(String(decoding: try shell(SCPShell.quoteGlob(Array("[]d]*".utf8)), in: directory), as: UTF8.self) == "d]")
        #expect(String(decoding: try shell(SCPShell.quoteGlob(Array("b$(x)?log".utf8)), in: directory), as: UTF8.self) == "b$(x).log")
    }

    @Test func commandLines() {
        #expect(String(decoding: SCPShell.sourceCommand(Array("a b".utf8), recursive: true, preserve: true), as: UTF8.self)
                == "scp -f -r -p 'a b'")
        #expect(String(decoding: SCPShell.sourceCommand(Array("-x".utf8), recursive: false, preserve: false), as: UTF8.self)
                == "scp -f -- '-x'")
        #expect(String(decoding: SCPShell.sinkCommand(Array("~/in $(x)".utf8), recursive: false, preserve: false, directory: true),
                       as: UTF8.self) == "scp -t -d ~/'in $(x)'")
        #expect(String(decoding: SCPShell.sinkCommand([], recursive: false, preserve: false, directory: false), as: UTF8.self)
                == "scp -t '.'")
        #expect(String(decoding: SCPShell.sinkCommand(Array("*".utf8), recursive: false, preserve: false, directory: false),
                       as: UTF8.self) == "scp -t '*'", "a target is never globbed")
    }
}

@Suite struct SCPShellEscapeTests {
    @Test func backslashMakesGlobCharactersLiteral() throws {
        let word = SCPShell.quoteGlob(Array("dir/a\\*b\\[c]\\\\d\\e".utf8))
        #expect(String(decoding: word, as: UTF8.self) == "'dir/a*b[c]\\d\\e'")
    }
}
