import Foundation
import Glibc
import Testing

// The disk fills: a small tmpfs mounted by the test under the download's
// destination (local) or the upload's (on the sshd fixture's side). ferry
// must say "No space left on device" naming the file, leave nothing short
// under a final name, exit 1, report the files that did arrive, and keep
// what it wrote so that -a finishes the job once there is room.

@Suite("the disk fills during get and put", .serialized,
       .enabled(if: SmallFileSystem.canMount, "\(SmallFileSystem.cannotMount)"))
struct DiskFullTests {
    /// Two small files and one larger than the file system.
    static let files: [(name: String, size: Int)] = [("a-small", 40 << 10), ("big", 6 << 20), ("z-small", 40 << 10)]
    static let fileSystemSize = 2 << 20

    /// Expects the failed run's report: exit 1, the big file named with the
    /// error, every small file either intact under its name or reported, the
    /// summary counting all three, nothing short under a final name.
    static func expectDiskFull(_ result: CommandResult, in directory: String, sources: String, _ label: String,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(result.exit == Proof.someFailed, "\(label): \(result.summary)", sourceLocation: sourceLocation)
        let errorLines = Proof.lines(result.stderr).filter { $0.contains("No space left on device") }
        #expect(errorLines.contains { $0.contains("big") }, "\(label): the error names the file:\n\(result.summary)",
                sourceLocation: sourceLocation)
        let summary = try #require(Proof.summary(result.stdout), "\(label): \(result.summary)", sourceLocation: sourceLocation)
        #expect(summary.files + summary.failed == files.count && summary.failed >= 1, "\(label): \(result.stdout)",
                sourceLocation: sourceLocation)
        for (name, size) in files {
            let path = "\(directory)/\(name)"
            if Proof.exists(path) {
                #expect(Proof.size(path) == UInt64(size) && Proof.contents(path) == Proof.contents("\(sources)/\(name)"),
                        "\(label): \(name) is under its final name but not whole", sourceLocation: sourceLocation)
            } else {
                #expect(errorLines.contains { $0.contains(name) }, "\(label): \(name) neither arrived nor was reported:\n\(result.summary)",
                        sourceLocation: sourceLocation)
            }
        }
        #expect(!Proof.exists("\(directory)/big"), "\(label): big cannot have arrived", sourceLocation: sourceLocation)
    }

    @Test("local disk full: get exits 1 naming the file, nothing short under a final name; -a finishes with room")
    func localDiskFull() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "disk-full-get")
        defer { local.remove() }
        let scratch = sshd.scratchDirectory
        try Proof.makeDirectory("\(scratch)/src")
        for (index, (name, size)) in Self.files.enumerated() {
            try Proof.write("\(scratch)/src/\(name)", Proof.bytes(size, seed: UInt64(index) + 100))
        }
        try Proof.makeDirectory(local.file("full"))
        let disk = try SmallFileSystem(at: local.file("full"), bytes: Self.fileSystemSize)
        defer { disk.unmount() }

        let sources = Self.files.map { Proof.remote(sshd, "\(scratch)/src/\($0.name)") }
        let get = try await Proof.ferry("get", sources + [local.file("full")], on: sshd)
        try Self.expectDiskFull(get, in: local.file("full"), sources: "\(scratch)/src", "get")

        try disk.resize(bytes: 64 << 20)
        let resumed = try await Proof.ferry("get", ["-a"] + sources + [local.file("full")], on: sshd)
        #expect(resumed.exit == Proof.ok, "get -a: \(resumed.summary)")
        for (name, _) in Self.files {
            #expect(Proof.contents(local.file("full/\(name)")) == Proof.contents("\(scratch)/src/\(name)"), "get -a: \(name)")
        }
        #expect(Proof.partialFiles(under: local.file("full")).isEmpty)
    }

    @Test("remote disk full: put exits 1 naming the file, nothing short under a final name; -a finishes with room")
    func remoteDiskFull() async throws {
        let sshd = try await SSHDFixture.start()
        defer { sshd.stop() }
        let local = try FixtureDirectory.create(prefix: "disk-full-put")
        defer { local.remove() }
        for (index, (name, size)) in Self.files.enumerated() {
            try Proof.write(local.file(name), Proof.bytes(size, seed: UInt64(index) + 200))
        }
        let target = "\(sshd.scratchDirectory)/full"
        try Proof.makeDirectory(target)
        let disk = try SmallFileSystem(at: target, bytes: Self.fileSystemSize,
                                       uid: sshd.server.account.uid, gid: sshd.server.account.gid)
        defer { disk.unmount() }

        let sources = Self.files.map { local.file($0.name) }
        let put = try await Proof.ferry("put", sources + [Proof.remote(sshd, target)], on: sshd)
        try Self.expectDiskFull(put, in: target, sources: local.path, "put")

        try disk.resize(bytes: 64 << 20)
        let resumed = try await Proof.ferry("put", ["-a"] + sources + [Proof.remote(sshd, target)], on: sshd)
        #expect(resumed.exit == Proof.ok, "put -a: \(resumed.summary)")
        for (name, _) in Self.files {
            #expect(Proof.contents("\(target)/\(name)") == Proof.contents(local.file(name)), "put -a: \(name)")
        }
        #expect(Proof.partialFiles(under: target).isEmpty)
    }
}
