import Testing
@testable import Shell

/// The parser's commands, flags, prefixes and messages, as sftp's parse_args.
@Suite struct CommandParserTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func prefixesAndBlankLines() throws {
        let ignored = try CommandParser.parse("-rm x")
        #expect(ignored.ignoreErrors)
        #expect(ignored.command == .rm(bytes("x")))
        let quiet = try CommandParser.parse("  @-pwd")
        #expect(quiet.quiet && quiet.ignoreErrors && quiet.command == .pwd)
        #expect(try CommandParser.parse("").command == nil)
        #expect(try CommandParser.parse("   # comment").command == nil)
    }

    @Test func getAndPutFlags() throws {
        var flags = ShellCommand.TransferFlags()
        flags.resume = true
        flags.preserve = true
        flags.recursive = true
        #expect(try CommandParser.parse("get -apR dir /tmp/x").command == .get(flags, source: bytes("dir"), destination: bytes("/tmp/x")))
        #expect(try CommandParser.parse("GET -a -p -r dir /tmp/x").command == .get(flags, source: bytes("dir"), destination: bytes("/tmp/x")))
        var resume = ShellCommand.TransferFlags()
        resume.resume = true
        #expect(try CommandParser.parse("reget big").command == .get(resume, source: bytes("big"), destination: nil))
        #expect(try CommandParser.parse("reput big").command == .put(resume, source: bytes("big"), destination: nil))
        // The destination is not a pattern: quoting's escapes are undone.
        #expect(try CommandParser.parse("get '*.c' 'a*'").command
                == .get(ShellCommand.TransferFlags(), source: bytes("\\*.c"), destination: bytes("a*")))
        #expect(try CommandParser.parse("mget x").command == .get(ShellCommand.TransferFlags(), source: bytes("x"), destination: nil))
    }

    @Test func lsFlags() throws {
        guard case .ls(let flags, let path) = try CommandParser.parse("ls -lrSa dir").command else {
            Issue.record("not ls")
            return
        }
        #expect(flags.long && flags.reverse && flags.all && flags.sort == .size && path == bytes("dir"))
        guard case .ls(let one, nil) = try CommandParser.parse("ls -l1").command else {
            Issue.record("not ls")
            return
        }
        #expect(one.onePerLine && !one.long)
        guard case .ls(let numeric, nil) = try CommandParser.parse("dir -nt").command else {
            Issue.record("not ls")
            return
        }
        #expect(numeric.long && numeric.numeric && numeric.sort == .time)
    }

    @Test func otherCommands() throws {
        #expect(try CommandParser.parse("cd").command == .cd(nil))
        #expect(try CommandParser.parse("lcd \"my dir\"").command == .lcd(bytes("my dir")))
        #expect(try CommandParser.parse("mkdir 'a*'").command == .mkdir(bytes("a*")))
        #expect(try CommandParser.parse("rename -l a b").command == .rename(old: bytes("a"), new: bytes("b"), legacy: true))
        #expect(try CommandParser.parse("ln -s a b").command == .link(old: bytes("a"), new: bytes("b"), symbolic: true))
        #expect(try CommandParser.parse("ln a b").command == .link(old: bytes("a"), new: bytes("b"), symbolic: false))
        #expect(try CommandParser.parse("symlink a b").command == .link(old: bytes("a"), new: bytes("b"), symbolic: true))
        #expect(try CommandParser.parse("chmod 644 *.txt").command == .chmod(0o644, bytes("*.txt"), noFollow: false))
        #expect(try CommandParser.parse("chown -h 1000 f").command == .chown(1000, bytes("f"), noFollow: true))
        #expect(try CommandParser.parse("chgrp 50 f").command == .chgrp(50, bytes("f"), noFollow: false))
        #expect(try CommandParser.parse("df -hi").command == .df(human: true, inodes: true, nil))
        #expect(try CommandParser.parse("lumask 027").command == .lumask(0o27))
        #expect(try CommandParser.parse("lls -la /tmp").command == .lls(bytes("-la /tmp")))
        #expect(try CommandParser.parse("!echo hi").command == .shell(bytes("echo hi")))
        #expect(try CommandParser.parse("!").command == .shell(nil))
        for word in ["exit", "quit", "bye", "QUIT"] { #expect(try CommandParser.parse(word).command == .quit) }
        #expect(try CommandParser.parse("?").command == .help)
        #expect(try CommandParser.parse("progress").command == .progress)
        #expect(try CommandParser.parse("version").command == .version)
    }

    @Test func sftpMessages() {
        func message(_ line: String) -> String? {
            do { _ = try CommandParser.parse(line) } catch { return error.message }
            return nil
        }
        #expect(message("frobnicate") == "Invalid command.")
        #expect(message("get") == "You must specify at least one path after a get command.")
        #expect(message("rename a") == "You must specify two paths after a rename command.")
        #expect(message("rm") == "You must specify a path after a rm command.")
        #expect(message("chmod abc f") == "You must supply a numeric argument to the chmod command.")
        #expect(message("chmod 999 f") == "You must supply a numeric argument to the chmod command.")
        #expect(message("chmod 644") == "You must specify a path after a chmod command.")
        #expect(message("ls -z") == "ls: Invalid flag -z")
        #expect(message("get 'x") == "Unterminated quoted argument")
        #expect(message("pwd -x") == "pwd: Invalid flag -x")
        do {
            _ = try CommandParser.parse("-frobnicate")
            Issue.record("parsed")
        } catch {
            #expect(error.ignoreErrors)
        }
    }
}
