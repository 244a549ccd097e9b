import FuzzSupport
import SSHCrypto

// The packet framer under AES-GCM.
// Input: see PacketScript (flags byte, then sealed or raw records).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    PacketScript.run(input) { variant in
        try PacketScript.make(cipher: variant & 1 == 0 ? .aes128GCM : .aes256GCM, mac: nil)
    }
    return 0
}

@_cdecl("FuzzPacketAESGCM_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
