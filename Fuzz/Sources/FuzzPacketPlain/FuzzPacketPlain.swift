import FuzzSupport
import SSHCrypto

// The packet framer with no protection (before the first NEWKEYS).
// Input: see PacketScript (flags byte, then sealed or raw records).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    PacketScript.run(input) { _ in (PlaintextProtection(), PlaintextProtection()) }
    return 0
}

@_cdecl("FuzzPacketPlain_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
