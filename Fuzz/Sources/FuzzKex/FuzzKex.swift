import FuzzSupport
@_spi(Fuzzing) import SSHCore

// SSH_MSG_KEXINIT and SSH_MSG_EXT_INFO payloads (the first byte picks one;
// the rest is the payload, message number included).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    var reader = FuzzReader(input)
    let which = reader.byte()
    let payload = reader.rest()
    if which & 1 == 0 {
        try? SSHCoreFuzzing.decodeKexInit(payload)
    } else {
        _ = try? SSHCoreFuzzing.decodeExtInfo(payload)
    }
    return 0
}

@_cdecl("FuzzKex_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
