import SFTPTestSupport
import Foundation
import NIOCore
import Testing
@testable import SFTP

/// The client against OpenSSH's sftp-server over pipes: every request and
/// every extension, on a temporary directory.
@Suite struct SFTPServerTests {
    @Test func versionAndExtensions() async throws {
        try await withSFTPServer { client, _ in
            #expect(client.serverVersion == 3)
            for ext: SFTPExtension in [.posixRename, .statvfs, .fstatvfs, .hardlink, .fsync, .lsetstat, .limits,
                                       .expandPath, .copyData, .homeDirectory, .usersGroupsByID] {
                #expect(client.supports(ext), "\(ext)")
            }
            let limits = try #require(client.limits)
            #expect(limits.maxPacketLength == 256 * 1024)
            #expect(limits.maxReadLength == 255 * 1024)
            #expect(client.readBlockLength == 255 * 1024)
            #expect(try await client.fetchLimits() == limits)
        }
    }

    @Test func createWriteReadStatClose() async throws {
        try await withSFTPServer { client, dir in
            let path = dir.sftp("file")
            let handle = try await client.open(path, flags: [.write, .create, .exclusive],
                                               attributes: SFTPAttributes(permissions: 0o640))
            try await client.write(handle, offset: 0, data: ByteBuffer(string: "hello, "))
            try await client.write(handle, offset: 7, data: ByteBuffer(string: "world"))
            try await client.fsync(handle)
            let fattrs = try await client.fstat(handle)
            #expect(fattrs.size == 12)
            try await client.close(handle)
            #expect(try String(contentsOfFile: dir.file("file"), encoding: .utf8) == "hello, world")

            // EXCL refuses an existing file.
            await #expect(throws: SFTPError.self) {
                _ = try await client.open(path, flags: [.write, .create, .exclusive])
            }

            let attributes = try await client.stat(path)
            #expect(attributes.size == 12)
            #expect(attributes.permissions.map { $0 & 0o777 } == 0o640)
            #expect(attributes.isRegularFile)
            #expect(attributes.owner?.uid == getuid())

            let reader = try await client.open(path, flags: .read)
            let data = try await client.read(reader, offset: 7, length: 100)
            #expect(data.map { String(buffer: $0) } == "world")
            #expect(try await client.read(reader, offset: 12, length: 100) == nil)
            try await client.close(reader)

            // APPEND writes at the end whatever the offset.
            let appender = try await client.open(path, flags: [.write, .append])
            try await client.write(appender, offset: 0, data: ByteBuffer(string: "!"))
            try await client.close(appender)
            #expect(try String(contentsOfFile: dir.file("file"), encoding: .utf8) == "hello, world!")

            // TRUNC empties it.
            let truncator = try await client.open(path, flags: [.write, .create, .truncate])
            try await client.close(truncator)
            #expect(try await client.stat(path).size == 0)
        }
    }

    @Test func missingFileIsTypedError() async throws {
        try await withSFTPServer { client, dir in
            do {
                _ = try await client.stat(dir.sftp("absent"))
                Issue.record("stat of a missing file succeeded")
            } catch let error as SFTPError {
                #expect(error.code == .noSuchFile)
                #expect(error.status == .noSuchFile)
                #expect(error.serverMessage == "No such file")
            }
            await #expect(throws: SFTPError(.noSuchFile, "", status: .noSuchFile)) {
                _ = try await client.open(dir.sftp("absent"), flags: .read)
            }
        }
    }

    @Test func setstatAndFsetstat() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("f", Data(repeating: 7, count: 100))
            try await client.setstat(dir.sftp("f"), SFTPAttributes(
                size: 10, permissions: 0o600, times: .init(accessTime: 1_000_000, modificationTime: 2_000_000)))
            let attributes = try await client.stat(dir.sftp("f"))
            #expect(attributes.size == 10)
            #expect(attributes.permissions.map { $0 & 0o777 } == 0o600)
            #expect(attributes.times == .init(accessTime: 1_000_000, modificationTime: 2_000_000))

            let handle = try await client.open(dir.sftp("f"), flags: [.read, .write])
            try await client.fsetstat(handle, SFTPAttributes(size: 3, permissions: 0o644))
            try await client.close(handle)
            let after = try await client.stat(dir.sftp("f"))
            #expect(after.size == 3)
            #expect(after.permissions.map { $0 & 0o777 } == 0o644)
        }
    }

    @Test func directories() async throws {
        try await withSFTPServer { client, dir in
            try await client.mkdir(dir.sftp("d"), attributes: SFTPAttributes(permissions: 0o755))
            for i in 0..<250 {
                try dir.create("d/f\(i)", Data())
            }
            let entries = try await client.listDirectory(dir.sftp("d"))
            let names = Set(entries.map(\.name))
            #expect(names.count == 252)  // sftp-server sends at most 100 per READDIR
            #expect(names.contains(".") && names.contains(".."))
            #expect(entries.filter { $0.componentProblem == nil }.count == 250)
            #expect(entries.first { $0.name == "f7" }?.attributes.isRegularFile == true)
            #expect(entries.first { $0.name == "f7" }.map { String(decoding: $0.longname, as: UTF8.self).hasPrefix("-") } == true)

            await #expect(throws: SFTPError.self) { try await client.rmdir(dir.sftp("d")) }
            for i in 0..<250 { try await client.remove(dir.sftp("d/f\(i)")) }
            try await client.rmdir(dir.sftp("d"))
            #expect(!FileManager.default.fileExists(atPath: dir.file("d")))
            await #expect(throws: SFTPError.self) { _ = try await client.opendir(dir.sftp("d")) }
        }
    }

    @Test func renameAndPosixRename() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("a", Data("a".utf8))
            try dir.create("b", Data("b".utf8))
            // Plain RENAME refuses to replace (OpenSSH: link + unlink).
            await #expect(throws: SFTPError.self) { try await client.rename(dir.sftp("a"), to: dir.sftp("b")) }
            try await client.rename(dir.sftp("a"), to: dir.sftp("c"))
            try await client.posixRename(dir.sftp("c"), to: dir.sftp("b"))
            #expect(try String(contentsOfFile: dir.file("b"), encoding: .utf8) == "a")
            #expect(!FileManager.default.fileExists(atPath: dir.file("c")))
        }
    }

    @Test func linksAndPaths() async throws {
        try await withSFTPServer { client, dir in
            try dir.create("target", Data("t".utf8))
            try await client.symlink(at: dir.sftp("link"), pointingTo: "target")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("link")) == "target")
            #expect(try await client.readlink(dir.sftp("link")) == "target")
            #expect(try await client.lstat(dir.sftp("link")).isSymbolicLink)
            #expect(try await client.stat(dir.sftp("link")).isRegularFile)

            try await client.lsetstat(dir.sftp("link"), SFTPAttributes(times: .init(accessTime: 5, modificationTime: 6)))
            #expect(try await client.lstat(dir.sftp("link")).times?.modificationTime == 6)

            try await client.hardlink(dir.sftp("target"), to: dir.sftp("hard"))
            #expect(try String(contentsOfFile: dir.file("hard"), encoding: .utf8) == "t")

            try await client.mkdir(dir.sftp("sub"))
            // Both resolve symbolic links, as realpath(3) does.
            #expect(try await client.realpath(SFTPPath("\(dir.path)/./sub/../link")) == dir.sftp("target"))
            #expect(try await client.expandPath(SFTPPath("\(dir.path)/./sub/..")) == SFTPPath(dir.path))
            // OpenSSH 9.2 needs a user name (later versions take "" as "me").
            let account = try #require(getpwuid(getuid()))
            let home = try await client.homeDirectory(of: String(cString: account.pointee.pw_name))
            #expect(home.description == String(cString: account.pointee.pw_dir))
            await #expect(throws: SFTPError(.failure, "", status: .failure)) {
                _ = try await client.homeDirectory(of: "no-such-user-ferry")
            }
            #expect(try await client.expandPath("~") == client.realpath("."))
        }
    }

    @Test func statvfsAndCopyData() async throws {
        try await withSFTPServer { client, dir in
            let stats = try await client.statvfs(SFTPPath(dir.path))
            #expect(stats.blockSize > 0 && stats.maxNameLength >= 255)
            let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try dir.create("src", Data(bytes))
            let source = try await client.open(dir.sftp("src"), flags: .read)
            let destination = try await client.open(dir.sftp("dst"), flags: [.write, .create, .truncate])
            #expect(try await client.fstatvfs(source).fileSystemID == stats.fileSystemID)
            try await client.copyData(from: source, offset: 0, length: 0, to: destination, offset: 0)
            try await client.copyData(from: source, offset: 10, length: 5, to: destination, offset: 100_000)
            try await client.close(source)
            try await client.close(destination)
            let copied = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("dst"))))
            #expect(copied == bytes + bytes[10..<15])
        }
    }

    @Test func usersAndGroupsByID() async throws {
        try await withSFTPServer { client, _ in
            let names = try await client.userGroupNames(uids: [0, 4_000_000_000], gids: [0])
            #expect(names.userNames == ["root", ""])
            #expect(names.groupNames == ["root"])
        }
    }

    @Test func concurrentCallsMatchTheirReplies() async throws {
        try await withSFTPServer { client, dir in
            for i in 0..<20 {
                try dir.create("f\(i)", Data(count: i))
            }
            try await withThrowingTaskGroup(of: (Int, UInt64?).self) { group in
                for i in 0..<20 {
                    group.addTask { (i, try await client.stat(dir.sftp("f\(i)")).size) }
                }
                for try await (i, size) in group { #expect(size == UInt64(i)) }
            }
        }
    }

    @Test func callsAfterCloseFail() async throws {
        try await withSFTPServer { client, dir in
            client.close()
            await #expect(throws: SFTPError(.connectionClosed, "")) { _ = try await client.stat(SFTPPath(dir.path)) }
        }
    }
}

