import Testing
@testable import SFTP

@Test func speaksVersionThree() { #expect(SFTPProtocol.version == 3) }
