import ArgumentParser
import Foundation
import NIOCore
@_spi(Internals) import SSHCore
import Testing
@testable import ferry

/// Issue 14's rough edges that need no server: long names beside every
/// short one, value names that say what they take, one default per help
/// line, ssh:// destinations, log levels, usage statuses, error wording.
@Suite struct OptionSpellingTests {
    static let subcommands: [ParsableCommand.Type] = Ferry.configuration.subcommands

    @Test func longNamesParseAsTheShortOnes() throws {
        let long = try GetCommand.parse([
            "--port", "2222", "--identity", "key", "--config", "none", "--option", "User=bob", "--jump", "jump",
            "--cipher", "aes128-ctr", "--mac", "hmac-sha2-256", "--compress", "--verbose", "--verbose", "--quiet",
            "--ipv4", "--recursive", "--preserve", "--resume", "--buffer-size", "1024", "--requests", "8", "h:x", "."])
        let short = try GetCommand.parse([
            "-P", "2222", "-i", "key", "-F", "none", "-o", "User=bob", "-J", "jump", "-c", "aes128-ctr", "-m", "hmac-sha2-256",
            "-C", "-vv", "-q", "-4", "-r", "-p", "-a", "-B", "1024", "-R", "8", "h:x", "."])
        for command in [long, short] {
            let c = command.connection, t = command.transfer
            #expect(c.port == 2222 && c.identity == ["key"] && c.configFile == "none" && c.options == ["User=bob"])
            #expect(c.jump == "jump" && c.cipher == "aes128-ctr" && c.mac == "hmac-sha2-256" && c.compress && c.verbose == 2)
            #expect(c.quiet && c.ipv4 && !c.ipv6)
            #expect(t.recursive && t.preserve && t.resume && t.blockSize == 1024 && t.requests == 8)
        }
        #expect(try SFTPCommand.parse(["--batch", "f", "h"]).batchFile == "f")
        #expect(try ExecCommand.parse(["--no-stdin", "h", "--", "true"]).noInput)
        #expect(try SyncCommand.parse(["--perms", "a", "h:b"]).preserve)
        #expect(try ProxyCommand.parse(["--forward", "t:22", "j"]).forward == "t:22")
        #expect(try Ferry.parse(["--query", "mac"]).query == "mac")
    }

    @Test func ipv4AndIPv6SelectTheAddressFamily() throws {
        #expect(try GetCommand.parse(["-4", "h:x", "."]).connection.clientOptions().effectiveAddressFamily == .inet)
        #expect(try GetCommand.parse(["-6", "h:x", "."]).connection.clientOptions().effectiveAddressFamily == .inet6)
        #expect(try GetCommand.parse(["-o", "AddressFamily=inet6", "h:x", "."]).connection.clientOptions().effectiveAddressFamily == .inet6)
        #expect(try GetCommand.parse(["h:x", "."]).connection.clientOptions().effectiveAddressFamily == .any)
        // The flag comes first, so it wins over -o, as in ssh.
        #expect(try GetCommand.parse(["-4", "-o", "AddressFamily=inet6", "h:x", "."]).connection.clientOptions().effectiveAddressFamily == .inet)
        #expect(throws: (any Error).self) { try GetCommand.parse(["-4", "-6", "h:x", "."]) }
    }

    /// Every help screen: no single-letter value names (`-P <P>`), and no
    /// line that states a default twice (a hand-written one and ArgumentParser's).
    @Test func helpTextsNameValuesAndStateOneDefault() {
        for command in [Ferry.self] + Self.subcommands {
            let help = Ferry.helpMessage(for: command, columns: 2000)
            let name = command.configuration.commandName ?? "ferry"
            for line in help.split(separator: "\n") {
                #expect(line.ranges(of: "default").count <= 1, "\(name): \(line)")
                #expect(line.firstMatch(of: /<[A-Za-z]>/) == nil, "\(name): single-letter value name in \(line)")
            }
        }
        let get = Ferry.helpMessage(for: GetCommand.self, columns: 2000)
        for text in ["-P, --port <port>", "-i, --identity <identity_file>", "-r, --recursive", "-B, --buffer-size <bytes>",
                     "-R, --requests <count>", "-4, --ipv4", "-6, --ipv6", "-o, --option <Keyword=Value>"] {
            #expect(get.contains(text), "ferry get --help lacks \(text)")
        }
    }

    @Test func sshDestinations() throws {
        #expect(try RemoteLocation.destination("ssh://bob@example.org:2222")
                == RemoteLocation(user: "bob", host: "example.org", port: 2222, path: ""))
        #expect(try RemoteLocation.destination("ssh://[::1]") == RemoteLocation(user: nil, host: "::1", port: nil, path: ""))
        #expect(try RemoteLocation.destination("bob@h") == RemoteLocation(user: nil, host: "bob@h", port: nil, path: ""))
        #expect(throws: ValidationError.self) { try RemoteLocation.destination("ssh://h/etc") }
        #expect(throws: ValidationError.self) { try RemoteLocation.destination("ssh://h:99999") }
        #expect(try RemoteLocation.parse("scp://bob@h:2222/x") == RemoteLocation(user: "bob", host: "h", port: 2222, path: "x"))
    }

    @Test func logLevelsAsSSH() throws {
        #expect(LogLevel(nil) == .info && LogLevel("INFO").showsWarnings && LogLevel("VERBOSE").showsWarnings)
        for quiet in ["QUIET", "FATAL", "ERROR"] { #expect(!LogLevel(quiet).showsWarnings, "\(quiet)") }
        #expect(LogLevel("VERBOSE").debugLevel == 0 && LogLevel("INFO").debugLevel == 0)
        #expect(LogLevel("DEBUG").debugLevel == 1 && LogLevel("DEBUG1").debugLevel == 1)
        #expect(LogLevel("DEBUG2").debugLevel == 2 && LogLevel("DEBUG3").debugLevel == 3)
        // -q and -v are applied before -o and the files: they win.
        #expect(try GetCommand.parse(["-q", "-o", "LogLevel=DEBUG3", "h:x", "."]).connection.clientOptions().logLevel == "QUIET")
        #expect(try GetCommand.parse(["-vv", "-o", "LogLevel=ERROR", "h:x", "."]).connection.clientOptions().logLevel == "DEBUG2")
        #expect(try GetCommand.parse(["-o", "LogLevel=ERROR", "h:x", "."]).connection.clientOptions().logLevel == "ERROR")
    }

    @Test func usageStatusesAsSSHTools() {
        for command in ["get", "put", "cp", "sync", "sftp", "config", "bench", nil] {
            #expect(UsageErrors.status(for: command) == 1, "\(command ?? "ferry")")
        }
        #expect(UsageErrors.status(for: "exec") == 255)
    }

    @Test func errorsReadAsMessages() {
        #expect(ErrorText.describe(ChannelError.ioOnClosedChannel) == "Connection closed")
        #expect(ErrorText.describe(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == "Connection refused")
        // A host-key refusal has several lines: real newlines, not "\n".
        let refusal = SSHError(.hostKeyRejected, "host key for h is not known.\nED25519 key fingerprint is SHA256:x.\nCheck it.")
        #expect(ErrorText.describe(refusal) == "host key for h is not known.\nED25519 key fingerprint is SHA256:x.\nCheck it.")
        // Control characters other than a line break stay visible.
        #expect(ErrorText.describe(SSHError(.io, "a\u{1B}[2Jb")) == "a\\x1b[2Jb")
    }
}
