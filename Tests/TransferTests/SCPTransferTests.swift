import Foundation
import NIOCore
import SFTPTestSupport
import Testing
@testable import Transfer

/// SCPTransfer's local side over an in-memory stream: a scripted source
/// sends a stream and the test looks at what landed. (The same against a
/// real scp and a hostile one runs in IntegrationTests.)
@Suite struct SCPTransferTests {
    /// Runs `get` of `source` into `destination`, the remote side sending
    /// `stream` once the sink's first byte arrives; returns the report and
    /// the command it was asked to run.
    func get(_ source: String, to destination: LocalPath, stream: [UInt8], recursive: Bool = false,
             preserve: Bool = false) async -> (TransferReport, String) {
        let command = NIOLockedBox("")
        var options = TransferOptions()
        options.preserve = preserve
        let transfer = SCPTransfer(options: options, open: { line in
            command.set(String(decoding: line, as: UTF8.self))
            let (ours, theirs) = MemoryStream.pair()
            Task {
                _ = try? await theirs.read()
                try? await theirs.write(ByteBuffer(bytes: stream))
                try? await theirs.closeWrite()
                while (try? await theirs.read()) != nil {}
            }
            return (ours, {})
        })
        let report = await transfer.get([Array(source.utf8)], to: destination, recursive: recursive)
        return (report, command.get())
    }

    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scp-transfer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aFileLandsUnderItsNameWithTheSourcesTimes() async throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (report, command) = await get("dir/a b", to: LocalPath(root),
                                          stream: Array("T1000000000 0 1000000001 0\nC0640 5 a b\nhello\0".utf8), preserve: true)
        #expect(command == "scp -f -p 'dir/a b'")
        #expect(report.succeeded && report.files == 1 && report.bytes == 5, "\(report.failures)")
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/a b")
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        #expect((attributes[.modificationDate] as? Date) == Date(timeIntervalSince1970: 1_000_000_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["a b"])
    }

    @Test func aFileTheSourceFailedIsNotKept() async throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = FileManager.default.createFile(atPath: root + "/f", contents: Data("old".utf8))
        let (report, _) = await get("f", to: LocalPath(root), stream: Array("C0644 5 f\nhel\0\0\u{1}scp: f: read error\n".utf8))
        #expect(!report.succeeded && report.files == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["f"], "no partial file left")
        #expect(FileManager.default.contents(atPath: root + "/f") == Data("old".utf8), "the old file is untouched")
    }

    @Test func aTreeIsMadeAndAResumeIsRefused() async throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (report, _) = await get("t", to: LocalPath(root + "/copy"),
                                    stream: Array("D0755 0 t\nD0700 0 s\nC0600 1 x\nz\0E\nE\n".utf8), recursive: true)
        #expect(report.succeeded, "\(report.failures)")
        #expect(FileManager.default.contents(atPath: root + "/copy/s/x") == Data("z".utf8))

        var options = TransferOptions()
        options.resume = true
        let refused = await SCPTransfer(options: options, open: { _ in throw TransferError(.usage, "not reached") })
            .get([Array("x".utf8)], to: LocalPath(root))
        #expect(refused.failures.first?.message.contains("needs SFTP") == true)
    }
}

/// A value behind a lock, for the test's closures.
final class NIOLockedBox<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ newValue: Value) { lock.lock(); value = newValue; lock.unlock() }
}
