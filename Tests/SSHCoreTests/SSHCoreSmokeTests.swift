import Testing
@_spi(Internals) @testable import SSHCore

@Test func softwareVersionIsAValidSSHIdentifier() {
    // RFC 4253 §4.2: printable US-ASCII, no spaces or minus signs.
    let v = SSHCoreInfo.softwareVersion
    #expect(!v.isEmpty)
    #expect(v.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "-") })
}
