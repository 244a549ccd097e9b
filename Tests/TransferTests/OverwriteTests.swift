import Foundation
import Glibc
import SFTP
import SFTPTestSupport
import Testing
@testable import Transfer

/// What overwriting a destination may change, both ways: a replaced file
/// keeps its mode and owner; a symbolic link is written through; what is
/// not a regular file is written in place, never replaced; `--inplace`
/// keeps the inode and its hard links. (Run as root, the test can give
/// files away to `nobody`; elsewhere the owner checks are skipped.)
@Suite struct OverwriteTests {
    static let contents = FileTransferTests.bytes(30_000, seed: 4)

    static func transfer(_ client: SFTPClient, inPlace: Bool = false, preserve: Bool = false,
                         events: EventLog? = nil) -> FileTransfer {
        var options = TransferOptions(preserve: preserve, blockLength: 1000, maxOutstanding: 8)
        options.inPlace = inPlace
        return FileTransfer(client: client, options: options) { events?.record($0) }
    }

    /// `src` holds the source; `down` and `up` each get what `prepare`
    /// makes at `target`, then a download and an upload of it.
    static func bothWays(_ client: SFTPClient, _ dir: TemporaryDirectory, inPlace: Bool = false,
                         target: String = "target", prepare: (String) throws -> Void) async throws {
        for sub in ["src", "down", "up"] { try Disk.mkdir(dir.file(sub)) }
        try dir.create("src/file", Data(contents))
        chmod(dir.file("src/file"), 0o644)
        try prepare(dir.file("down/\(target)"))
        try prepare(dir.file("up/\(target)"))
        let transfer = transfer(client, inPlace: inPlace)
        try await transfer.download(dir.sftp("src/file"), to: dir.file("down/\(target)"))
        try await transfer.upload(dir.file("src/file"), to: dir.sftp("up/\(target)"))
    }

