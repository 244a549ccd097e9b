import Foundation
import SFTP
import SFTPTestSupport
import Testing
@testable import Transfer

/// Remote `~` against OpenSSH's own sftp-server over pipes: expanded with
/// expand-path@openssh.com where offered, the login directory where the
/// server refuses it, `~user` through the server, and the rest of the path
/// (a glob, a name not yet there) kept as given.
@Suite struct RemoteTildeTests {
    static var user: String { String(cString: getpwuid(getuid()).pointee.pw_name) }

    func withServer(_ arguments: [String] = [], _ body: (FileTransfer) async throws -> Void) async throws {
        let server = try SFTPServerProcess(arguments: arguments)
        defer { server.stop() }
        let client = try await SFTPClient.connect(over: server)
        defer { client.close() }
        try await body(FileTransfer(client: client))
    }

    /// The home directory sftp-server sees: its process's (pw_dir, not $HOME).
    var serverHome: String { String(cString: getpwuid(getuid()).pointee.pw_dir) }

    @Test func expandedByTheServer() async throws {
        // sftp-server expands `~` to its working directory (the login
        // directory under sshd; here, inherited from the tests) and `~user`
        // to that user's home.
        let login = FileManager.default.currentDirectoryPath
        let home = serverHome
        try await withServer { (files: FileTransfer) async throws in
            #expect(files.client.supports(.expandPath))
            #expect(try await files.expandTilde("~").description == login)
            #expect(try await files.expandTilde("~/").description == login)
            #expect(try await files.expandTilde("~/not-there-yet/*.log").description == login + "/not-there-yet/*.log")
            #expect(try await files.expandTilde(SFTPPath(bytes: Array("~\(Self.user)/x".utf8))).description == home + "/x")
            #expect(try await files.expandTilde("/abs/~/x").description == "/abs/~/x", "only a leading ~")
            #expect(try await files.expandTilde("a~").description == "a~")
        }
    }

    @Test func unknownUserIsOneClearError() async throws {
        try await withServer { (files: FileTransfer) async throws in
            do {
                _ = try await files.expandTilde("~no-such-user-ferry/x")
                Issue.record("expanded an unknown user")
            } catch let error as TransferError {
                #expect(error.message.hasPrefix("~no-such-user-ferry/x: "), "\(error.message)")
                #expect(!error.message.contains("expand-path ~"), "the operation is not repeated: \(error.message)")
            }
        }
    }

    @Test func refusedExtensionsFallBackToTheLoginDirectory() async throws {
        // -P refuses the requests while the server still advertises them.
        try await withServer(["-P", "expand-path,home-directory"]) { (files: FileTransfer) async throws in
            #expect(try await files.expandTilde("~").description == ".")
            #expect(try await files.expandTilde("~/a/b").description == "a/b")
            await #expect(throws: TransferError.self) { try await files.expandTilde(SFTPPath(bytes: Array("~\(Self.user)/x".utf8))) }
        }
    }

    @Test func splitAndJoin() {
        #expect(RemoteTilde.split(Array("x/~".utf8)) == nil)
        #expect(RemoteTilde.split(Array("~".utf8)).map { [$0.head, $0.rest] } == [Array("~".utf8), []])
        #expect(RemoteTilde.split(Array("~bob/a/b".utf8)).map { [$0.head, $0.rest] } == [Array("~bob".utf8), Array("a/b".utf8)])
        #expect(RemoteTilde.join(Array("/".utf8), Array("x".utf8)) == Array("/x".utf8))
        #expect(RemoteTilde.join(Array("/h".utf8), []) == Array("/h".utf8))
        #expect(RemoteTilde.join(Array("/h".utf8), Array("x".utf8)) == Array("/h/x".utf8))
    }
}
