import Foundation
import Glibc
import NIOCore
import NIOConcurrencyHelpers
@testable import SCP
import SFTPTestSupport
import Testing
@testable import Transfer

/// The plan of a spread SCP upload: the tree as one session would walk it,
/// its runs, and the hand-out of runs as directories come to exist.
@Suite struct SCPSpreadPlanTests {
    func tree(_ files: [String], directoryModes: [String: mode_t] = [:]) throws -> (LocalPath, stat, String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("scp-spread-\(UUID().uuidString)").path
        for file in files {
            let path = "\(root)/\(file)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: path, contents: Data(file.utf8))
        }
        for (directory, mode) in directoryModes { chmod("\(root)/\(directory)", mode) }
        var st = stat()
        stat(root, &st)
        return (LocalPath(root), st, root)
    }

    @Test func theTreeIsListedParentsFirstWithLinksSkipped() throws {
        let (root, st, path) = try tree(["b/y", "a/x", "a/deep/z", "top"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        symlink("/etc/passwd", "\(path)/a/link")
        let plan = try #require(SCPTransfer(open: { _ in throw TransferError(.usage, "unused") }).uploadTree(root, st))
        let names = plan.directories.map { $0.components.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/") }
        #expect(names == ["", "a", "a/deep", "b"])
        #expect(plan.files.map { String(decoding: $0.path.lastComponent, as: UTF8.self) }.sorted() == ["x", "y", "z", "top"].sorted())
        #expect(plan.notes.count == 1, "the link is skipped with a note")
        for (index, directory) in plan.directories.enumerated() { #expect(plan.byComponents[directory.components] == index) }
    }

    @Test func aDirectoryThatIsNotOwnerWritableKeepsOneSessionWithoutDashP() throws {
        let (root, st, path) = try tree(["ro/x"], directoryModes: ["ro": 0o555])
        defer { chmod("\(path)/ro", 0o755); try? FileManager.default.removeItem(atPath: path) }
        #expect(SCPTransfer(open: { _ in throw TransferError(.usage, "unused") }).uploadTree(root, st) == nil)
        var options = TransferOptions()
        options.preserve = true
        #expect(SCPTransfer(options: options, open: { _ in throw TransferError(.usage, "unused") }).uploadTree(root, st) != nil,
                "-p sets the mode at the end")
    }

    @Test func runsHoldOneDirectoryAndAreBounded() throws {
        let files = (0..<70).map { "a/f\($0)" } + ["b/g"]
        let (root, st, path) = try tree(files)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try #require(SCPTransfer(open: { _ in throw TransferError(.usage, "unused") }).uploadTree(root, st))
        let runs = SCPTransfer.runs(of: plan)
        #expect(runs.map(\.count) == [32, 32, 6, 1])
        for run in runs { #expect(Set(run.map { plan.files[$0].directory }).count == 1) }
    }

    @Test func aRunWaitsForItsDirectoryAndRefusedOnesAreLeftOut() async throws {
        let (root, st, path) = try tree(["a/x", "b/y", "c/z"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try #require(SCPTransfer(open: { _ in throw TransferError(.usage, "unused") }).uploadTree(root, st))
        let runs = WorkRuns(SCPTransfer.runs(of: plan), tree: plan)
        runs.decide(0, refused: false)
        let taker = Task { await runs.take() }
        try await Task.sleep(for: .milliseconds(50))
        runs.decide(1, refused: true)  // a: refused
        runs.decide(2, refused: false)  // b
        let first = await taker.value
        #expect(first.map { $0.map { plan.files[$0].directory } } == [2], "a's run is left out; b's is handed out")
        let second = Task { await runs.take() }
        try await Task.sleep(for: .milliseconds(50))
        runs.abandon()
        #expect(await second.value == nil, "abandoned: c's run is not handed out, and nobody waits")
        #expect(runs.isRefused(3))
    }

    /// The remote side of an in-memory `scp -t`: ferry's own sink, taking
    /// everything and answering each record; what it received, by name.
    static func remoteSink(_ stream: MemoryStream, received: NIOLockedValueBox<[String: [UInt8]]>) async {
        var sink = SCPSink(request: .init(recursive: true, expectation: .matching(Array("*".utf8))))
        var name = ""
        func flush() async {
            let output = sink.takeOutput()
            if !output.isEmpty { try? await stream.write(ByteBuffer(bytes: output)) }
        }
        await flush()
        while let chunk = try? await stream.read() {
            sink.receive(chunk)
            while let event = try? sink.next() {
                switch event {
                case .file(let entry):
                    name = String(decoding: entry.name, as: UTF8.self)
                    received.withLockedValue { $0[name] = [] }
                case .data(let data): received.withLockedValue { $0[name, default: []] += Array(data.readableBytesView) }
                case .fileEnd: sink.finishFile()
                default: break
                }
            }
            await flush()
        }
        try? await stream.closeWrite()
    }

    /// A link planted at a listed file's name after the tree was listed
    /// (before its sessions open) is not followed: that file is refused,
    /// the link's target never leaves, and the others go.
    @Test func aLinkPlantedAfterTheListingIsNotFollowed() async throws {
        let files = (0..<70).map { "d\($0 % 2)/f\($0)" }
        let (root, _, path) = try tree(files)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secret = "\(path)-secret"
        _ = FileManager.default.createFile(atPath: secret, contents: Data("the secret".utf8))
        defer { unlink(secret) }
        let received = NIOLockedValueBox<[String: [UInt8]]>([:])
        let planted = NIOLockedValueBox(false)
        var transfer = SCPTransfer(open: { _ in
            planted.withLockedValue { done in
                if !done {
                    done = true
                    unlink("\(path)/d1/f5")
                    symlink(secret, "\(path)/d1/f5")
                }
            }
            let (ours, theirs) = MemoryStream.pair()
            Task { await Self.remoteSink(theirs, received: received) }
            return (ours, {})
        })
        transfer.sessions = 2
        let report = await transfer.put([root], to: Array("dest".utf8), recursive: true)
        #expect(report.files == 69, "\(report.failures)")
        #expect(report.failures.count == 1 && report.failures.first?.message.contains("f5") == true, "\(report.failures)")
        let all = received.withLockedValue { $0 }
        #expect(all["f5"] == nil, "the planted link's target was sent")
        #expect(!all.values.contains(Array("the secret".utf8)))
        #expect(all["f6"] == Array("d0/f6".utf8))
    }
}