/// sftp-server's own restrictions (-R read-only, -P deny list, -p allow
/// list) come back as clean permission-denied errors.
@Suite struct RestrictedServerTests {
    @Test func readOnlyRefusesWrites() async throws {
        try await withSFTPServer(["-R"]) { client, dir in
            try dir.create("f", Data("x".utf8))
            let handle = try await client.open(dir.sftp("f"), flags: .read)
            #expect(try await client.read(handle, offset: 0, length: 10).map { String(buffer: $0) } == "x")
            try await client.close(handle)
            for (name, attempt) in [
                ("open for write", { _ = try await client.open(dir.sftp("g"), flags: [.write, .create]) }),
                ("mkdir", { try await client.mkdir(dir.sftp("d")) }),
                ("remove", { try await client.remove(dir.sftp("f")) }),
                ("rename", { try await client.rename(dir.sftp("f"), to: dir.sftp("h")) }),
                ("symlink", { try await client.symlink(at: dir.sftp("l"), pointingTo: "f") }),
                ("setstat", { try await client.setstat(dir.sftp("f"), SFTPAttributes(permissions: 0o600)) }),
            ] as [(String, () async throws -> Void)] {
                do {
                    try await attempt()
                    Issue.record("\(name) succeeded on a read-only server")
                } catch let error as SFTPError {
                    #expect(error.code == .permissionDenied, "\(name): \(error)")
                }
            }
            #expect(try String(contentsOfFile: dir.file("f"), encoding: .utf8) == "x")

            // Write extensions are not advertised, so the client does not send them…
            #expect(!client.supports(.posixRename) && !client.supports(.hardlink))
            await #expect(throws: SFTPError(.extensionUnsupported, "")) {
                try await client.posixRename(dir.sftp("f"), to: dir.sftp("h"))
            }
            // …and the server refuses them when sent anyway.
            var data = ByteBuffer()
            data.writeInteger(UInt32(dir.file("f").utf8.count))
            data.writeString(dir.file("f"))
            data.writeInteger(UInt32(dir.file("h").utf8.count))
            data.writeString(dir.file("h"))
            #expect(try await client.extended("posix-rename@openssh.com", data: data)
                == .status(SFTPStatus(code: .permissionDenied, message: "Permission denied")))
            // Read-only extensions still work.
            #expect(try await client.statvfs(SFTPPath(dir.path)).blockSize > 0)
        }
    }

    @Test func denyListRefusesListed() async throws {
        try await withSFTPServer(["-P", "remove,posix-rename,statvfs"]) { client, dir in
            try dir.create("f", Data())
            await #expect(throws: SFTPError(.permissionDenied, "", status: .permissionDenied)) {
                try await client.remove(dir.sftp("f"))
            }
            // Denied extensions are not advertised, so never sent.
            #expect(!client.supports(.posixRename) && !client.supports(.statvfs) && client.supports(.fstatvfs))
            await #expect(throws: SFTPError(.extensionUnsupported, "")) {
                try await client.posixRename(dir.sftp("f"), to: dir.sftp("g"))
            }
            await #expect(throws: SFTPError(.extensionUnsupported, "")) {
                _ = try await client.statvfs(SFTPPath(dir.path))
            }
            // Everything else still works, so the session survived.
            #expect(try await client.stat(dir.sftp("f")).size == 0)
        }
    }

    @Test func allowListRefusesTheRest() async throws {
        try await withSFTPServer(["-p", "open,close,read,stat,lstat,realpath,limits"]) { client, dir in
            try dir.create("f", Data("abc".utf8))
            #expect(try await client.stat(dir.sftp("f")).size == 3)
            await #expect(throws: SFTPError(.permissionDenied, "", status: .permissionDenied)) {
                try await client.mkdir(dir.sftp("d"))
            }
            await #expect(throws: SFTPError(.permissionDenied, "", status: .permissionDenied)) {
                _ = try await client.opendir(SFTPPath(dir.path))
            }
        }
    }

    @Test func unadvertisedExtensionIsNotSent() async throws {
        try await withSFTPServer { client, dir in
            // A client-side check: nothing reaches the server.
            let fake = SFTPExtension(name: "posix-rename@openssh.com", version: "2")
            #expect(!client.supports(fake))
            #expect(client.supports(.posixRename))
            _ = dir
        }
    }
}
