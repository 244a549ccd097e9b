import Testing
@testable import Shell

/// The lexer against the cases OpenSSH's sftp (makeargv) gives.
@Suite struct CommandLexerTests {
    func words(_ line: String) throws -> [String] {
        try CommandLexer.split(line).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func splitsOnWhitespace() throws {
        #expect(try words("get  a\tb ") == ["get", "a", "b"])
        #expect(try words("") == [])
        #expect(try words("   ") == [])
    }

    @Test func quotesJoinAndKeepSpaces() throws {
        #expect(try words("get \"a b\" 'c d'") == ["get", "a b", "c d"])
        #expect(try words("a\"b c\"d") == ["ab cd"])
        #expect(try words("'it''s'") == ["its"])
        #expect(try words("\"\"") == [""])
        #expect(try words("'a\"b'") == ["a\"b"])
    }

    @Test func backslashOutsideQuotes() throws {
        #expect(try words("a\\ b") == ["a b"])
        #expect(try words("a\\\"b") == ["a\"b"])
        // Glob characters and backslashes stay escaped for the glob.
        #expect(try words("a\\*b") == ["a\\*b"])
        #expect(try words("a\\\\b") == ["a\\\\b"])
        #expect(try words("x\\") == ["x"])
    }

    @Test func backslashInsideQuotes() throws {
        #expect(try words("\"a\\\"b\"") == ["a\"b"])
        #expect(try words("'a\\'b'") == ["a'b"])
        #expect(try words("\"a\\nb\"") == ["a\\nb"])
        #expect(try words("\"a\\*\"") == ["a\\\\\\*"])
    }

    @Test func quotedGlobCharactersAreEscaped() throws {
        #expect(try words("'*.txt' *.c") == ["\\*.txt", "*.c"])
        #expect(try words("\"[a]?\"") == ["\\[a]\\?"])
    }

    @Test func commentsEndTheLine() throws {
        #expect(try words("ls # list") == ["ls"])
        #expect(try words("ls a#b") == ["ls", "a"])
        #expect(try words("ls '#x'") == ["ls", "#x"])
    }

    @Test func errors() {
        #expect(throws: CommandLexer.LexError.unterminatedQuote) { try CommandLexer.split("get 'abc") }
        #expect(throws: CommandLexer.LexError.tooManyWords) {
            try CommandLexer.split(String(repeating: "a ", count: 200))
        }
        #expect(throws: CommandLexer.LexError.tooLong) {
            try CommandLexer.split(String(repeating: "a", count: 9000))
        }
    }

    @Test func partialForCompletion() {
        let open = CommandLexer.splitPartial(Array("get 'my fi".utf8))
        #expect(open.words.map { String(decoding: $0, as: UTF8.self) } == ["get", "my fi"])
        #expect(open.openQuote == UInt8(ascii: "'"))
        let spaced = CommandLexer.splitPartial(Array("get ".utf8))
        #expect(spaced.endsInSpace)
    }

    @Test func hostileBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<64, using: &generator)
            let alphabet: [UInt8] = Array("ab \t\\'\"#*?[!-@".utf8) + [0, 0xFF, 0x0A]
            let line = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            _ = try? CommandLexer.split(line)
            _ = CommandLexer.splitPartial(line)
            _ = try? CommandParser.parse(line)
        }
    }

    @Test func globLiteralUndoesOneLevel() {
        func literal(_ s: String) -> String { String(decoding: GlobPattern.literal(Array(s.utf8)), as: UTF8.self) }
        #expect(literal("a\\*b") == "a*b")
        #expect(literal("a\\\\b") == "a\\b")
        #expect(literal("a\\nb") == "a\\nb")
        #expect(GlobPattern.hasWildcard(Array("a*".utf8)))
        #expect(!GlobPattern.hasWildcard(Array("a\\*".utf8)))
    }
}
