import Testing
@testable import Transfer

@Test func versionIsSemantic() { #expect(TransferInfo.version.split(separator: ".").count == 3) }