    @Test func aReplacedFileKeepsItsModeAndOwner() async throws {
        let root = geteuid() == 0
        try await withSFTPServer { client, dir in
            try await Self.bothWays(client, dir) { path in
                _ = FileManager.default.createFile(atPath: path, contents: Data("old".utf8))
                chmod(path, 0o600)
                if root { chown(path, 65534, 65534) }
            }
            for side in ["down", "up"] {
                let path = dir.file("\(side)/target")
                #expect(try FileTransferTests.read(path) == Self.contents)
                let st = try #require(Disk.lstatus(path))
                #expect(st.st_mode & 0o7777 == 0o600)
                if root { #expect(st.st_uid == 65534 && st.st_gid == 65534) }
                #expect(Disk.names(dir.file(side)) == ["target"])
            }
        }
    }

    @Test func preserveGivesTheSourcesModeInstead() async throws {
        try await withSFTPServer { client, dir in
            for sub in ["src", "down"] { try Disk.mkdir(dir.file(sub)) }
            try dir.create("src/file", Data(Self.contents))
            chmod(dir.file("src/file"), 0o640)
            _ = FileManager.default.createFile(atPath: dir.file("down/file"), contents: Data("old".utf8))
            chmod(dir.file("down/file"), 0o600)
            try await Self.transfer(client, preserve: true).download(dir.sftp("src/file"), to: dir.file("down/file"))
            #expect(Disk.lstatus(dir.file("down/file")).map { $0.st_mode & 0o7777 } == 0o640)
        }
    }

    @Test func aSymbolicLinkIsWrittenThrough() async throws {
        try await withSFTPServer { client, dir in
            try await Self.bothWays(client, dir) { path in
                let real = path + "-real"
                _ = FileManager.default.createFile(atPath: real, contents: Data("old".utf8))
                try Disk.symlink(path, to: URL(fileURLWithPath: real).lastPathComponent)
            }
            for side in ["down", "up"] {
                #expect(Disk.type(dir.file("\(side)/target")) == S_IFLNK)
                #expect(try FileTransferTests.read(dir.file("\(side)/target-real")) == Self.contents)
                #expect(Disk.names(dir.file(side)) == ["target", "target-real"])
            }
        }
    }

    @Test func aDanglingSymbolicLinkCreatesItsTarget() async throws {
        try await withSFTPServer { client, dir in
            try await Self.bothWays(client, dir) { path in try Disk.symlink(path, to: "made-by-ferry") }
            for side in ["down", "up"] {
                #expect(Disk.type(dir.file("\(side)/target")) == S_IFLNK)
                #expect(try FileTransferTests.read(dir.file("\(side)/made-by-ferry")) == Self.contents)
            }
        }
    }

    @Test func inPlaceKeepsTheInodeAndItsHardLinks() async throws {
        try await withSFTPServer { client, dir in
            try await Self.bothWays(client, dir, inPlace: true) { path in
                _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 90_000))
                link(path, path + "-link")
            }
            for side in ["down", "up"] {
                #expect(try FileTransferTests.read(dir.file("\(side)/target")) == Self.contents)
                #expect(try FileTransferTests.read(dir.file("\(side)/target-link")) == Self.contents)
            }
        }
    }

    /// A character device (a copy of /dev/null's) stays a device: written
    /// to, never replaced by a regular file. Needs root for mknod.
    @Test(.enabled(if: geteuid() == 0)) func aDeviceIsWrittenNotReplaced() async throws {
        try await withSFTPServer { client, dir in
            try await Self.bothWays(client, dir) { path in
                guard mknod(path, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else { throw POSIXError(.EPERM) }
            }
            for side in ["down", "up"] {
                #expect(Disk.type(dir.file("\(side)/target")) == S_IFCHR)
                #expect(Disk.names(dir.file(side)) == ["target"])
            }
        }
    }

    @Test func aFIFOIsStreamedInto() async throws {
        try await withSFTPServer { client, dir in
            for sub in ["src", "down"] { try Disk.mkdir(dir.file(sub)) }
            try dir.create("src/file", Data(Self.contents))
            let fifo = dir.file("down/fifo")
            #expect(mkfifo(fifo, 0o600) == 0)
            // The reader blocks in open() until the writer comes: on a thread
            // of its own, not the test's cooperative pool.
            let reader = Task.detached { await onThread { Disk.read(Array(fifo.utf8)) } }
            try await Self.transfer(client).download(dir.sftp("src/file"), to: fifo)
            #expect(await reader.value == Self.contents)
            #expect(Disk.type(fifo) == S_IFIFO)
        }
    }

    /// `/dev/stdout` is a link to `/proc/self/fd/1`: such names are
    /// streams into the descriptor, never replaced (as root, replacing
    /// would have put a regular file at /dev/stdout).
    @Test func descriptorNamesAreStreamsNotFiles() async throws {
        try await withSFTPServer { client, dir in
            try Disk.mkdir(dir.file("src"))
            try dir.create("src/file", Data(Self.contents.prefix(20_000)))
            for name in ["/dev/fd/%d", "/proc/self/fd/%d", "link"] {
                var fds: [Int32] = [0, 0]
                #expect(pipe(&fds) == 0)
                defer { close(fds[0]) }
                var target = String(format: name, fds[1])
                if name == "link" {
                    target = dir.file("stdout-link")
                    unlink(target)
                    try Disk.symlink(target, to: "/proc/self/fd/\(fds[1])")
                }
                let readEnd = fds[0]
                let reader = Task.detached { await onThread { () -> [UInt8] in
                    var out: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while true {
                        let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                        // A signal (another test's child exiting) is not the end of the pipe.
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { return out }
                        out += buffer[..<n]
                    }
                } }
                try await Self.transfer(client).download(dir.sftp("src/file"), to: target)
                close(fds[1])
                #expect(await reader.value == Array(Self.contents.prefix(20_000)), "\(name)")
            }
            #expect(Disk.type(dir.file("stdout-link")) == S_IFLNK)
        }
    }

    @Test func resolvesStandardOutputNames() {
        #expect(LocalDestination.ownDescriptor("/dev/stdout") == 1)
        #expect(LocalDestination.ownDescriptor("/dev/fd/7") == 7)
        #expect(LocalDestination.ownDescriptor("/proc/self/fd/12") == 12)
        #expect(LocalDestination.ownDescriptor("/dev/fd/x") == nil)
        #expect(LocalDestination.ownDescriptor("/dev/fd/") == nil)
        if case .descriptor(1, _) = try? LocalDestination.resolve("-", inPlace: false) {} else { Issue.record("- is stdout") }
    }
}
