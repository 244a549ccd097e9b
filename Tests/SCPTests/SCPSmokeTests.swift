import Testing
@testable import SCP

@Test func okByteIsZero() { #expect(SCPProtocol.ok == 0) }
