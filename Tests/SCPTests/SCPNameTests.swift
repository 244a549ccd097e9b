import Testing
@testable import SCP

@Suite struct SCPNameTests {
    @Test func refusesNamesThatAreNotOneComponent() {
        for name in ["", ".", "..", "a/b", "/", "../x", "a\u{0}b", String(repeating: "n", count: 256)] {
            #expect(SCPName.problem(Array(name.utf8)) != nil, "\(name)")
        }
        for name in ["a", "...", ".hidden", "a b", "é", "$(id)", "-rf", String(repeating: "n", count: 255)] {
            #expect(SCPName.problem(Array(name.utf8)) == nil, "\(name)")
        }
        #expect(SCPName.problem([0xFF, 0xFE]) == nil, "names that are not UTF-8 are valid local names")
    }

    @Test func matchesAsFnmatch() {
        let cases: [(String, String, Bool)] = [
            ("a.txt", "*.txt", true), ("a.txt", "*.c", false), (".txt", "*.txt", true), ("abc", "a?c", true),
            ("ac", "a?c", false), ("b1", "[abc]1", true), ("d1", "[abc]1", false), ("d1", "[!abc]1", true),
            ("d1", "[^abc]1", true), ("m", "[a-z]", true), ("M", "[a-z]", false), ("]", "[]]", true),
            ("*", "\\*", true), ("x", "\\*", false), ("[", "[", true), ("aXbXc", "a*b*c", true), ("abcd", "a*b*c", false),
            ("", "*", true), ("abc", "abc", true), ("abc", "ab", false), ("a-", "a[-x]", true),
        ]
        for (name, pattern, expected) in cases {
            #expect(SCPName.matches(Array(name.utf8), pattern: Array(pattern.utf8)) == expected, "\(name) ~ \(pattern)")
        }
    }

    @Test func expectationFollowsTheSourceAsTyped() {
        #expect(SCPName.Expectation.forSource(Array("dir/file.txt".utf8)) == .exactly(Array("file.txt".utf8)))
        #expect(SCPName.Expectation.forSource(Array("dir/sub/".utf8)) == .exactly(Array("sub".utf8)))
        #expect(SCPName.Expectation.forSource(Array("logs/*.log".utf8)) == .matching(Array("*.log".utf8)))
        #expect(SCPName.Expectation.forSource(Array("".utf8)) == .exactly(Array(".".utf8)))
        #expect(SCPName.Expectation.forSource(Array("/".utf8)) == .exactly(Array("/".utf8)))
        #expect(SCPName.Expectation.matching(Array("*.log".utf8)).allows(Array("a.log".utf8)))
        #expect(!SCPName.Expectation.matching(Array("*.log".utf8)).allows(Array("a.txt".utf8)))
    }

    @Test func rendersHostileNamesHarmlessly() {
        #expect(SCPName.render(Array("a\nb\u{1b}[2J".utf8)) == "a\\x0ab\\x1b[2J")
        #expect(SCPName.render([0xFF]) == "\\xff")
    }
}
