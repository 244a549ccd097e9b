import Foundation
import NIOCore
import SFTPTestSupport
import Testing
@testable import SFTP

/// `writeAndClose` against the real sftp-server: WRITE, FSETSTAT and CLOSE
/// back to back land the data and the attributes; a WRITE the server
/// refuses is the error reported, though the CLOSE behind it succeeded, so
/// the caller never renames a file whose data did not arrive.
@Suite struct WriteAndCloseTests {
    @Test func dataAndAttributesLandInOneExchange() async throws {
        try await withSFTPServer { client, dir in
            let handle = try await client.open(dir.sftp("small"), flags: [.write, .create, .truncate])
            let data = ByteBuffer(bytes: Array("one write is the whole file".utf8))
            let times = SFTPAttributes.Times(accessTime: 1_600_000_000, modificationTime: 1_500_000_000)
            let tried = try await client.writeAndClose(handle, offset: 0, data: data, trying: nil,
                                                      setting: SFTPAttributes(permissions: 0o640, times: times))
            #expect(tried)
            #expect(FileManager.default.contents(atPath: dir.file("small")) == Data("one write is the whole file".utf8))
            let attributes = try await client.stat(dir.sftp("small"))
            #expect(attributes.permissions.map { $0 & 0o7777 } == 0o640)
            #expect(attributes.times?.modificationTime == 1_500_000_000)
            // The handle is closed: using it again is an error.
            await #expect(throws: SFTPError.self) { try await client.close(handle) }
        }
    }

    @Test func aRefusedWriteIsTheErrorEvenWhenTheCloseSucceeds() async throws {
        try await withSFTPServer { client, dir in
            try Data("before".utf8).write(to: URL(fileURLWithPath: dir.file("readonly")))
            // Opened for reading: the server refuses the WRITE, then closes.
            let handle = try await client.open(dir.sftp("readonly"), flags: .read)
            let failure = await #expect(throws: SFTPError.self) {
                _ = try await client.writeAndClose(handle, offset: 0, data: ByteBuffer(bytes: [1, 2, 3]), trying: nil, setting: nil)
            }
            #expect(failure?.message.contains("write") == true, "\(String(describing: failure))")
            #expect(FileManager.default.contents(atPath: dir.file("readonly")) == Data("before".utf8))
            await #expect(throws: SFTPError.self) { try await client.close(handle) }
            #expect(client.connection.outstanding == 0)
        }
    }

    @Test func anEmptyFileIsOnlyClosed() async throws {
        try await withSFTPServer { client, dir in
            let handle = try await client.open(dir.sftp("empty"), flags: [.write, .create, .truncate])
            #expect(try await client.writeAndClose(handle, offset: 0, data: ByteBuffer(), trying: nil, setting: nil))
            #expect(FileManager.default.contents(atPath: dir.file("empty")) == Data())
        }
    }
}
