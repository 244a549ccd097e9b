import FuzzSupport
import SSHCrypto

// The packet framer under chacha20-poly1305@openssh.com.
// Input: see PacketScript (flags byte, then sealed or raw records).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    PacketScript.run(input) { _ in try PacketScript.make(cipher: .chacha20Poly1305, mac: nil) }
    return 0
}

@_cdecl("FuzzPacketChaCha_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
